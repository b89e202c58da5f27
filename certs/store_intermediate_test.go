package certs_test

import (
	"crypto/x509"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("Init with an intermediate CA", func() {
	var dir string
	BeforeEach(func() { dir = testdir.New() })

	It("issues every leaf from the intermediate and serves the chain complete", func() {
		written, err := certs.Init(topology.Default(), certs.Options{Dir: dir, Intermediate: true, Key: certs.RSA2048})
		Expect(err).NotTo(HaveOccurred())
		Expect(written).To(ContainElements(filepath.Join(dir, certs.IntermediateCertFile), filepath.Join(dir, certs.IntermediateKeyFile)))
		for _, w := range written {
			st, err := os.Stat(w)
			Expect(err).NotTo(HaveOccurred())
			if filepath.Ext(w) == ".key" {
				Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)), w)
			} else {
				Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o644)), w)
			}
		}
		id, err := certs.LoadFromDir(dir, "dir01.contoso.local")
		Expect(err).NotTo(HaveOccurred())
		Expect(id.Cert.Certificate).To(HaveLen(2), "leaf + intermediate")
		inter, err := x509.ParseCertificate(id.Cert.Certificate[1])
		Expect(err).NotTo(HaveOccurred())
		Expect(inter.IsCA).To(BeTrue())
		Expect(id.Leaf.Issuer.String()).To(Equal(inter.Subject.String()))
		// Trusting only the root is enough, given the served intermediate.
		pool := x509.NewCertPool()
		pool.AddCert(inter)
		_, err = id.Leaf.Verify(x509.VerifyOptions{Roots: id.Roots, Intermediates: pool, DNSName: "dir-pool.contoso.local"})
		Expect(err).NotTo(HaveOccurred())
		_, err = id.Leaf.Verify(x509.VerifyOptions{Roots: id.Roots, DNSName: "dir-pool.contoso.local"})
		Expect(err).To(HaveOccurred(), "without the intermediate the chain must not verify")

		By("refusing a second init without --force")
		_, err = certs.Init(topology.Default(), certs.Options{Dir: dir, Intermediate: true})
		Expect(err).To(MatchError(ContainSubstring("refusing to overwrite")))

		By("issuing a later leaf from the same intermediate")
		Expect(os.Remove(certs.CertPath(dir, "fe02.contoso.local"))).To(Succeed())
		Expect(os.Remove(certs.KeyPath(dir, "fe02.contoso.local"))).To(Succeed())
		_, err = certs.Ensure(topology.Default(), certs.Options{Dir: dir})
		Expect(err).NotTo(HaveOccurred())
		fe, err := certs.LoadFromDir(dir, "fe02.contoso.local")
		Expect(err).NotTo(HaveOccurred())
		Expect(fe.Cert.Certificate).To(HaveLen(2))
		Expect(fe.Leaf.CheckSignatureFrom(inter)).To(Succeed())
	})

	It("honours the validity and key type", func() {
		_, err := certs.Init(topology.Default(), certs.Options{Dir: dir, Validity: 90 * 24 * 3600e9, Key: certs.ECDSAP256})
		Expect(err).NotTo(HaveOccurred())
		id, err := certs.LoadFromDir(dir, certs.ProbeName)
		Expect(err).NotTo(HaveOccurred())
		Expect(id.Leaf.NotAfter.Sub(id.Leaf.NotBefore).Hours()).To(BeNumerically("==", 90*24), "the backdate is inside the validity")
		Expect(id.Leaf.PublicKeyAlgorithm).To(Equal(x509.ECDSA))
		Expect(id.Cert.Certificate).To(HaveLen(1), "no intermediate asked for")
	})
})
