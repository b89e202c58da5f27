package main_test

import (
	"crypto/sha1" //nolint:gosec // the thumbprint Windows shows is SHA-1
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("mockdirector and the Windows certificate store", Label("errors", "process"), func() {
	It("certs export prints the PowerShell import lines and the thumbprint Windows will show, which is the SHA-1 of the DER it wrote", func() {
		dir := GinkgoT().TempDir()
		certDir, out, pw := filepath.Join(dir, "certs"), filepath.Join(dir, "out"), filepath.Join(dir, "pw.txt")
		Expect(os.WriteFile(pw, []byte("test-only\n"), 0o600)).To(Succeed())
		Expect(runMD("certs", "init", "--dir", certDir).ExitCode()).To(BeZero())
		const name = "dir01.contoso.local"
		s := runMD("certs", "export", "--dir", certDir, "--name", name, "--password-file", pw, "--out", out)
		Expect(s.ExitCode()).To(BeZero())
		der, err := os.ReadFile(filepath.Join(out, name+".der"))
		Expect(err).NotTo(HaveOccurred())
		tp := fmt.Sprintf("%X", sha1.Sum(der)) //nolint:gosec // the thumbprint is SHA-1
		text := string(s.Out.Contents())
		Expect(text).To(ContainSubstring("wrote "+filepath.Join(out, name+".pfx")+"\n"), "export still says what it wrote")
		Expect(text).To(ContainSubstring(`  Import-Certificate -FilePath '.\ca.crt' -CertStoreLocation Cert:\LocalMachine\Root` + "\n"))
		Expect(text).To(ContainSubstring(`  Import-PfxCertificate -FilePath '.\` + name + `.pfx' -CertStoreLocation Cert:\LocalMachine\My -Password (Read-Host -AsSecureString -Prompt 'PFX password')` + "\n"))
		Expect(text).To(ContainSubstring("  mockdirector serve --role director --member " + name + " --cert-store My --thumbprint " + tp + "\n"))
		Expect(text).NotTo(ContainSubstring("test-only"), "the password is never printed")
	})

	It("serve --cert-store says, off Windows, which flags serve the same certificate from files", func() {
		if runtime.GOOS == "windows" {
			Skip("the store exists on Windows")
		}
		s := runMD("serve", "--role", "director", "--bind", "127.0.10.61", "--port-offset", "10000",
			"--journal", filepath.Join(GinkgoT().TempDir(), "j.jsonl"), "--cert-store", "My", "--thumbprint", "\u200ea9 09 50 2d d8 2a e4 14 33 e6 f8 38 86 b0 0d 42 77 a3 2a 7b")
		Expect(s.ExitCode()).To(Equal(2))
		Expect(string(s.Err.Contents())).To(SatisfyAll(
			ContainSubstring("the Windows certificate store exists only on Windows; on " + runtime.GOOS + " use --cert CHAIN.pem --key-file KEY.pem --ca CA.pem, or --cert SITE.pfx --cert-password-file FILE"),
		))
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring("ready"))
	})

	It("serve refuses --cert-store with --cert before opening any store", func() {
		s := runMD("serve", "--role", "director", "--bind", "127.0.10.61", "--journal", filepath.Join(GinkgoT().TempDir(), "j.jsonl"),
			"--cert-store", "My", "--thumbprint", "A909502DD82AE41433E6F83886B00D4277A32A7B", "--cert", "site.pem")
		Expect(s.ExitCode()).To(Equal(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring("leave out --cert, --key-file and --cert-password"))
	})
})
