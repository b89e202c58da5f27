package main_test

import (
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/journal"
)

// The serve specs bind only 127.0.10.40-127.0.10.60 (this suite's part of the 127.0.10.0/24
// block). servePortOffset keeps every director port outside the kernel's ephemeral range.
const servePortOffset = 13000

// port is a table port as the served listener has it.
func port(tablePort int) string { return strconv.Itoa(tablePort + servePortOffset) }

// mdServe is one child `mockdirector serve` process.
type mdServe struct {
	session *gexec.Session
	dir     string
	bind    string
	journal string
	certs   string
	offset  int
}

// addr is the listener address of a table port.
func (m *mdServe) addr(tablePort int) string {
	return net.JoinHostPort(m.bind, strconv.Itoa(tablePort+m.offset))
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

// startServe runs `mockdirector serve --role role --bind bind --port-offset offset` with a fresh
// journal and certificate directory, and waits until it says it is ready. The process is killed
// when the spec ends, if it still runs.
func startServe(role, bind string, offset int, extra ...string) *mdServe {
	dir := GinkgoT().TempDir()
	m := &mdServe{dir: dir, bind: bind, offset: offset,
		journal: filepath.Join(dir, "journal.jsonl"), certs: filepath.Join(dir, "certs")}
	args := append([]string{"serve", "--role", role, "--bind", bind, "--port-offset", strconv.Itoa(offset),
		"--journal", m.journal, "--certs", m.certs}, extra...)
	s, err := gexec.Start(exec.Command(binPath, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	m.session = s
	DeferCleanup(func() { s.Kill().Wait(5 * time.Second) })
	Eventually(s.Out, 20*time.Second).Should(gbytes.Say("ready"), "serve did not get ready: %s", s.Err.Contents())
	return m
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
