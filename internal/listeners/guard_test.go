package listeners_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/quic-go/quic-go"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// bindSpecs binds specs on ephemeral ports and serves them until the spec ends; it returns the
// bound addresses by listener name.
func bindSpecs(env listeners.Env, specs ...listeners.Spec) map[string]string {
	g, err := listeners.Bind(specs, env)
	Expect(err).NotTo(HaveOccurred())
	addrs := map[string]string{}
	for _, l := range g.Listeners {
		addrs[l.Spec().Name] = l.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 10*time.Second).Should(Receive(BeNil()))
	})
	return addrs
}

// directorSpec is a listener of dir01 on an ephemeral port of host.
func directorSpec(host string, proto wire.Protocol, port int, guard bool) listeners.Spec {
	name := listeners.ListenerName(proto, port)
	if guard {
		name = listeners.GuardName(proto, port)
	}
	return listeners.Spec{Role: "director", Member: "dir01.contoso.local", Pool: "dir-pool.contoso.local",
		Name: name, Protocol: proto, Port: port, Addr: net.JoinHostPort(host, "0"), Guard: guard}
}

// servedSHA256 is the fingerprint of the certificate the director listeners serve.
func servedSHA256(env listeners.Env) string {
	sum := sha256.Sum256(env.TLS.Cert.Certificate[0])
	return hex.EncodeToString(sum[:])
}

// guardHit matches the journal's guard hit of a connection from local to listener name.
func guardHit(name, local string) OmegaMatcher {
	return SatisfyAll(HaveField("Kind", journal.KindGuard), HaveField("Listener", name),
		HaveField("Outcome", journal.OutcomeOK), HaveField("Code", wire.CodeGuard),
		HaveField("Remote", local), HaveField("Reason", ContainSubstring("the table denies")))
}

var _ = Describe("guard listeners on the ports the table denies toward a role", Label("guard"), func() {
	const host = "127.0.10.61"
	var (
		jr    *memJournal
		env   listeners.Env
		addrs map[string]string
	)
	BeforeEach(func() {
		jr = &memJournal{}
		env = directorEnv(jr)
		addrs = bindSpecs(env,
			directorSpec(host, wire.ProtoHTTPS, 444, true),
			directorSpec(host, wire.ProtoHTTP, 8080, true),
			directorSpec(host, wire.ProtoSIPMTLS, 5061, true),
			directorSpec(host, wire.ProtoCLSMTLS, 50001, true),
			directorSpec(host, wire.ProtoUDPQUIC, 443, true))
	})

	It("journals a bare TCP connect as a guard hit, with the source", func() {
		c, err := dialer().Dial("tcp", addrs["guard-https-444"])
		Expect(err).NotTo(HaveOccurred())
		local := c.LocalAddr().String()
		c.Close()
		Eventually(jr.Events).Should(ContainElement(guardHit("guard-https-444", local)))
		Expect(jr.Events()).NotTo(ContainElement(HaveField("Kind", journal.KindHandshake)), "a guard journals the hit only")
	})

	It("answers HTTPS and HTTP with the identity marked guard: the document, and 403 elsewhere", func() {
		for _, url := range []string{"https://" + addrs["guard-https-444"], "http://" + addrs["guard-http-8080"]} {
			cl := webClient("dir-pool.contoso.local", false)
			res, err := cl.Get(url + wire.WellKnownPath)
			Expect(err).NotTo(HaveOccurred())
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			Expect(res.StatusCode).To(Equal(200))
			id, ok := wire.DecodeJSON(body)
			Expect(ok).To(BeTrue(), string(body))
			Expect(id.Guard).To(BeTrue())
			Expect(id.RemoteIP).To(Equal(clientIP))
			if strings.HasPrefix(url, "https") {
				Expect(id.CertSHA256).To(Equal(servedSHA256(env)))
			} else {
				Expect(id.CertSHA256).To(BeEmpty(), "a plain port serves no certificate")
			}

			res, err = cl.Get(url + "/meet/")
			Expect(err).NotTo(HaveOccurred())
			res.Body.Close()
			Expect(res.StatusCode).To(Equal(http.StatusForbidden))
			hid, ok := wire.FromHeaders(res.Header)
			Expect(ok).To(BeTrue())
			Expect(hid.Guard).To(BeTrue())
		}
		Eventually(jr.Events).Should(ContainElements(
			HaveField("Listener", "guard-https-444"), HaveField("Listener", "guard-http-8080")))
		for _, e := range jr.Events() {
			Expect(e.Kind).To(Equal(journal.KindGuard), "every line of a guard is a hit")
		}
	})

	It("forbids SIP with a 403 carrying the identity header, guard=true", func() {
		res, err := sipRequest(keys.probe, "dir-pool.contoso.local", addrs["guard-sip-mtls-5061"], sip.OPTIONS)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.StatusCode).To(Equal(403))
		id, ok := wire.ParseSIP(res.GetHeader(wire.HeaderSIP).Value())
		Expect(ok).To(BeTrue())
		Expect(id.Guard).To(BeTrue())
		Expect(id.CertSHA256).To(Equal(servedSHA256(env)))
		Expect(id.SourceIP()).To(Equal(clientIP))
		Eventually(jr.Events).Should(ContainElement(HaveField("Listener", "guard-sip-mtls-5061")))
	})

	It("sends the CLS banner with guard=true to any client, certificate or not", func() {
		c := mtlsDial(noCert{}, "dir-pool.contoso.local", addrs["guard-cls-mtls-50001"])
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		id, ok := wire.ParseCLSBanner(strings.TrimSpace(line))
		Expect(ok).To(BeTrue(), line)
		Expect(id.Guard).To(BeTrue())
		Expect(id.Remote).To(Equal(c.LocalAddr().String()))
		Eventually(jr.Events).Should(ContainElement(guardHit("guard-cls-mtls-50001", c.LocalAddr().String())))
	})

	It("answers a QUIC handshake on a denied UDP port with the identity marked guard", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conf := &tls.Config{RootCAs: keys.probe.Roots, ServerName: "dir-pool.contoso.local", NextProtos: []string{listeners.QUICALPN}}
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(clientIP)})
		Expect(err).NotTo(HaveOccurred())
		tr := &quic.Transport{Conn: udp}
		defer tr.Close()
		raddr, err := net.ResolveUDPAddr("udp", addrs["guard-udp-quic-443"])
		Expect(err).NotTo(HaveOccurred())
		qc, err := tr.Dial(ctx, raddr, conf, nil)
		Expect(err).NotTo(HaveOccurred())
		defer qc.CloseWithError(0, "")
		st, err := qc.OpenStreamSync(ctx)
		Expect(err).NotTo(HaveOccurred())
		fmt.Fprint(st, "IDENTITY\n")
		st.Close()
		st.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(st).ReadBytes('\n')
		Expect(err).NotTo(HaveOccurred())
		id, ok := wire.ParseQUICLine(line)
		Expect(ok).To(BeTrue(), string(line))
		Expect(id.Guard).To(BeTrue())
		Expect(id.CertSHA256).To(Equal(servedSHA256(env)))
		Eventually(jr.Events).Should(ContainElement(SatisfyAll(guardHit("guard-udp-quic-443", qc.LocalAddr().String()),
			HaveField("Transport", journal.TransportUDPQUIC))))
	})
})

var _ = Describe("a TCP connection that sends nothing (an HLB monitor, a scanner)", Label("connect-only"), func() {
	const host = "127.0.10.62"
	It("is journaled as connect-only on TLS and plain ports, never as a failed handshake", func() {
		jr := &memJournal{}
		addrs := bindSpecs(directorEnv(jr),
			directorSpec(host, wire.ProtoHTTPS, 443, false),
			directorSpec(host, wire.ProtoSIPMTLS, 5061, false),
			directorSpec(host, wire.ProtoHTTP, 80, false))
		for _, name := range []string{"https-443", "sip-mtls-5061", "http-80"} {
			c, err := dialer().Dial("tcp", addrs[name])
			Expect(err).NotTo(HaveOccurred())
			local := c.LocalAddr().String()
			c.Close()
			Eventually(jr.Events).Should(ContainElement(SatisfyAll(
				HaveField("Kind", journal.KindConnect), HaveField("Listener", name), HaveField("Remote", local),
				HaveField("Outcome", journal.OutcomeConnectOnly), HaveField("Code", wire.CodeConnectOnly),
				HaveField("Reason", ContainSubstring("a TCP health monitor or a scanner")))), name)
		}
		Expect(jr.Events()).NotTo(ContainElement(HaveField("Outcome", journal.OutcomeFailed)))
	})
})
