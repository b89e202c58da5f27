package wireprofile_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wireprofile"
)

// Go clients against a profile's server, over real loopback sockets: the server's order wins.
var _ = Describe("ServerTLS with Go clients", func() {
	var roots *x509.CertPool
	BeforeEach(func() {
		roots = x509.NewCertPool()
		roots.AddCert(testCert.Leaf)
	})
	start := func(name string) *exampleServer {
		s, err := startExampleServer(wireprofile.MustGet(name))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		return s
	}
	client := func(suites []uint16, curves []tls.CurveID, minV, maxV uint16) *tls.Config {
		return &tls.Config{RootCAs: roots, ServerName: "dir01.contoso.test", CipherSuites: suites,
			CurvePreferences: curves, MinVersion: minV, MaxVersion: maxV}
	}

	DescribeTable("picks the server's first suite and curve, whatever the client prefers",
		func(name string, offered []uint16, curves []tls.CurveID, want uint16, wantCurve tls.CurveID) {
			s := start(name)
			// Go's client sends its own order; the offered set is what matters to the server.
			cs, err := handshake(s.Addr, client(offered, curves, tls.VersionTLS12, tls.VersionTLS12))
			Expect(err).NotTo(HaveOccurred())
			Expect(tls.CipherSuiteName(cs.CipherSuite)).To(Equal(tls.CipherSuiteName(want)))
			Expect(cs.CurveID).To(Equal(wantCurve))
		},
		Entry("2012 R2: ECDHE-RSA-AES128-SHA256 before GCM suites Go would prefer", "lync2013-ws2012r2",
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256},
			[]tls.CurveID{tls.X25519, tls.CurveP384, tls.CurveP256},
			tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, tls.CurveP256),
		Entry("2012 R2: RSA key exchange before ECDHE-ECDSA, no X25519", "lync2013-ws2012r2",
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384},
			[]tls.CurveID{tls.X25519, tls.CurveP384},
			tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.CurveID(0)),
		Entry("2012 R2: P-384 when the client has no P-256", "lync2013-ws2012r2",
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA},
			[]tls.CurveID{tls.X25519, tls.CurveP384},
			tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.CurveP384),
		Entry("2016: AES-256-GCM first, X25519 first", "sfb2015-ws2016",
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
			[]tls.CurveID{tls.CurveP256, tls.X25519},
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.X25519),
		Entry("2019: 3DES last but there", "sfb2019-ws2019",
			[]uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA},
			[]tls.CurveID{tls.CurveP256},
			tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.CurveID(0)),
	)

	It("negotiates RSA key exchange and 3DES by explicit listing, without GODEBUG", func() {
		Expect(os.Getenv("GODEBUG")).NotTo(ContainSubstring("tlsrsakex"))
		Expect(os.Getenv("GODEBUG")).NotTo(ContainSubstring("tls3des"))
		s := start(wireprofile.Default)
		for _, id := range []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_RC4_128_SHA} {
			cs, err := handshake(s.Addr, client([]uint16{id}, nil, tls.VersionTLS10, tls.VersionTLS12))
			Expect(err).NotTo(HaveOccurred(), tls.CipherSuiteName(id))
			Expect(cs.CipherSuite).To(Equal(id))
		}
	})

	DescribeTable("speaks TLS 1.0 and 1.1 with the suites of those versions only",
		func(v uint16) {
			s := start(wireprofile.Default)
			cs, err := handshake(s.Addr, client(nil, nil, v, v))
			Expect(err).NotTo(HaveOccurred())
			Expect(cs.Version).To(Equal(v))
			Expect(tls.CipherSuiteName(cs.CipherSuite)).To(Equal("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"))
		},
		Entry("TLS 1.0", uint16(tls.VersionTLS10)),
		Entry("TLS 1.1", uint16(tls.VersionTLS11)),
	)

	DescribeTable("refuses TLS 1.3 on schannel profiles, speaks it on modern",
		func(name string, ok bool) {
			s := start(name)
			cs, err := handshake(s.Addr, client(nil, nil, tls.VersionTLS13, tls.VersionTLS13))
			if !ok {
				Expect(err).To(MatchError(ContainSubstring("protocol version")))
				return
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(cs.Version).To(Equal(uint16(tls.VersionTLS13)))
		},
		Entry(nil, "lync2013-ws2012r2", false),
		Entry(nil, "sfb2015-ws2016", false),
		Entry(nil, "sfb2019-ws2019", false),
		Entry(nil, "modern", true),
	)

	It("fails, as schannel would, when the client offers no suite of the profile", func() {
		s := start(wireprofile.SfB2019WS2019)
		_, err := handshake(s.Addr, client([]uint16{tls.TLS_RSA_WITH_RC4_128_SHA}, nil, tls.VersionTLS12, tls.VersionTLS12))
		Expect(err).To(MatchError(ContainSubstring("handshake failure")))
	})

	It("takes the ECDHE_ECDSA suites in the profile's order with an ECDSA certificate", func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		Expect(err).NotTo(HaveOccurred())
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ec"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		Expect(err).NotTo(HaveOccurred())
		base := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
		ln, err := tls.Listen("tcp", "127.0.0.1:0", wireprofile.MustGet(wireprofile.Default).ServerTLS(base))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(ln.Close)
		go acceptHandshakes(ln)
		cs, err := handshake(ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}) //nolint:gosec // key type, not trust, is tested
		Expect(err).NotTo(HaveOccurred())
		Expect(tls.CipherSuiteName(cs.CipherSuite)).To(Equal("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"))
	})

	It("runs the base config's GetConfigForClient first and applies the profile to its answer", func() {
		called := 0
		base := &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			called++
			return &tls.Config{Certificates: []tls.Certificate{testCert}}, nil
		}}
		ln, err := tls.Listen("tcp", "127.0.0.1:0", wireprofile.MustGet(wireprofile.Default).ServerTLS(base))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(ln.Close)
		go acceptHandshakes(ln)
		cs, err := handshake(ln.Addr().String(), client(nil, nil, 0, 0))
		Expect(err).NotTo(HaveOccurred())
		Expect(called).To(Equal(1))
		// Go's default client leaves CBC-SHA256 out, so the first common suite of 2012 R2's order is
		// ECDHE-RSA-AES256-SHA.
		Expect(wireprofile.Negotiated(cs)).To(Equal("TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA P-256 alpn=-"))
	})

	DescribeTable("offers only those of the listener's ALPN protocols the host would select",
		func(name string, listener []string, want string) {
			base := &tls.Config{Certificates: []tls.Certificate{testCert}, NextProtos: listener}
			ln, err := tls.Listen("tcp", "127.0.0.1:0", wireprofile.MustGet(name).ServerTLS(base))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(ln.Close)
			go acceptHandshakes(ln)
			cfg := client(nil, nil, 0, 0)
			cfg.NextProtos = []string{"h3", "h2", "http/1.1"}
			cs, err := handshake(ln.Addr().String(), cfg)
			Expect(err).NotTo(HaveOccurred())
			Expect(cs.NegotiatedProtocol).To(Equal(want))
		},
		Entry("2012 R2 HTTP listener: none, so no h2", "lync2013-ws2012r2", []string{"h2", "http/1.1"}, ""),
		Entry("2016 HTTP listener: h2 first", "sfb2015-ws2016", []string{"http/1.1", "h2"}, "h2"),
		Entry("2016 listener without h2: http/1.1", "sfb2015-ws2016", []string{"http/1.1"}, "http/1.1"),
		Entry("2016 SIP listener: none", "sfb2015-ws2016", []string(nil), ""),
		Entry("2019 QUIC-style listener: h3 is not the host's", "sfb2019-ws2019", []string{"h3"}, ""),
		Entry("modern keeps the listener's own, h3 too", "modern", []string{"h3"}, "h3"),
	)

	It("issues no session tickets on schannel profiles", func() {
		s := start(wireprofile.Default)
		cache := tls.NewLRUClientSessionCache(4)
		cfg := client(nil, nil, 0, 0)
		cfg.ClientSessionCache = cache
		for range 2 {
			cs, err := handshake(s.Addr, cfg)
			Expect(err).NotTo(HaveOccurred())
			Expect(cs.DidResume).To(BeFalse())
		}
	})

	DescribeTable("ClientTLS presents the profile's client: versions and suites",
		func(name string, wantVersion uint16, wantSuite string) {
			s := start(wireprofile.Modern)
			cfg := wireprofile.MustGet(name).ClientTLS(&tls.Config{RootCAs: roots, ServerName: "dir01.contoso.test"})
			cs, err := handshake(s.Addr, cfg)
			Expect(err).NotTo(HaveOccurred())
			Expect(cs.Version).To(Equal(wantVersion))
			Expect(tls.CipherSuiteName(cs.CipherSuite)).To(Equal(wantSuite))
		},
		// modern's server picks with Go's order (and Go's defaults: no CBC-SHA256) among what
		// the 2012 R2 client offers: no GCM with ECDHE there.
		Entry(nil, "lync2013-ws2012r2", uint16(tls.VersionTLS12), "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
		Entry(nil, "sfb2019-ws2019", uint16(tls.VersionTLS12), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
		Entry(nil, "modern", uint16(tls.VersionTLS13), "TLS_AES_128_GCM_SHA256"),
	)
})

// acceptHandshakes completes handshakes on ln until it is closed.
func acceptHandshakes(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_ = c.(*tls.Conn).Handshake()
			_, _ = c.Read(make([]byte, 1))
		}()
	}
}
