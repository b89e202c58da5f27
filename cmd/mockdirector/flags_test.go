package main_test

import (
	"crypto/ecdsa"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/certs"
)

var _ = Describe("the key-type flag", func() {
	It("is --key-type; --key still works as a deprecated name that says what to use", func() {
		dir := GinkgoT().TempDir()
		s, err := gexec.Start(exec.Command(binPath, "certs", "init", "--dir", filepath.Join(dir, "a"), "--key-type", "ecdsa-p256"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 60*time.Second).Should(gexec.Exit(0))
		id, err := certs.LoadFromDir(filepath.Join(dir, "a"), certs.ProbeName)
		Expect(err).NotTo(HaveOccurred())
		Expect(id.Leaf.PublicKey).To(BeAssignableToTypeOf(&ecdsa.PublicKey{}))

		s, err = gexec.Start(exec.Command(binPath, "certs", "init", "--dir", filepath.Join(dir, "b"), "--key", "ecdsa-p256"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 60*time.Second).Should(gexec.Exit(0))
		Expect(s.Err).To(gbytes.Say(`--key has been deprecated, use --key-type \(the site's own private key file is --key-file\)`))

		s, err = gexec.Start(exec.Command(binPath, "serve", "--help"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 10*time.Second).Should(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say(`--key-file`))
		Expect(s.Out).To(gbytes.Say(`--key-type`))
		Expect(string(s.Out.Contents())).NotTo(MatchRegexp(`--key\s`), "the deprecated name is hidden")
	})
})
