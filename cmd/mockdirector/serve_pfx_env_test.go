package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

var _ = Describe("mockdirector serve's PFX password", Label("errors", "process"), func() {
	It("comes from --cert-password-file or $MOCKDIRECTOR_CERT_PASSWORD, not only the command line", func() {
		dir := GinkgoT().TempDir()
		certDir := filepath.Join(dir, "certs")
		pwFile := filepath.Join(dir, "pw.txt")
		Expect(os.WriteFile(pwFile, []byte("right\n"), 0o600)).To(Succeed())
		Expect(runMD("certs", "init", "--dir", certDir).ExitCode()).To(BeZero())
		const name = "edge01-int.contoso.local"
		Expect(runMD("certs", "export", "--dir", certDir, "--name", name, "--password-file", pwFile).ExitCode()).To(BeZero())
		pfx := filepath.Join(certDir, name+".pfx")
		Expect(pfx).To(BeAnExistingFile())

		// Each run stops at the PFX (a wrong or missing password), before binding any port, so
		// the message shows which password reached the PFX decoder.
		serve := func(env []string, extra ...string) string {
			args := append([]string{"serve", "--role", "edge-internal", "--bind", "127.0.10.60",
				"--journal", filepath.Join(dir, "j.jsonl"), "--cert", pfx}, extra...)
			cmd := exec.Command(binPath, args...)
			cmd.Env = append(os.Environ(), env...)
			s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			Eventually(s, 30*time.Second).Should(gexec.Exit())
			Expect(s.ExitCode()).NotTo(BeZero())
			return string(s.Err.Contents())
		}
		wrong := filepath.Join(dir, "wrong.txt")
		Expect(os.WriteFile(wrong, []byte("wrong\n"), 0o600)).To(Succeed())
		Expect(serve(nil)).To(ContainSubstring("the PFX is password-protected"))
		Expect(serve([]string{"MOCKDIRECTOR_CERT_PASSWORD=wrong"})).To(ContainSubstring("wrong PFX password"))
		Expect(serve(nil, "--cert-password-file", wrong)).To(ContainSubstring("wrong PFX password"))
		// The right password opens the PFX: the run goes on to the next input, a missing --ca.
		noCA := filepath.Join(dir, "no-ca.crt")
		Expect(serve([]string{"MOCKDIRECTOR_CERT_PASSWORD=right"}, "--ca", noCA)).To(SatisfyAll(ContainSubstring(noCA), Not(ContainSubstring("PFX"))))
		Expect(serve(nil, "--cert-password-file", pwFile, "--ca", noCA)).To(SatisfyAll(ContainSubstring(noCA), Not(ContainSubstring("PFX"))))
		Expect(serve(nil, "--cert-password-file", pwFile, "--cert-password", "x")).To(ContainSubstring("--cert-password and --cert-password-file both"))
	})
})
