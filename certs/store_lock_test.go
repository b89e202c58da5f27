package certs_test

import (
	"crypto/x509"
	"path/filepath"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("certs.Ensure run by several members at once", func() {
	It("makes one CA that every leaf chains to", func() {
		dir := filepath.Join(testdir.New(), "certs")
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer GinkgoRecover()
				_, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir})
				Expect(err).NotTo(HaveOccurred())
			}()
		}
		wg.Wait()
		roots, err := certs.LoadPool(filepath.Join(dir, certs.CACertFile))
		Expect(err).NotTo(HaveOccurred())
		for name := range certs.Plan(topology.Default()) {
			chain, err := certs.ReadCerts(certs.CertPath(dir, name))
			Expect(err).NotTo(HaveOccurred())
			inter := x509.NewCertPool()
			for _, c := range chain[1:] {
				inter.AddCert(c)
			}
			_, err = chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			Expect(err).NotTo(HaveOccurred(), "%s does not chain to the CA on disk", name)
		}
	})
})
