package certs_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/topology"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

const (
	dirLeaf  = "dir01.contoso.local"
	edgeLeaf = "edge01-int.contoso.local"
)

func openssl(args ...string) (string, error) {
	out, err := exec.Command("openssl", args...).CombinedOutput()
	return string(out), err
}

// servePKI runs PKIHandler on a loopback port until the spec ends and returns host:port.
func servePKI(store *certs.PKIStore) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	srv := &http.Server{Handler: certs.PKIHandler(store), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	DeferCleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// curlCRL fetches url with curl, connecting to addr whatever the URL's host (as DNS would send
// pki.<domain> to this mock), writes the body to file and returns the Content-Type.
func curlCRL(url, addr, file string) string {
	host := strings.SplitN(strings.TrimPrefix(url, "http://"), "/", 2)[0]
	out, err := exec.Command("curl", "-sS", "--max-time", "10", "--connect-to", host+":80:"+addr, "-o", file, "-w", "%{http_code} %{content_type}", url).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "curl %s: %s", url, out)
	code, ctype, _ := strings.Cut(string(out), " ")
	Expect(code).To(Equal("200"), "curl %s", url)
	return ctype
}

var _ = Describe("certificates as Lync wants them, and a real CRL", Ordered, func() {
	var dir string
	BeforeAll(func() {
		dir = testdir.New()
		_, err := certs.Init(topology.Default(), certs.Options{Dir: dir})
		Expect(err).NotTo(HaveOccurred())
	})

	It("issues RSA 2048, SHA-256, a CDP and an AIA, 825 days backdate included (openssl x509 -text)", func() {
		out, err := openssl("x509", "-in", certs.CertPath(dir, dirLeaf), "-noout", "-text")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("Public-Key: (2048 bit)"))
		Expect(out).To(ContainSubstring("Signature Algorithm: sha256WithRSAEncryption"))
		Expect(out).To(MatchRegexp(`X509v3 CRL Distribution Points:\s+Full Name:\s+URI:http://pki.contoso.com/mockdirector/ca.crl`))
		Expect(out).To(MatchRegexp(`Authority Information Access:\s+CA Issuers - URI:http://pki.contoso.com/mockdirector/ca.crt`))
		for name := range certs.Plan(topology.Default()) {
			chain, err := certs.ReadCerts(certs.CertPath(dir, name))
			Expect(err).NotTo(HaveOccurred())
			Expect(chain[0].NotAfter.Sub(chain[0].NotBefore)).To(Equal(825*24*time.Hour), name)
			Expect(chain[0].NotBefore).To(BeTemporally("<", time.Now()), "backdated, within the 825 days")
			Expect(chain[0].CRLDistributionPoints).To(HaveLen(1), name)
		}
		Expect(filepath.Join(dir, certs.PKIBaseFile)).To(BeAnExistingFile())

		By("the lint passes it for its role, and would warn of an ECDSA leaf")
		chain, err := certs.ReadCerts(certs.CertPath(dir, dirLeaf))
		Expect(err).NotTo(HaveOccurred())
		p, err := certs.ProfileFor(topology.Default(), "director", "dir01")
		Expect(err).NotTo(HaveOccurred())
		p.Roots, err = certs.LoadPool(filepath.Join(dir, certs.CACertFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(certs.Lint(chain, p)).To(BeEmpty())
		ca, err := certs.LoadPair(filepath.Join(dir, certs.CACertFile), filepath.Join(dir, certs.CAKeyFile))
		Expect(err).NotTo(HaveOccurred())
		req := certs.Plan(topology.Default())[dirLeaf]
		req.Key, req.CRLURLs, req.IssuerURLs = certs.ECDSAP256, chain[0].CRLDistributionPoints, chain[0].IssuingCertificateURL
		ec, err := certs.Issue(req, ca)
		Expect(err).NotTo(HaveOccurred())
		fs := certs.Lint([]*x509.Certificate{ec.Cert}, p)
		Expect(certs.Codes(fs, certs.SeverityWarning)).To(ConsistOf(certs.CodeKeyType))
		Expect(certs.HasErrors(fs)).To(BeFalse())
		Expect(fs[0].Message).To(ContainSubstring("Lync 2013 peers and older hardware load balancers expect RSA"))
	})

	It("serves the CRL and CA certificate at the CDP and AIA URLs for any Host; openssl parses them", func() {
		addr := servePKI(certs.OpenPKI(dir))
		chain, err := certs.ReadCerts(certs.CertPath(dir, dirLeaf))
		Expect(err).NotTo(HaveOccurred())
		crlDER := filepath.Join(testdir.New(), "ca.crl")
		Expect(curlCRL(chain[0].CRLDistributionPoints[0], addr, crlDER)).To(Equal("application/pkix-crl"))
		out, err := openssl("crl", "-inform", "DER", "-in", crlDER, "-noout", "-text")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("Issuer: O = mockdirector, CN = mockdirector root CA"))
		Expect(out).To(MatchRegexp(`X509v3 CRL Number:\s+1\b`))
		Expect(out).To(ContainSubstring("No Revoked Certificates"))
		crl, err := certs.ReadCRL(crlDER)
		Expect(err).NotTo(HaveOccurred())
		Expect(crl.NextUpdate.Sub(crl.ThisUpdate)).To(Equal(certs.CRLValidity))

		caDER := filepath.Join(testdir.New(), "ca.der")
		Expect(curlCRL(chain[0].IssuingCertificateURL[0], addr, caDER)).To(Equal("application/pkix-cert"))
		out, err = openssl("x509", "-inform", "DER", "-in", caDER, "-noout", "-subject")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("mockdirector root CA"))

		By("any Host, case-insensitive path, GET or HEAD only, 404 elsewhere")
		resp, err := http.Get("http://" + addr + "/MockDirector/CA.CRL")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		resp, err = http.Post("http://"+addr+"/mockdirector/ca.crl", "text/plain", nil)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusMethodNotAllowed))
		for _, p := range []string{"/mockdirector/intermediate.crl", "/mockdirector/other.crl", "/ca.crl"} {
			resp, err = http.Get("http://" + addr + p)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusNotFound), p)
		}
	})

	It("revokes with `certs revoke`: the served CRL changes, openssl verify -crl_check refuses it, a TLS server from ServerConfig refuses it", func() {
		store := certs.OpenPKI(dir)
		addr := servePKI(store)
		tmp := testdir.New()
		fetchPEM := func() string {
			der, pemFile := filepath.Join(tmp, "ca.crl"), filepath.Join(tmp, "ca.crl.pem")
			curlCRL("http://pki.contoso.com/mockdirector/ca.crl", addr, der)
			out, err := openssl("crl", "-inform", "DER", "-in", der, "-out", pemFile)
			Expect(err).NotTo(HaveOccurred(), out)
			return pemFile
		}
		verify := func(crl, name string) (string, error) {
			return openssl("verify", "-crl_check", "-CAfile", filepath.Join(dir, certs.CACertFile), "-CRLfile", crl, certs.CertPath(dir, name))
		}
		out, err := verify(fetchPEM(), edgeLeaf)
		Expect(err).NotTo(HaveOccurred(), "before the revocation: %s", out)

		// A Director's MTLS server built from certs' config, and the Edge as its client.
		server, err := certs.LoadFromDir(dir, dirLeaf)
		Expect(err).NotTo(HaveOccurred())
		edge, err := certs.LoadFromDir(dir, edgeLeaf)
		Expect(err).NotTo(HaveOccurred())
		handshake := func() (serverErr, clientErr error) {
			ln, err := tls.Listen("tcp", "127.0.0.1:0", server.ServerConfig(true))
			Expect(err).NotTo(HaveOccurred())
			defer ln.Close()
			done := make(chan error, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					done <- err
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				done <- c.(*tls.Conn).Handshake()
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			d := tls.Dialer{Config: edge.ClientConfig("dir-pool.contoso.local")}
			c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
			if err == nil {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				_, err = c.Read(make([]byte, 1)) // TLS 1.3: the server's refusal arrives after the client's Finished
				if errors.Is(err, os.ErrDeadlineExceeded) {
					err = nil
				}
				c.Close()
			}
			return <-done, err
		}
		serr, _ := handshake()
		Expect(serr).NotTo(HaveOccurred(), "before the revocation the Edge is accepted")

		s := md("certs", "revoke", "edge01", "--dir", dir, "--reason", "keyCompromise")
		Expect(s).To(gexec.Exit(0))
		serial := certs.SerialHex(edge.Leaf.SerialNumber)
		Expect(s.Out).To(gbytes.Say(`revoked edge01-int.contoso.local \(CN=edge-int.contoso.local,O=mockdirector\), serial ` + serial))
		Expect(s.Out).To(gbytes.Say(`CRL number 2, next update`))

		By("the running handler serves the new CRL; openssl verify -crl_check refuses the Edge, not the others")
		crl := fetchPEM()
		out, err = openssl("crl", "-in", crl, "-noout", "-text")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(MatchRegexp(`X509v3 CRL Number:\s+2\b`))
		Expect(out).To(ContainSubstring("Serial Number: " + serial))
		Expect(out).To(ContainSubstring("Key Compromise"))
		out, err = verify(crl, edgeLeaf)
		Expect(err).To(HaveOccurred(), "openssl must refuse the revoked certificate: %s", out)
		Expect(out).To(ContainSubstring("certificate revoked"))
		out, err = verify(crl, dirLeaf)
		Expect(err).NotTo(HaveOccurred(), out)

		By("the TLS server refuses the Edge's client certificate with the revoked reason")
		serr, cerr := handshake()
		var re *certs.RevokedError
		Expect(errors.As(serr, &re)).To(BeTrue(), "server error: %v", serr)
		Expect(re.Serial.Cmp(edge.Leaf.SerialNumber)).To(Equal(0))
		Expect(serr.Error()).To(MatchRegexp(`certificate CN=edge-int.contoso.local,O=mockdirector revoked on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, serial ` + serial + ` \(reason keyCompromise`))
		Expect(cerr).To(MatchError(ContainSubstring("bad certificate")), "the client hears the refusal")

		By("as a client, the Director refuses the revoked Edge's server certificate too")
		edgeServer, err := tls.Listen("tcp", "127.0.0.1:0", edge.ServerConfig(true))
		Expect(err).NotTo(HaveOccurred())
		defer edgeServer.Close()
		go func() {
			if c, err := edgeServer.Accept(); err == nil {
				c.(*tls.Conn).Handshake()
				c.Close()
			}
		}()
		_, err = tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", edgeServer.Addr().String(), server.ClientConfig("edge-int.contoso.local"))
		Expect(errors.As(err, &re)).To(BeTrue(), "client error: %v", err)

		By("a second revoke of the same certificate says when it was revoked")
		s = md("certs", "revoke", edgeLeaf, "--dir", dir)
		Expect(s).To(gexec.Exit(2))
		Expect(s.Err).To(gbytes.Say(`already revoked: listed in .*ca.crl since`))
	})

	It("refuses to revoke the root, an unknown name or an ambiguous one, naming the candidates", func() {
		_, err := certs.Revoke(dir, "ca", 0, time.Now())
		Expect(err).To(MatchError(ContainSubstring("root CA: it cannot be revoked")))
		_, err = certs.Revoke(dir, "nosuch", 0, time.Now())
		Expect(err).To(MatchError(And(ContainSubstring(`no certificate "nosuch"`), ContainSubstring(dirLeaf))))
		_, err = certs.Revoke(dir, "fe0", 0, time.Now())
		Expect(err).To(MatchError(ContainSubstring("fe01.contoso.local or fe02.contoso.local")))
		s := md("certs", "revoke", "dir02", "--dir", dir, "--reason", "bogus")
		Expect(s).To(gexec.Exit(2))
	})

	It("re-signs a CRL past half its life on Ensure, keeping its entries and counting up", func() {
		before, err := certs.ReadCRL(filepath.Join(dir, certs.CACRLFile))
		Expect(err).NotTo(HaveOccurred())
		_, err = certs.Ensure(topology.Default(), certs.Options{Dir: dir, Now: time.Now().Add(time.Hour)})
		Expect(err).NotTo(HaveOccurred())
		same, err := certs.ReadCRL(filepath.Join(dir, certs.CACRLFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(same.Number).To(Equal(before.Number), "a fresh CRL is left alone")
		written, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir, Now: time.Now().Add(4 * 24 * time.Hour)})
		Expect(err).NotTo(HaveOccurred())
		Expect(written).To(ConsistOf(filepath.Join(dir, certs.CACRLFile)))
		after, err := certs.ReadCRL(filepath.Join(dir, certs.CACRLFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(after.Number.Int64()).To(Equal(before.Number.Int64() + 1))
		Expect(after.RevokedCertificateEntries).To(HaveLen(len(before.RevokedCertificateEntries)))
		Expect(after.NextUpdate).To(BeTemporally(">", before.NextUpdate))

		By("a long-running handler re-signs a CRL past half its life when asked for it")
		_, err = certs.Ensure(topology.Default(), certs.Options{Dir: dir, Now: time.Now().Add(-5 * 24 * time.Hour)})
		Expect(err).NotTo(HaveOccurred())
		aged, err := certs.ReadCRL(filepath.Join(dir, certs.CACRLFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(aged.NextUpdate).To(BeTemporally("<", time.Now().Add(3*24*time.Hour)))
		addr := servePKI(certs.OpenPKI(dir))
		f := filepath.Join(testdir.New(), "ca.crl")
		curlCRL("http://pki.contoso.com/mockdirector/ca.crl", addr, f)
		served, err := certs.ReadCRL(f)
		Expect(err).NotTo(HaveOccurred())
		Expect(served.Number.Int64()).To(Equal(aged.Number.Int64() + 1))
		Expect(served.NextUpdate).To(BeTemporally(">", time.Now().Add(6*24*time.Hour)))
		Expect(served.RevokedCertificateEntries).To(HaveLen(len(before.RevokedCertificateEntries)))
	})
})

var _ = Describe("the pki section of the topology", func() {
	It("puts the site's base URL in every certificate, answers under its path, and refuses a directory made for another", func() {
		topo, err := topology.Parse("site.yaml", []byte(`domain: fabrikam.com
pki:
  base_url: http://crl.fabrikam.local/CertEnroll/
pools:
  director:
    fqdn: dir-pool.fabrikam.local
    members: [{name: dir01.fabrikam.local}]
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(topo.PKIHost()).To(Equal("crl.fabrikam.local"))
		Expect(topo.PKIBaseURL()).To(Equal("http://crl.fabrikam.local/CertEnroll"))
		Expect(topology.Default().PKIHost()).To(Equal("pki.contoso.com"))
		dir := testdir.New()
		_, err = certs.Init(topo, certs.Options{Dir: dir, Intermediate: true})
		Expect(err).NotTo(HaveOccurred())
		leaf, err := certs.ReadCerts(certs.CertPath(dir, "dir01.fabrikam.local"))
		Expect(err).NotTo(HaveOccurred())
		Expect(leaf[0].CRLDistributionPoints).To(Equal([]string{"http://crl.fabrikam.local/CertEnroll/intermediate.crl"}))
		Expect(leaf[0].IssuingCertificateURL).To(Equal([]string{"http://crl.fabrikam.local/CertEnroll/intermediate.crt"}))
		Expect(leaf[1].CRLDistributionPoints).To(Equal([]string{"http://crl.fabrikam.local/CertEnroll/ca.crl"}), "the intermediate names the root's CRL")

		addr := servePKI(certs.OpenPKI(dir))
		for _, u := range []string{"http://crl.fabrikam.local/CertEnroll/intermediate.crl", "http://crl.fabrikam.local/CertEnroll/ca.crl"} {
			f := filepath.Join(testdir.New(), "x.crl")
			curlCRL(u, addr, f)
			out, err := openssl("crl", "-inform", "DER", "-in", f, "-noout", "-issuer")
			Expect(err).NotTo(HaveOccurred(), out)
		}
		resp, err := http.Get("http://" + addr + "/mockdirector/ca.crl")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusNotFound), "only the site's path is answered")

		By("an intermediate-issued leaf is revoked in the intermediate's CRL, which the chain check reads")
		res, err := certs.Revoke(dir, "dir01", 0, time.Now())
		Expect(err).NotTo(HaveOccurred())
		Expect(res.CRLFile).To(Equal(filepath.Join(dir, certs.IntermediateCRLFile)))
		Expect(certs.OpenPKI(dir).CheckRevoked(leaf)).To(MatchError(ContainSubstring("listed in the CRL of mockdirector intermediate CA")))

		_, err = certs.Ensure(topology.Default(), certs.Options{Dir: dir})
		Expect(err).To(MatchError(And(ContainSubstring("http://crl.fabrikam.local/CertEnroll"), ContainSubstring("pki.base_url"))))

		_, err = topology.Parse("bad.yaml", []byte("pki:\n  base_url: ldap:///CN=x\n"))
		Expect(err).To(MatchError(ContainSubstring("want an http:// URL")))
	})
})

var _ = Describe("serve publishes the CRL and refuses a revoked Edge", func() {
	It("answers the CDP on its HTTP listener, and after certs revoke refuses the Edge on 5061, journaled with the reason", func() {
		dir := testdir.New()
		c := filepath.Join(dir, "c")
		Expect(md("certs", "init", "--dir", c)).To(gexec.Exit(0))
		journalFile := filepath.Join(dir, "j.jsonl")
		// This suite's block is 127.0.40.0/24, on ports the kernel picks.
		_, ports := serveEphemeral(dir, "serve", "--role", "director", "--bind", "127.0.40.6", "--journal", journalFile, "--certs", c)

		crl := filepath.Join(dir, "ca.crl")
		Expect(curlCRL("http://pki.contoso.com/mockdirector/ca.crl", ports["director/8080"], crl)).To(Equal("application/pkix-crl"))
		out, err := openssl("crl", "-inform", "DER", "-in", crl, "-noout", "-issuer")
		Expect(err).NotTo(HaveOccurred(), out)

		// -ign_eof: under TLS 1.3 the server's refusal comes after the client's Finished, so the
		// client must stay to hear it. The CLS listener answers QUIT with BYE and closes.
		sClient := func(port, input string) (string, error) {
			Expect(ports).To(HaveKey(port))
			cmd := exec.Command("openssl", "s_client", "-ign_eof", "-connect", ports[port], "-servername", "dir-pool.contoso.local",
				"-CAfile", filepath.Join(c, certs.CACertFile), "-cert", certs.CertPath(c, edgeLeaf), "-key", certs.KeyPath(c, edgeLeaf))
			cmd.Stdin = strings.NewReader(input)
			cmd.WaitDelay = 5 * time.Second
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		out, err = sClient("director/50001", "QUIT\n")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("MOCKDIRECTOR-CLS/1 role=director"), "before the revocation the Edge is accepted")
		Expect(out).To(ContainSubstring("BYE"))

		Expect(md("certs", "revoke", "edge01", "--dir", c)).To(gexec.Exit(0))
		edge, err := certs.ReadCerts(certs.CertPath(c, edgeLeaf))
		Expect(err).NotTo(HaveOccurred())
		for _, port := range []string{"director/50001", "director/5061"} {
			out, _ = sClient(port, "QUIT\n")
			Expect(out).To(ContainSubstring("alert bad certificate"), "the mock refuses the revoked Edge on %s: %s", port, out)
			Expect(out).NotTo(ContainSubstring("MOCKDIRECTOR-CLS"))
		}
		Eventually(func() string {
			b, _ := os.ReadFile(journalFile)
			return string(b)
		}, 10*time.Second).Should(ContainSubstring("revoked on"), "journaled")
		b, err := os.ReadFile(journalFile)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).To(MatchRegexp(`"reason":"certificate CN=edge-int.contoso.local,O=mockdirector revoked on [^"]+, serial ` + certs.SerialHex(edge[0].SerialNumber)))
	})
})
