package certs_test

import (
	"crypto/x509"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("Lint", func() {
	var dir string
	var profile certs.LintProfile

	BeforeEach(func() {
		dir = testdir.New()
		topo := topology.Default()
		_, err := certs.GenerateFaults(dir, certs.Plan(topo)["dir01.contoso.local"], false)
		Expect(err).NotTo(HaveOccurred())
		profile, err = certs.ProfileFor(topo, "director", "dir01")
		Expect(err).NotTo(HaveOccurred())
		profile.Roots, err = certs.LoadPool(filepath.Join(dir, certs.CACertFile))
		Expect(err).NotTo(HaveOccurred())
	})

	faultEntries := []TableEntry{}
	for _, f := range certs.Faults {
		faultEntries = append(faultEntries, Entry(f.Name, f))
	}
	DescribeTable("reports exactly the documented findings of each fault certificate",
		func(f certs.Fault) {
			chain, err := certs.ReadCerts(certs.CertPath(dir, f.Name))
			Expect(err).NotTo(HaveOccurred())
			got := certs.Lint(chain, profile)
			for _, fd := range got {
				Expect(fd.Fix).NotTo(BeEmpty(), "every finding says how to fix it: %s", fd)
				Expect(fd.Message).NotTo(BeEmpty())
			}
			// Above info, the findings are exactly the documented ones (no more, no fewer).
			want := f.LintCodes
			gotCodes := certs.Codes(got, certs.SeverityWarning)
			Expect(uniq(gotCodes)).To(ConsistOf(want), "findings: %v", got)
		},
		faultEntries,
	)

	It("tells a missing intermediate from an untrusted CA when it knows the intermediate", func() {
		chain, err := certs.ReadCerts(certs.CertPath(dir, certs.FaultMissingIntermediate))
		Expect(err).NotTo(HaveOccurred())
		inter, err := certs.ReadCerts(filepath.Join(dir, certs.IntermediateCertFile))
		Expect(err).NotTo(HaveOccurred())
		profile.ExtraIntermediates = inter
		Expect(certs.Codes(certs.Lint(chain, profile), certs.SeverityError)).To(ConsistOf(certs.CodeChainIncomplete))
	})

	It("warns of a certificate expiring within 30 days, and not of one expiring later", func() {
		chain, err := certs.ReadCerts(certs.CertPath(dir, certs.FaultGood))
		Expect(err).NotTo(HaveOccurred())
		profile.Now = chain[0].NotAfter.Add(-10 * 24 * time.Hour)
		Expect(certs.Codes(certs.Lint(chain, profile), certs.SeverityWarning)).To(ConsistOf(certs.CodeExpiringSoon))
		profile.Now = chain[0].NotAfter.Add(-40 * 24 * time.Hour)
		Expect(certs.Codes(certs.Lint(chain, profile), certs.SeverityWarning)).To(BeEmpty())
	})

	It("really signed the sha1 fault with SHA-1, and crypto/x509 refuses it", func() {
		chain, err := certs.ReadCerts(certs.CertPath(dir, certs.FaultSHA1))
		Expect(err).NotTo(HaveOccurred())
		Expect(chain[0].SignatureAlgorithm).To(Equal(x509.SHA1WithRSA))
		inter := x509.NewCertPool()
		inter.AddCert(chain[1])
		_, err = chain[0].Verify(x509.VerifyOptions{Roots: profile.Roots, Intermediates: inter})
		Expect(err).To(HaveOccurred())
		Expect(certs.VerifyFailure(err).Code).To(Equal(certs.CodeSignatureSHA1))
	})

	It("names why a chain fails verification", func() {
		verify := func(name, dnsName string) certs.Finding {
			chain, err := certs.ReadCerts(certs.CertPath(dir, name))
			Expect(err).NotTo(HaveOccurred())
			inter := x509.NewCertPool()
			for _, c := range chain[1:] {
				inter.AddCert(c)
			}
			_, err = chain[0].Verify(x509.VerifyOptions{Roots: profile.Roots, Intermediates: inter, DNSName: dnsName,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			return certs.VerifyFailure(err)
		}
		Expect(verify(certs.FaultGood, "dir-pool.contoso.local").Code).To(BeEmpty())
		Expect(verify(certs.FaultExpired, "").Code).To(Equal(certs.CodeExpired))
		Expect(verify(certs.FaultNotYetValid, "").Code).To(Equal(certs.CodeNotYetValid))
		Expect(verify(certs.FaultWrongSAN, "dir-pool.contoso.local").Code).To(Equal(certs.CodeNameMismatch))
		Expect(verify(certs.FaultNoClientAuth, "").Code).To(Equal(certs.CodeBadEKU))
		Expect(verify(certs.FaultUntrustedCA, "").Code).To(Equal(certs.CodeChainUntrusted))
		Expect(verify(certs.FaultSelfSigned, "").Code).To(Equal(certs.CodeChainUntrusted))
		Expect(verify(certs.FaultMissingIntermediate, "").Code).To(Equal(certs.CodeChainUntrusted))
	})

	It("refuses to overwrite a fault set without force", func() {
		_, err := certs.GenerateFaults(dir, certs.Request{CommonName: "x"}, false)
		Expect(err).To(MatchError(ContainSubstring("refusing to overwrite")))
		_, err = certs.GenerateFaults(dir, certs.Request{CommonName: "x", DNSNames: []string{"x"}}, true)
		Expect(err).NotTo(HaveOccurred())
	})
})

// Certificates made by openssl, not by mockdirector, judged by the CLI.
var _ = Describe("certs inspect on openssl-made certificates", func() {
	var dir string
	run := func(args ...string) {
		cmd := exec.Command("openssl", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "openssl %v: %s", args, out)
	}
	inspect := func(args ...string) *gexec.Session {
		s, err := gexec.Start(exec.Command(mdBin, append([]string{"certs", "inspect"}, args...)...), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 20*time.Second).Should(gexec.Exit())
		return s
	}
	BeforeEach(func() {
		dir = testdir.New()
		run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "365", "-subj", "/CN=Site Root CA",
			"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
	})
	issue := func(name, bits string, ext string) {
		run("req", "-new", "-newkey", "rsa:"+bits, "-nodes", "-keyout", name+".key", "-out", name+".csr", "-subj", "/CN=dir-pool.contoso.local")
		Expect(writeFile(filepath.Join(dir, name+".ext"), ext)).To(Succeed())
		run("x509", "-req", "-in", name+".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "200", "-sha256", "-extfile", name+".ext", "-out", name+".crt")
	}

	It("reports both a missing SAN and an RSA 1024 key", func() {
		issue("bad", "1024", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n")
		s := inspect(filepath.Join(dir, "bad.crt"), "--role", "director", "--member", "dir01", "--ca", filepath.Join(dir, "ca.crt"))
		Expect(s).To(gexec.Exit(1), "an error finding fails the command")
		Expect(s.Out).To(gbytes.Say(`RSA 1024 bits`))
		Expect(s.Out).To(gbytes.Say(`ERROR\s+NO_SAN`))
		Expect(string(s.Out.Contents())).To(MatchRegexp(`WARNING\s+KEY_RSA_BELOW_2048`))
	})

	It("reports nothing on a good one", func() {
		issue("good", "2048", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n"+
			"subjectAltName=DNS:dir-pool.contoso.local,DNS:dir01.contoso.local,DNS:meet.contoso.com,DNS:dialin.contoso.com,DNS:lyncdiscoverinternal.contoso.com,DNS:lyncdiscover.contoso.com\n")
		s := inspect(filepath.Join(dir, "good.crt"), "--role", "director", "--member", "dir01", "--ca", filepath.Join(dir, "ca.crt"))
		Expect(s).To(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say(`lint: no findings`))
	})
})

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

var _ = Describe("ProfileFor", func() {
	It("asks a Director for its pool, member and simple URLs, and an Edge for its pool only", func() {
		topo := topology.Default()
		p, err := certs.ProfileFor(topo, "director", "dir01")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.PoolFQDN).To(Equal("dir-pool.contoso.local"))
		Expect(p.MTLS).To(BeTrue())
		Expect(p.Names).To(ConsistOf("dir-pool.contoso.local", "dir01.contoso.local", "meet.contoso.com", "dialin.contoso.com",
			"lyncdiscoverinternal.contoso.com", "lyncdiscover.contoso.com"))
		p, err = certs.ProfileFor(topo, "frontend", "")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Members).To(ConsistOf("fe01.contoso.local", "fe02.contoso.local"))
		p, err = certs.ProfileFor(topo, "edge-internal", "")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Names).To(ConsistOf("edge-int.contoso.local"))
		_, err = certs.ProfileFor(topo, "director", "nosuch")
		Expect(err).To(HaveOccurred())
	})

	It("accepts a wildcard SAN for the simple URLs", func() {
		ca, err := certs.Issue(certs.Request{CommonName: "ca", CA: true}, nil)
		Expect(err).NotTo(HaveOccurred())
		leaf, err := certs.Issue(certs.Request{CommonName: "dir-pool.contoso.local",
			DNSNames: []string{"dir-pool.contoso.local", "dir01.contoso.local", "*.contoso.com"}}, ca)
		Expect(err).NotTo(HaveOccurred())
		p, err := certs.ProfileFor(topology.Default(), "director", "dir01")
		Expect(err).NotTo(HaveOccurred())
		p.Roots = x509.NewCertPool()
		p.Roots.AddCert(ca.Cert)
		Expect(certs.Lint([]*x509.Certificate{leaf.Cert}, p)).To(BeEmpty())
	})
})
