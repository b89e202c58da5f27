package main_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/mockdirector/mockdirector/certs"
)

var _ = Describe("mockdirector serve --role pki", Label("process", "pki"), func() {
	It("answers the CDP and AIA paths on 80 with the CA's CRL and certificate, journaled, and binds no guards, holding no private key", func() {
		// The CA is made where it is kept; the PKI host gets only what it publishes.
		full, pub := filepath.Join(GinkgoT().TempDir(), "ca"), GinkgoT().TempDir()
		Expect(runMD("certs", "init", "--dir", full).ExitCode()).To(Equal(0))
		for _, f := range []string{certs.CACertFile, "ca.crl"} {
			data, err := os.ReadFile(filepath.Join(full, f))
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join(pub, f), data, 0o644)).To(Succeed())
		}
		m := startServe("pki", "127.0.10.59", "--certs", pub)
		m.certs = pub
		keys, _ := filepath.Glob(filepath.Join(pub, "*.key"))
		Expect(keys).To(BeEmpty(), "the PKI web server needs and makes no private key")
		Expect(string(m.session.Out.Contents())).NotTo(ContainSubstring("guard listeners"), "the table denies nothing toward the PKI host")
		c := &http.Client{Timeout: 5 * time.Second}
		res, err := c.Get("http://" + m.addr(80) + "/mockdirector/ca.crl")
		Expect(err).NotTo(HaveOccurred())
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		Expect(err).NotTo(HaveOccurred())
		Expect(res.StatusCode).To(Equal(http.StatusOK))
		Expect(res.Header.Get("Content-Type")).To(Equal("application/pkix-crl"))
		Expect(res.Header.Get("X-MockDirector-Role")).To(Equal("pki"))
		ca, err := certs.ReadCerts(filepath.Join(m.certs, certs.CACertFile))
		Expect(err).NotTo(HaveOccurred())
		_, err = certs.VerifyCRL(body, ca[0], time.Now())
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return countKind(m.events(), "http") }, 5*time.Second).Should(Equal(1))
		Expect(m.events()[0].Role).To(Equal("pki"))
	})

	It("says what to copy when the published files are missing", func() {
		s := runMD("serve", "--role", "pki", "--certs", GinkgoT().TempDir(), "--journal", filepath.Join(GinkgoT().TempDir(), "j.jsonl"))
		Expect(s.ExitCode()).To(Equal(2))
		Expect(s.Err).To(gbytes.Say(`--role pki publishes the CA's certificate and CRL from --certs .*: run mockdirector certs init \(where the CA is kept\) and copy ca.crt and its .crl here`))
	})

	It("refuses the site's own certificates: it publishes the CA of --certs", func() {
		s := runMD("serve", "--role", "pki", "--cert", "site.crt", "--journal", filepath.Join(GinkgoT().TempDir(), "j.jsonl"))
		Expect(s.ExitCode()).To(Equal(2))
		Expect(s.Err).To(gbytes.Say(`--role pki publishes the CRL and certificate of the CA in --certs DIR`))
	})
})
