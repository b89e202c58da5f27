package probe_test

import (
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
)

// Checks against peers that are not the mock: openssl s_server stands in for a real server that
// has no mockdirector banner or identity, so the checks must fall back to what any server shows.
var _ = Describe("checks against a real TLS server (openssl s_server)", Ordered, Label("realpeer"), func() {
	var (
		certDir string
		opts    probe.Options
	)
	BeforeAll(func() {
		if _, err := exec.LookPath("openssl"); err != nil {
			Skip("openssl is not installed")
		}
		certDir = testdir.New()
		topo := testTopology()
		_, err := certs.Init(topo, certs.Options{Dir: certDir})
		Expect(err).NotTo(HaveOccurred())
		opts = probe.Options{Topology: topo, Timeout: 2 * time.Second, Credentials: probe.Credentials{Dir: certDir}, ExpectSourceSeen: true}
	})

	// sServer starts openssl s_server on 127.0.20.7 as the Director member, with extra flags.
	sServer := func(extra ...string) string {
		ln, err := net.Listen("tcp", "127.0.20.7:0")
		Expect(err).NotTo(HaveOccurred())
		addr := ln.Addr().String()
		ln.Close()
		args := append([]string{"s_server", "-accept", addr, "-cert", certs.CertPath(certDir, "dir01.contoso.local"),
			"-key", certs.KeyPath(certDir, "dir01.contoso.local"), "-CAfile", filepath.Join(certDir, certs.CACertFile)}, extra...)
		cmd := exec.Command("openssl", args...)
		// s_server ends a session when its stdin ends: give it one that stays open.
		stdin, keep := io.Pipe()
		cmd.Stdin = stdin
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { keep.Close(); s.Kill().Wait(5 * time.Second) })
		Eventually(func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		}, 10*time.Second, 50*time.Millisecond).Should(Succeed())
		return addr
	}

	It("passes an https row against a web server without mockdirector identity, recording its certificate", func() {
		addr := sServer("-www")
		r := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 443, scenarios.ProtoHTTPS, "", scenarios.ExpectAllow)
		r.Target, r.Path = addr, "/"
		res := runRow(opts, r)
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Observed).To(BeEquivalentTo("http 200"))
		Expect(res.Identity).To(BeNil())
		Expect(res.ServerCert.Subject).To(ContainSubstring("CN=dir-pool.contoso.local"))
	})

	It("reports the CLS check against a server with no banner as a handshake only", func() {
		addr := sServer("-Verify", "1", "-quiet")
		r := row(scenarios.RoleAny, scenarios.RoleDirector, 50001, scenarios.ProtoCLSMTLS, "", scenarios.ExpectAllow)
		r.Target, r.Timeout = addr, "1500ms"
		res := runRow(opts, r)
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Observed).To(Equal(wire.StateHandshakeOK))
		Expect(res.Reason).To(ContainSubstring("handshake only"))
	})

	It("sees a real server reject a client certificate from another CA", func() {
		addr := sServer("-Verify", "1", "-verify_return_error", "-quiet")
		other := testdir.New()
		_, err := certs.Init(testTopology(), certs.Options{Dir: other})
		Expect(err).NotTo(HaveOccurred())
		r := row(scenarios.RoleAny, scenarios.RoleDirector, 50002, scenarios.ProtoCLSMTLS, scenarios.CheckMTLS, scenarios.ExpectHandshakeFails)
		r.Target = addr
		o := opts
		o.Credentials = probe.Credentials{CertFile: certs.CertPath(other, certs.ProbeName), KeyFile: certs.KeyPath(other, certs.ProbeName), CAFile: filepath.Join(certDir, certs.CACertFile)}
		res := runRow(o, r)
		Expect(res.Observed).To(Equal(wire.StateHandshakeFailed))
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Reason).To(ContainSubstring("rejected the client certificate"))
	})
})
