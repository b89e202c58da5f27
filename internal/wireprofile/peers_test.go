package wireprofile_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wireprofile"
)

// openssl s_client and curl against a profile's server: peers no one on the project wrote.
var _ = Describe("ServerTLS with openssl and curl", Label("peers"), func() {
	start := func(name string) string {
		s, err := startExampleServer(wireprofile.MustGet(name))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		return s.Addr
	}
	sClient := func(addr string, args ...string) (string, error) {
		needTool("openssl")
		return runTool(20*time.Second, "", "openssl", append([]string{"s_client", "-connect", addr, "-brief", "-no_ign_eof"}, args...)...)
	}

	It("refuses TLS 1.3 on the default profile (openssl s_client -tls1_3 fails)", func() {
		out, err := sClient(start(wireprofile.Default), "-tls1_3")
		Expect(err).To(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("alert protocol version"))
	})

	DescribeTable("the server's order wins over openssl's -cipher order",
		func(name string, args []string, protocol, suite, tempKey string) {
			out, err := sClient(start(name), args...)
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(out).To(ContainSubstring("Protocol version: " + protocol))
			Expect(out).To(ContainSubstring("Ciphersuite: " + suite))
			Expect(out).To(ContainSubstring("Server Temp Key: " + tempKey))
		},
		Entry("2012 R2, TLS 1.2: ECDHE-RSA-AES128-SHA256 over the client's AES128-SHA, P-256 over X25519",
			"lync2013-ws2012r2", []string{"-tls1_2", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-SHA256", "-curves", "X25519:P-384:P-256"},
			"TLSv1.2", "ECDHE-RSA-AES128-SHA256", "ECDH, prime256v1, 256 bits"),
		Entry("2012 R2, TLS 1.0: ECDHE-RSA-AES256-SHA first",
			"lync2013-ws2012r2", []string{"-tls1", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0"},
			"TLSv1", "ECDHE-RSA-AES256-SHA", "ECDH, prime256v1, 256 bits"),
		Entry("2016: ECDHE-RSA-AES256-GCM-SHA384 over AES128-GCM, X25519 over P-256",
			"sfb2015-ws2016", []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384", "-curves", "P-256:X25519"},
			"TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "X25519, 253 bits"),
	)

	It("negotiates RSA key exchange (no temp key) with openssl when the client offers only that", func() {
		out, err := sClient(start(wireprofile.Default), "-tls1_2", "-cipher", "AES256-GCM-SHA384")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("Ciphersuite: AES256-GCM-SHA384"))
		Expect(out).NotTo(ContainSubstring("Server Temp Key"))
	})

	DescribeTable("curl --http2 gets the profile's HTTP version and Server header",
		func(name, status, server string) {
			needTool("curl")
			out, err := runTool(20*time.Second, "", "curl", "-sS", "-i", "-k", "--http2", "--max-time", "10", "https://"+start(name)+"/")
			Expect(err).NotTo(HaveOccurred(), out)
			lines := strings.Split(strings.ReplaceAll(out, "\r", ""), "\n")
			Expect(lines[0]).To(Equal(status))
			Expect(lines).To(ContainElement(MatchRegexp(`(?i)^server: ` + server + `$`)))
		},
		Entry("2012 R2 / IIS 8.5: no ALPN, so HTTP/1.1", "lync2013-ws2012r2", "HTTP/1.1 200 OK", `Microsoft-IIS/8\.5`),
		Entry("2016 / IIS 10: h2", "sfb2015-ws2016", "HTTP/2 200 ", `Microsoft-IIS/10\.0`),
	)
})
