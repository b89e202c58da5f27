package certs_test

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/topology"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

var _ = Describe("VerifyCRL and the validity and key findings", func() {
	var dir string
	var ca *certs.Pair
	BeforeEach(func() {
		dir = testdir.New()
		_, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir})
		Expect(err).NotTo(HaveOccurred())
		ca, err = certs.LoadPair(filepath.Join(dir, certs.CACertFile), filepath.Join(dir, certs.CAKeyFile))
		Expect(err).NotTo(HaveOccurred())
	})

	It("takes the CA's CRL, and names a wrong issuer, an expired CRL and an HTML answer", func() {
		der, err := os.ReadFile(filepath.Join(dir, certs.CACRLFile))
		Expect(err).NotTo(HaveOccurred())
		crl, err := certs.VerifyCRL(der, ca.Cert, time.Now())
		Expect(err).NotTo(HaveOccurred())
		Expect(crl.Number.Int64()).To(Equal(int64(1)))
		_, err = certs.VerifyCRL(der, ca.Cert, time.Now().Add(8*24*time.Hour))
		Expect(err).To(MatchError(ContainSubstring("expired on")))
		leaf, err := certs.ReadCerts(certs.CertPath(dir, dirLeaf))
		Expect(err).NotTo(HaveOccurred())
		_, err = certs.VerifyCRL(der, leaf[0], time.Now())
		Expect(err).To(MatchError(ContainSubstring("is not signed by the issuer")))
		_, err = certs.VerifyCRL([]byte("<html>Access denied</html>"), ca.Cert, time.Now())
		Expect(err).To(MatchError(ContainSubstring("looks like HTML")))

		By("a CRL whose signature does not verify makes the revocation hook refuse, not pass")
		store := certs.OpenPKI(dir)
		Expect(store.CheckRevoked(leaf)).To(Succeed())
		der[len(der)-1] ^= 0xff // the last byte of the signature
		Expect(os.WriteFile(filepath.Join(dir, certs.CACRLFile), der, 0o644)).To(Succeed())
		Expect(os.Chtimes(filepath.Join(dir, certs.CACRLFile), time.Now(), time.Now().Add(time.Second))).To(Succeed())
		Expect(store.CheckRevoked(leaf)).To(MatchError(ContainSubstring("signature does not verify")))
	})

	It("warns of more than 825 days, of an RSA length Lync does not list, and of a client certificate without CDP", func() {
		p, err := certs.ProfileFor(topology.Default(), "director", "dir01")
		Expect(err).NotTo(HaveOccurred())
		req := certs.Plan(topology.Default())[dirLeaf]
		req.PrivateKey = ca.Key // the key is not the point here: reuse one
		publish := func(r *certs.Request) {
			r.CRLURLs, r.IssuerURLs = []string{"http://pki.contoso.com/mockdirector/ca.crl"}, []string{"http://pki.contoso.com/mockdirector/ca.crt"}
		}
		publish(&req)
		req.Validity = 826 * 24 * time.Hour
		long, err := certs.Issue(req, ca)
		Expect(err).NotTo(HaveOccurred())
		Expect(certs.Codes(certs.Lint([]*x509.Certificate{long.Cert}, p), certs.SeverityWarning)).To(ConsistOf(certs.CodeValidityLong))

		client, err := certs.Issue(certs.Request{CommonName: "probe", DNSNames: []string{"probe"}, PrivateKey: ca.Key}, ca)
		Expect(err).NotTo(HaveOccurred())
		fs := certs.Lint([]*x509.Certificate{client.Cert}, certs.LintProfile{ClientOnly: true})
		Expect(certs.Codes(fs, certs.SeverityWarning)).To(ConsistOf(certs.CodeNoCDP))
		Expect(certs.HasErrors(fs)).To(BeFalse(), "not a Lync server role: a warning")
	})
})

// BenchmarkCheckRevoked is the cost the revocation hook adds to every client-certificate
// handshake: stat of the CA and CRL files, issuer match, signature check, serial lookup.
func BenchmarkCheckRevoked(b *testing.B) {
	dir := b.TempDir()
	if _, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir}); err != nil {
		b.Fatal(err)
	}
	chain, err := certs.ReadCerts(certs.CertPath(dir, edgeLeaf))
	if err != nil {
		b.Fatal(err)
	}
	store := certs.OpenPKI(dir)
	b.ReportAllocs()
	for b.Loop() {
		if err := store.CheckRevoked(chain); err != nil {
			b.Fatal(err)
		}
	}
}
