package main_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// listening returns the TCP ports `ss -ltn` shows listening on addr.
func listening(addr string) []int {
	out, err := exec.Command("ss", "-ltnH", "src", addr).Output()
	Expect(err).NotTo(HaveOccurred())
	var ports []int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		_, p, err := net.SplitHostPort(f[3])
		Expect(err).NotTo(HaveOccurred(), line)
		n, err := strconv.Atoi(p)
		Expect(err).NotTo(HaveOccurred(), line)
		ports = append(ports, n)
	}
	return ports
}

// tool runs an installed client (openssl, curl) to its end, bounded.
func tool(stdin string, name string, args ...string) *gexec.Session {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	Eventually(s, 20*time.Second).Should(gexec.Exit())
	return s
}

// The real port numbers, as root, each role on its own address of this suite's block: what
// `sudo mockdirector serve --role director` shows on a staging host.
var _ = Describe("mockdirector serve on the table's real ports", Serial, Label("realports", "process"), func() {
	BeforeEach(func() {
		if !isRoot() {
			Skip("binding ports under 1024 needs root (the port-offset specs cover the rest)")
		}
	})

	DescribeTable("binds every port of the role, and a guard on every TCP port the table denies toward it (ss -ltn)",
		func(role, bind string, ports, guards []int) {
			m := startServeOnTablePorts(role, bind)
			Expect(listening(bind)).To(ConsistOf(append(ports, guards...)))
			m.session.Terminate()
			Eventually(m.session, 15*time.Second).Should(gexec.Exit(0))
			Expect(listening(bind)).To(BeEmpty())
		},
		Entry("director", "director", "127.0.10.55", []int{80, 443, 4443, 8080, 5061, 50001, 50002, 50003}, []int{444}),
		Entry("frontend", "frontend", "127.0.10.56", []int{444, 4443, 8080, 5061}, []int{80, 443, 50001, 50002, 50003}),
		Entry("edge-internal", "edge-internal", "127.0.10.57", []int{5061}, []int{80, 443, 444, 4443, 8080, 50001, 50002, 50003}),
	)

	Describe("director, with the clients people use", Ordered, func() {
		const bind = "127.0.10.58"
		var m *mdServe
		var cert, key, ca string
		BeforeAll(func() {
			m = startServeOnTablePorts("director", bind)
			cert, key = certs.CertPath(m.certs, certs.ProbeName), certs.KeyPath(m.certs, certs.ProbeName)
			ca = m.certs + "/" + certs.CACertFile
		})

		It("answers curl -sk on 4443 and curl on 80 with its identity", func() {
			for _, url := range []string{"https://" + bind + ":4443" + wire.WellKnownPath, "http://" + bind + ":80" + wire.WellKnownPath} {
				s := tool("", "curl", "-sk", "--max-time", "10", "-H", "X-Forwarded-For: 198.51.100.9", url)
				Expect(s).To(gexec.Exit(0))
				var id wire.Identity
				Expect(json.Unmarshal(s.Out.Contents(), &id)).To(Succeed(), string(s.Out.Contents()))
				Expect(id.Role).To(Equal("director"))
				Expect(id.Member).To(Equal("dir01.contoso.local"))
				Expect(id.XForwardedFor).To(Equal("198.51.100.9"))
				Expect(id.Local).To(HavePrefix(bind + ":"))
			}
		})

		It("refuses openssl s_client without a client certificate on 5061, and journals why", func() {
			s := tool("", "openssl", "s_client", "-tls1_2", "-connect", bind+":5061", "-servername", "dir-pool.contoso.local", "-ign_eof")
			Expect(s.ExitCode()).NotTo(BeZero())
			Expect(string(s.Err.Contents())).To(MatchRegexp("alert (certificate required|handshake failure)"))
			Eventually(m.events).Should(ContainElement(SatisfyAll(
				HaveField("Kind", journal.KindHandshake), HaveField("Listener", "sip-mtls-5061"),
				HaveField("Outcome", journal.OutcomeFailed), HaveField("Reason", ContainSubstring("no client certificate")))))
		})

		It("refuses TLS 1.3 on every TLS port under the default profile (Windows Server 2012 R2 has none), as openssl s_client -tls1_3 shows", func() {
			for _, p := range []int{443, 4443, 5061, 50001} {
				s := tool("", "openssl", "s_client", "-tls1_3", "-connect", fmt.Sprintf("%s:%d", bind, p), "-servername", "dir-pool.contoso.local",
					"-cert", cert, "-key", key, "-CAfile", ca, "-ign_eof")
				Expect(s.ExitCode()).NotTo(BeZero(), "port %d", p)
				Expect(string(s.Err.Contents())).To(MatchRegexp("alert protocol version|unsupported protocol|no protocols available"), "port %d", p)
			}
		})

		It("refuses the probe certificate on 5061 with the known-server reason, as Lync would", func() {
			s := tool("", "openssl", "s_client", "-connect", bind+":5061", "-servername", "dir-pool.contoso.local",
				"-cert", cert, "-key", key, "-CAfile", ca, "-ign_eof")
			Expect(s.ExitCode()).NotTo(BeZero())
			Expect(string(s.Err.Contents())).To(MatchRegexp("alert bad certificate"))
			Eventually(m.events).Should(ContainElement(SatisfyAll(
				HaveField("Kind", journal.KindHandshake), HaveField("Listener", "sip-mtls-5061"), HaveField("Code", wire.CodeUnknownServer),
				HaveField("Reason", ContainSubstring("names no known Edge server: Lync would refuse it; add it to the topology")))))
		})

		It("accepts openssl s_client with the Edge's certificate on 5061 and answers OPTIONS 200 with Server: RTC/5.0", func() {
			cert, key := certs.CertPath(m.certs, "edge01-int.contoso.local"), certs.KeyPath(m.certs, "edge01-int.contoso.local")
			options := "OPTIONS sip:dir-pool.contoso.local SIP/2.0\r\nVia: SIP/2.0/TLS " + bind + ":5061;branch=z9hG4bKopenssl\r\n" +
				"From: <sip:probe@contoso.com>;tag=1\r\nTo: <sip:dir-pool.contoso.local>\r\nCall-ID: openssl-1\r\nCSeq: 1 OPTIONS\r\n" +
				"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
			cmd := exec.Command("openssl", "s_client", "-connect", bind+":5061", "-servername", "dir-pool.contoso.local",
				"-cert", cert, "-key", key, "-CAfile", ca, "-verify_return_error", "-quiet")
			in, err := cmd.StdinPipe()
			Expect(err).NotTo(HaveOccurred())
			s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			defer s.Kill()
			fmt.Fprint(in, options)
			Eventually(s.Out, 10*time.Second).Should(gbytes.Say(`SIP/2\.0 200 OK`))
			Eventually(s.Out, 5*time.Second).Should(gbytes.Say(`(?m)^Server: RTC/5\.0\r$`))
			Eventually(s.Out, 5*time.Second).Should(gbytes.Say(`Allow: .*OPTIONS`))
			in.Close()
			Eventually(m.events).Should(ContainElement(SatisfyAll(
				HaveField("Kind", journal.KindSIP), HaveField("SIP.CallID", "openssl-1"), HaveField("SIP.Status", 200),
				HaveField("TLS.ClientCert.Verified", true))))
		})

		It("speaks the CLS banner and PING/PONG to openssl s_client on 50001-50003", func() {
			for _, p := range []int{50001, 50002, 50003} {
				s := tool("PING x1\r\nQUIT\r\n", "openssl", "s_client", "-connect", fmt.Sprintf("%s:%d", bind, p), "-servername", "dir-pool.contoso.local",
					"-cert", cert, "-key", key, "-CAfile", ca, "-verify_return_error", "-ign_eof", "-quiet")
				Expect(s).To(gexec.Exit(0))
				Expect(s.Out).To(gbytes.Say(fmt.Sprintf(`MOCKDIRECTOR-CLS/1 role=director member=dir01.contoso.local listener=cls-mtls-%d port=%d source=[0-9.]+:\d+ cert=[0-9a-f]{64}\r\n`, p, p)))
				Expect(s.Out).To(gbytes.Say("PONG x1\r\nBYE\r\n"))
			}
		})
	})
})
