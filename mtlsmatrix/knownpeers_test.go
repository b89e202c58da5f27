package mtlsmatrix_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/topology"
)

// kamailio as the Edge in front of the mock's 5061: its dispatcher pings the mock with OPTIONS
// over mutual TLS, presenting a certificate, the way an Edge keeps its next hop alive. The mock
// takes only known Edge servers there (Spec.Peers, what serve sets from the topology): the
// Edge's own certificate gets 200 OK, a certificate from the same CA that names no Edge server
// is refused at the handshake with the known-server reason.
var _ = Describe("kamailio as the Edge, against the mock's known-server check on 5061", Label("kamailio", "peers"), func() {
	var dir string
	BeforeEach(func() {
		if _, err := exec.LookPath("kamailio"); err != nil {
			if os.Getenv("CI") == "true" {
				Fail("CI=true: kamailio is not installed (.ci/run installs it)")
			}
			Skip("kamailio is not installed")
		}
		dir = filepath.Join(GinkgoT().TempDir(), "certs")
		_, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir})
		Expect(err).NotTo(HaveOccurred())
	})

	startMockKnown := func() *mock {
		id, err := certs.LoadFromDir(dir, member)
		Expect(err).NotTo(HaveOccurred())
		return startMockSpec(mtlsPorts[0], id, listeners.Limits{}, func(s *listeners.Spec) {
			s.Peers = &listeners.Peers{Roles: []string{"Edge"}, Names: []string{"edge01-int.contoso.local", "edge-int.contoso.local"}}
		})
	}

	// startEdge runs kamailio on 127.0.40.5 presenting name's certificate of dir to the mock.
	startEdge := func(name, mockAddr string) string {
		kdir := GinkgoT().TempDir()
		l, err := net.Listen("tcp", "127.0.40.5:0")
		Expect(err).NotTo(HaveOccurred())
		addr := l.Addr().String()
		l.Close()
		tlsCfg := fmt.Sprintf(`[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = %[1]s
certificate = %[2]s
ca_list = %[3]s

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
private_key = %[1]s
certificate = %[2]s
ca_list = %[3]s
`, certs.KeyPath(dir, name), certs.CertPath(dir, name), filepath.Join(dir, certs.CACertFile))
		Expect(os.WriteFile(filepath.Join(kdir, "tls.cfg"), []byte(tlsCfg), 0o600)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(kdir, "dispatcher.list"), []byte("1 sip:"+mockAddr+";transport=tls\n"), 0o600)).To(Succeed())
		cfg := fmt.Sprintf(`#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
enable_tls=yes
auto_aliases=no
tcp_connect_timeout=3
listen=tls:%[1]s
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "dispatcher.so"
modparam("tls", "config", "%[2]s/tls.cfg")
modparam("dispatcher", "list_file", "%[2]s/dispatcher.list")
modparam("dispatcher", "ds_ping_interval", 1)
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_ping_from", "sip:edge-int.contoso.local")
request_route {
	sl_send_reply("403", "Forbidden");
}
`, addr, kdir)
		Expect(os.WriteFile(filepath.Join(kdir, "kamailio.cfg"), []byte(cfg), 0o600)).To(Succeed())
		cmd := exec.Command("kamailio", "-f", filepath.Join(kdir, "kamailio.cfg"), "-DD", "-E", "-m", "32", "-M", "8",
			"-Y", kdir, "-P", filepath.Join(kdir, "kamailio.pid"), "-w", kdir)
		cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		Expect(cmd.Start()).To(Succeed())
		pgid := cmd.Process.Pid
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		DeferCleanup(func() {
			syscall.Kill(-pgid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				syscall.Kill(-pgid, syscall.SIGKILL)
				<-exited
			}
		})
		return addr
	}

	events := func(m *mock) func() []journal.Event {
		return func() []journal.Event {
			Expect(m.writer.Sync()).To(Succeed())
			evs, err := journal.ReadFile(m.journalPath)
			Expect(err).NotTo(HaveOccurred())
			return evs
		}
	}

	It("answers the Edge's own certificate (OPTIONS 200)", func() {
		m := startMockKnown()
		startEdge("edge01-int.contoso.local", m.addr)
		Eventually(events(m), 20*time.Second, 200*time.Millisecond).Should(ContainElement(SatisfyAll(
			HaveField("Kind", journal.KindSIP), HaveField("SIP.Method", "OPTIONS"), HaveField("SIP.Status", 200),
			HaveField("TLS.ClientCert.Subject", ContainSubstring("CN=edge-int.contoso.local")))))
	})

	It("refuses a certificate of the same CA that names no Edge server, with the known-server reason", func() {
		m := startMockKnown()
		startEdge(certs.ProbeName, m.addr)
		Eventually(events(m), 20*time.Second, 200*time.Millisecond).Should(ContainElement(SatisfyAll(
			HaveField("Kind", journal.KindHandshake), HaveField("Outcome", journal.OutcomeFailed),
			HaveField("Code", wire.CodeUnknownServer),
			HaveField("Reason", ContainSubstring("certificate valid, but CN=mockdirector-probe.contoso.com names no known Edge server: Lync would refuse it; add it to the topology")))))
		Consistently(events(m), 2*time.Second, 500*time.Millisecond).ShouldNot(ContainElement(HaveField("Kind", journal.KindSIP)),
			"no SIP request gets through")
	})
})
