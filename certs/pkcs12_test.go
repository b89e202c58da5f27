package certs_test

import (
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/topology"
)

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o600) }

var _ = Describe("PFX export and import", func() {
	const name = "edge01-int.contoso.local"
	var dir, out string
	BeforeEach(func() {
		dir, out = testdir.New(), testdir.New()
		_, err := certs.Init(topology.Default(), certs.Options{Dir: dir, Intermediate: true, Key: certs.RSA2048})
		Expect(err).NotTo(HaveOccurred())
	})

	DescribeTable("writes a PFX that openssl pkcs12 reads back with the password, and refuses a wrong one",
		func(format certs.PFXFormat, wantAlg string) {
			written, err := certs.Export(certs.ExportOptions{Dir: dir, Name: name, Out: out, Password: "Pa55-word", Format: format, IncludeRoot: true})
			Expect(err).NotTo(HaveOccurred())
			pfx := filepath.Join(out, name+".pfx")
			Expect(written).To(ContainElements(pfx, filepath.Join(out, name+".der"), filepath.Join(out, name+".cer"), filepath.Join(out, "ca-bundle.crt")))
			st, err := os.Stat(pfx)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))

			info, err := exec.Command("openssl", "pkcs12", "-info", "-in", pfx, "-passin", "pass:Pa55-word", "-noout").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "%s", info)
			Expect(string(info)).To(ContainSubstring(wantAlg))
			Expect(string(info)).To(ContainSubstring("Shrouded Keybag"))
			pem, err := exec.Command("openssl", "pkcs12", "-in", pfx, "-passin", "pass:Pa55-word", "-nokeys").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "%s", pem)
			Expect(string(pem)).To(ContainSubstring("CN = edge-int.contoso.local"))
			Expect(string(pem)).To(ContainSubstring("CN = mockdirector intermediate CA"))
			Expect(string(pem)).To(ContainSubstring("CN = mockdirector root CA"))
			bad, err := exec.Command("openssl", "pkcs12", "-info", "-in", pfx, "-passin", "pass:wrong", "-noout").CombinedOutput()
			Expect(err).To(HaveOccurred(), "openssl must refuse a wrong password: %s", bad)

			By("loading it back as a serving identity: leaf + intermediate served, root trusted")
			id, err := certs.LoadIdentityPassword(pfx, "", "", "Pa55-word")
			Expect(err).NotTo(HaveOccurred())
			Expect(id.Cert.Certificate).To(HaveLen(2))
			Expect(id.Leaf.Subject.CommonName).To(Equal("edge-int.contoso.local"))
			Expect(id.Roots).NotTo(BeNil())

			_, err = certs.LoadIdentityPassword(pfx, "", "", "wrong")
			Expect(err).To(MatchError(And(ContainSubstring(pfx), ContainSubstring("wrong PFX password"))))
			_, err = certs.LoadIdentityPassword(pfx, "", "", "")
			Expect(err).To(MatchError(And(ContainSubstring(pfx), ContainSubstring("--cert-password"))))

			By("refusing to overwrite without force")
			_, err = certs.Export(certs.ExportOptions{Dir: dir, Name: name, Out: out, Password: "x", Format: format})
			Expect(err).To(MatchError(ContainSubstring("refusing to overwrite")))
		},
		Entry("legacy (3DES, what Windows Server 2012 R2/2016 import)", certs.PFXLegacy, "pbeWithSHA1And3-KeyTripleDES-CBC"),
		Entry("modern (AES-256, Windows Server 2019+)", certs.PFXModern, "AES-256-CBC"),
	)

	It("reads a PFX made by openssl", func() {
		pfx := filepath.Join(out, "site.pfx")
		o, err := exec.Command("openssl", "pkcs12", "-export", "-in", certs.CertPath(dir, name), "-inkey", certs.KeyPath(dir, name),
			"-certfile", filepath.Join(dir, certs.CACertFile), "-passout", "pass:abc", "-out", pfx).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", o)
		id, err := certs.LoadIdentityPassword(pfx, "", filepath.Join(dir, certs.CACertFile), "abc")
		Expect(err).NotTo(HaveOccurred())
		Expect(id.Cert.Certificate).To(HaveLen(2), "leaf + intermediate; the root is not served")

		By("importing it into a certificate directory")
		written, err := certs.Import(out, "site", pfx, "", "abc", false)
		Expect(err).NotTo(HaveOccurred())
		st, err := os.Stat(written[1])
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		_, err = certs.LoadIdentity(written[0], written[1], filepath.Join(dir, certs.CACertFile))
		Expect(err).NotTo(HaveOccurred())
		_, err = certs.Import(out, "site", pfx, "", "abc", false)
		Expect(err).To(MatchError(ContainSubstring("refusing to overwrite")))
	})

	It("names the file of a corrupt PEM certificate or key", func() {
		bad := filepath.Join(out, "corrupt.crt")
		Expect(writeFile(bad, "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n")).To(Succeed())
		_, err := certs.LoadIdentity(bad, certs.KeyPath(dir, name), filepath.Join(dir, certs.CACertFile))
		Expect(err).To(MatchError(ContainSubstring(bad)))
		good, err := os.ReadFile(certs.CertPath(dir, name))
		Expect(err).NotTo(HaveOccurred())
		Expect(writeFile(bad, string(good[:len(good)/2])+"\n-----END CERTIFICATE-----\n")).To(Succeed())
		_, err = certs.LoadIdentity(bad, certs.KeyPath(dir, name), filepath.Join(dir, certs.CACertFile))
		Expect(err).To(MatchError(ContainSubstring(bad)))
		badKey := filepath.Join(out, "corrupt.key")
		Expect(writeFile(badKey, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")).To(Succeed())
		_, err = certs.LoadIdentity(certs.CertPath(dir, name), badKey, filepath.Join(dir, certs.CACertFile))
		Expect(err).To(MatchError(ContainSubstring(badKey)))
		notPFX := filepath.Join(out, "notreally.pfx")
		Expect(writeFile(notPFX, string(good))).To(Succeed())
		_, err = certs.LoadIdentityPassword(notPFX, "", "", "x")
		Expect(err).To(MatchError(And(ContainSubstring(notPFX), ContainSubstring("not a readable PFX"))))
	})
})
