package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

// runCDP plans the built-in scenario's cdp row from role and runs it.
func runCDP(o probe.Options, from string) probe.Result {
	o.Scenario, o.Only = scenarios.Default(), from+"->pki tcp/80"
	jobs, err := probe.Plan(o)
	Expect(err).NotTo(HaveOccurred())
	Expect(jobs).To(HaveLen(1))
	Expect(jobs[0].Check).To(Equal(probe.CheckCDP))
	return probe.RunJob(context.Background(), &jobs[0])
}

// pkiServer answers every request with h on 127.0.20.41 and books it as the pki host's port 80.
func pkiServer(o *probe.Options, h http.HandlerFunc) {
	ln, err := net.Listen("tcp", "127.0.20.41:0")
	Expect(err).NotTo(HaveOccurred())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	DeferCleanup(srv.Close)
	o.Addresses = probe.AddressBook{}
	o.Addresses.Add(scenarios.RolePKI, "", 80, ln.Addr().String())
}

// foreignCA is a CA nobody trusts, and a CRL it signed.
func foreignCA() (*x509.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Expect(err).NotTo(HaveOccurred())
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "someone else's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	Expect(err).NotTo(HaveOccurred())
	ca, err := x509.ParseCertificate(der)
	Expect(err).NotTo(HaveOccurred())
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour)}, ca, key)
	Expect(err).NotTo(HaveOccurred())
	return ca, crl
}

var _ = Describe("the cdp check", Ordered, Label("cdp"), func() {
	var l *lab
	var o probe.Options
	BeforeAll(func() {
		l = startLab()
	})
	BeforeEach(func() { o = l.options() })

	It("fetches the CRL and the CA certificate of the MTLS peers' chains from the PKI mock, from each source", func() {
		for _, from := range []string{scenarios.RoleEdgeInternal, scenarios.RoleDirector, scenarios.RoleFrontend} {
			res := runCDP(o, from)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(res.Reason).To(ContainSubstring("http://pki.contoso.com/mockdirector/ca.crl (CRL of mockdirector root CA"))
			Expect(res.Reason).To(ContainSubstring("http://pki.contoso.com/mockdirector/ca.crt (CA certificate mockdirector root CA)"))
			Expect(res.Identity).NotTo(BeNil())
			Expect(res.Identity.Role).To(Equal(scenarios.RolePKI), "the PKI mock answered")
		}
	})

	fails := func(h http.HandlerFunc, want ...string) probe.Result {
		pkiServer(&o, h)
		res := runCDP(o, scenarios.RoleEdgeInternal)
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		for _, w := range want {
			Expect(res.Reason).To(ContainSubstring(w))
		}
		return res
	}
	caFile := func() *x509.Certificate {
		c, err := certs.ReadCerts(filepath.Join(l.certDir, certs.CACertFile))
		Expect(err).NotTo(HaveOccurred())
		return c[0]
	}

	It("fails naming the URL and the HTTP status when the PKI host answers 404", func() {
		res := fails(http.NotFound, "http://pki.contoso.com/mockdirector/ca.crl: HTTP 404 Not Found", "http://pki.contoso.com/mockdirector/ca.crt: HTTP 404")
		Expect(res.Code).To(Equal(wire.CodeHTTPStatus))
	})

	It("fails naming the URL when the answer is not a CRL (a web server's page)", func() {
		fails(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html>It works!</html>")) },
			"http://pki.contoso.com/mockdirector/ca.crl: not a CRL (the answer looks like HTML", "ca.crt: not a certificate")
	})

	It("fails when the CRL is signed by another CA, and when the AIA serves another CA's certificate", func() {
		other, crl := foreignCA()
		fails(func(w http.ResponseWriter, r *http.Request) {
			if filepath.Ext(r.URL.Path) == ".crl" {
				w.Write(crl)
				return
			}
			w.Write(other.Raw)
		}, "ca.crl: CRL of \"CN=someone else's CA\" is not signed by the issuer \"CN=mockdirector root CA", "ca.crt: a certificate, but not the issuer's")
	})

	It("fails when the CA's CRL has expired", func() {
		ca, err := certs.LoadPair(filepath.Join(l.certDir, certs.CACertFile), filepath.Join(l.certDir, certs.CAKeyFile))
		Expect(err).NotTo(HaveOccurred())
		old := time.Now().Add(-30 * 24 * time.Hour)
		crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(9), ThisUpdate: old, NextUpdate: old.Add(7 * 24 * time.Hour)}, ca.Cert, ca.Key)
		Expect(err).NotTo(HaveOccurred())
		Expect(caFile().Equal(ca.Cert)).To(BeTrue())
		res := fails(func(w http.ResponseWriter, r *http.Request) {
			if filepath.Ext(r.URL.Path) == ".crl" {
				w.Write(crl)
				return
			}
			w.Write(ca.Cert.Raw)
		}, "1 of 2 CDP/AIA URLs failed: http://pki.contoso.com/mockdirector/ca.crl: CRL of \"CN=mockdirector root CA", "expired on")
		Expect(res.Code).To(Equal(wire.CodeExpired))
	})

	It("fails refused, naming the URL, when nothing listens on the PKI host", func() {
		ln, err := net.Listen("tcp", "127.0.20.41:0")
		Expect(err).NotTo(HaveOccurred())
		addr := ln.Addr().String()
		ln.Close()
		o.Addresses = probe.AddressBook{}
		o.Addresses.Add(scenarios.RolePKI, "", 80, addr)
		res := runCDP(o, scenarios.RoleEdgeInternal)
		Expect(res.Verdict).To(Equal(wire.VerdictFail))
		Expect(res.Observed).To(Equal(wire.StateRefused))
		Expect(res.Reason).To(ContainSubstring("http://pki.contoso.com/mockdirector/ca.crl: connection refused"))
		Expect(res.Reason).To(ContainSubstring("(to " + addr + ")"))
	})

	It("never passes when the chain names no CRL Distribution Point to fetch", func() {
		// The site's own certificate (--cert), from a CA that publishes no CRL.
		caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		Expect(err).NotTo(HaveOccurred())
		caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "no-CDP CA"}, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
		caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
		Expect(err).NotTo(HaveOccurred())
		ca, _ := x509.ParseCertificate(caDER)
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		Expect(err).NotTo(HaveOccurred())
		leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "edge01-int.contoso.local"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, &key.PublicKey, caKey)
		Expect(err).NotTo(HaveOccurred())
		dir := testdir.New()
		pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
		Expect(err).NotTo(HaveOccurred())
		write := func(name, typ string, der []byte) string {
			p := filepath.Join(dir, name)
			Expect(os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)).To(Succeed())
			return p
		}
		o.Credentials = probe.Credentials{CertFile: write("leaf.crt", "CERTIFICATE", leafDER), KeyFile: write("leaf.key", "PRIVATE KEY", pkcs8), CAFile: write("ca.crt", "CERTIFICATE", caDER)}
		res := runCDP(o, scenarios.RoleEdgeInternal)
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Reason).To(ContainSubstring("edge01-int.contoso.local names no CRL Distribution Point"))
	})
})
