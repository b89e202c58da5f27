package main_test

import (
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/journal"
)

// The serve specs bind only 127.0.10.40-127.0.10.60 (this suite's part of the 127.0.10.0/24
// block), on ports the kernel picks (serve --ephemeral-ports, which --ports-file reports), so
// two runs of the suite on one host never collide. The few specs whose point is a port number
// (the table's real ports, a busy port with --port-offset) lease their address first.

// mdServe is one child `mockdirector serve` process.
type mdServe struct {
	session *gexec.Session
	dir     string
	bind    string
	journal string
	certs   string
	// ports are where the table's TCP ports are bound; nil when serve binds the table's ports.
	ports map[int]string
}

// addr is the listener address of a table port.
func (m *mdServe) addr(tablePort int) string {
	if m.ports == nil {
		return net.JoinHostPort(m.bind, strconv.Itoa(tablePort))
	}
	a, ok := m.ports[tablePort]
	Expect(ok).To(BeTrue(), "serve bound no TCP port %d", tablePort)
	return a
}

// probe is the client identity from the process's generated CA.
func (m *mdServe) probe() *certs.Identity {
	id, err := certs.LoadFromDir(m.certs, certs.ProbeName)
	Expect(err).NotTo(HaveOccurred())
	return id
}

// events reads the journal as it is on disk now.
func (m *mdServe) events() []journal.Event {
	evs, err := journal.ReadFile(m.journal)
	Expect(err).NotTo(HaveOccurred())
	return evs
}

// startServe runs `mockdirector serve --role role --bind bind --ephemeral-ports` with a fresh
// journal and certificate directory, waits until it says it is ready and reads where it bound
// the table's ports from its --ports-file. The process is killed when the spec ends, if it
// still runs.
func startServe(role, bind string, extra ...string) *mdServe {
	dir := GinkgoT().TempDir()
	portsFile := filepath.Join(dir, "ports")
	m := launchServe(dir, role, bind, append([]string{"--ephemeral-ports", "--ports-file", portsFile}, extra...))
	data, err := os.ReadFile(portsFile)
	Expect(err).NotTo(HaveOccurred())
	m.ports = map[int]string{}
	for _, line := range strings.Fields(string(data)) {
		key, addr, _ := strings.Cut(line, "=")
		parts := strings.Split(key, "/") // ROLE/PORT or ROLE/udp/PORT
		if len(parts) != 2 {
			continue
		}
		p, err := strconv.Atoi(parts[1])
		Expect(err).NotTo(HaveOccurred(), line)
		m.ports[p] = addr
	}
	return m
}

// startServeOnTablePorts runs serve on the table's own ports (root), on an address leased for
// the spec (leaseAddr): the specs whose point is the port number.
func startServeOnTablePorts(role, bind string, extra ...string) *mdServe {
	leaseAddr(bind)
	return launchServe(GinkgoT().TempDir(), role, bind, extra)
}

func launchServe(dir, role, bind string, extra []string) *mdServe {
	m := &mdServe{dir: dir, bind: bind, journal: filepath.Join(dir, "journal.jsonl"), certs: filepath.Join(dir, "certs")}
	args := append([]string{"serve", "--role", role, "--bind", bind, "--journal", m.journal, "--certs", m.certs}, extra...)
	s, err := gexec.Start(exec.Command(binPath, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	m.session = s
	DeferCleanup(func() { s.Kill().Wait(5 * time.Second) })
	Eventually(s.Out, 20*time.Second).Should(gbytes.Say("ready"), "serve did not get ready: %s", s.Err.Contents())
	return m
}

// leaseAddr holds an exclusive lock on the loopback address until the spec ends, waiting (up to
// 2 minutes) while another run of this suite on the host holds it. Only this suite binds
// 127.0.10.40-60, and nothing else binds a port there below the kernel's ephemeral range, so
// while the lease is held the table's ports (and an offset's) on the address are this spec's.
func leaseAddr(addr string) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "mockdirector-test-addr-"+addr+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	Expect(err).NotTo(HaveOccurred())
	Eventually(func() error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }, 2*time.Minute, 100*time.Millisecond).
		Should(Succeed(), "another run of the suite holds %s", addr)
	DeferCleanup(func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() })
}

// runMD runs mockdirector to its end and returns the session.
func runMD(args ...string) *gexec.Session {
	s, err := gexec.Start(exec.Command(binPath, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	Eventually(s, 30*time.Second).Should(gexec.Exit())
	return s
}

// countKind counts the journal events of a kind.
func countKind(evs []journal.Event, kind string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// tlsConf trusts the process's CA and presents the probe certificate, with SNI serverName.
func (m *mdServe) tlsConf(serverName string) *tls.Config { return m.probe().ClientConfig(serverName) }

// edgeConf presents the Edge member's certificate (the built-in topology's edge01-int), the
// one a Director's and a Front End's 5061 take: they refuse a certificate that names no known
// Edge server, the probe's included.
func (m *mdServe) edgeConf(serverName string) *tls.Config {
	id, err := certs.LoadFromDir(m.certs, "edge01-int.contoso.local")
	Expect(err).NotTo(HaveOccurred())
	return id.ClientConfig(serverName)
}

func isRoot() bool { return os.Geteuid() == 0 }
