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

	goodExt := "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n" +
		"subjectAltName=DNS:dir-pool.contoso.local,DNS:dir01.contoso.local,DNS:meet.contoso.com,DNS:dialin.contoso.com,DNS:lyncdiscoverinternal.contoso.com,DNS:lyncdiscover.contoso.com\n"
	revocationExt := "crlDistributionPoints=URI:http://pki.contoso.com/CertEnroll/Site%20Root%20CA.crl\n" +
		"authorityInfoAccess=caIssuers;URI:http://pki.contoso.com/CertEnroll/Site%20Root%20CA.crt\n"

	It("reports nothing on a good one", func() {
		issue("good", "2048", goodExt+revocationExt)
		s := inspect(filepath.Join(dir, "good.crt"), "--role", "director", "--member", "dir01", "--ca", filepath.Join(dir, "ca.crt"))
		Expect(s).To(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say(`CDP:\s+http://pki.contoso.com/CertEnroll/Site%20Root%20CA.crl`))
		Expect(s.Out).To(gbytes.Say(`AIA:\s+http://pki.contoso.com/CertEnroll/Site%20Root%20CA.crt`))
		Expect(s.Out).To(gbytes.Say(`lint: no findings`))
	})

	It("fails a Lync server certificate without a CRL Distribution Point, citing the requirement", func() {
		issue("nocdp", "2048", goodExt)
		s := inspect(filepath.Join(dir, "nocdp.crt"), "--role", "edge-internal", "--ca", filepath.Join(dir, "ca.crt"))
		Expect(s).To(gexec.Exit(1))
		Expect(s.Out).To(gbytes.Say(`ERROR\s+NO_CDP`))
		Expect(s.Out).To(gbytes.Say(`ref: Microsoft, "Certificate infrastructure requirements for Lync Server 2013": "All server certificates must contain a CRL Distribution Point \(CDP\)\."`))
		Expect(s.Out).To(gbytes.Say(`INFO\s+NO_AIA`))
		By("a generic TLS server only gets a warning")
		s = inspect(filepath.Join(dir, "nocdp.crt"), "--ca", filepath.Join(dir, "ca.crt"))
		Expect(s).To(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say(`WARNING\s+NO_CDP`))
	})

	It("fails an RSASSA-PSS signature, citing the requirement", func() {
		run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "pss.key", "-out", "pss.csr", "-subj", "/CN=dir-pool.contoso.local")
		Expect(writeFile(filepath.Join(dir, "pss.ext"), goodExt+revocationExt)).To(Succeed())
		run("x509", "-req", "-in", "pss.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "200", "-sha256",
			"-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1", "-extfile", "pss.ext", "-out", "pss.crt")
		s := inspect(filepath.Join(dir, "pss.crt"), "--role", "director", "--member", "dir01", "--ca", filepath.Join(dir, "ca.crt"))
		Expect(s).To(gexec.Exit(1))
		Expect(s.Out).To(gbytes.Say(`signature:\s+SHA256-RSAPSS`))
		Expect(s.Out).To(gbytes.Say(`ERROR\s+SIGNATURE_RSASSA_PSS`))
		Expect(s.Out).To(gbytes.Say(`ref: .*RSASSA-PSS signature algorithm is unsupported`))
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
		leaf, err := certs.Issue(certs.Request{CommonName: "dir-pool.contoso.local", Key: certs.RSA2048, PrivateKey: ca.Key,
			DNSNames: []string{"dir-pool.contoso.local", "dir01.contoso.local", "*.contoso.com"},
			CRLURLs:  []string{"http://pki.contoso.com/mockdirector/ca.crl"}, IssuerURLs: []string{"http://pki.contoso.com/mockdirector/ca.crt"}}, ca)
		Expect(err).NotTo(HaveOccurred())
		p, err := certs.ProfileFor(topology.Default(), "director", "dir01")
		Expect(err).NotTo(HaveOccurred())
		p.Roots = x509.NewCertPool()
		p.Roots.AddCert(ca.Cert)
		Expect(certs.Lint([]*x509.Certificate{leaf.Cert}, p)).To(BeEmpty())
	})
})
