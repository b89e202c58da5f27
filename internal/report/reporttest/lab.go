// Package reporttest starts real mock Directors on loopback and sends real traffic to them as
// chosen source addresses (curl --interface, openssl s_client -bind, Go dialers), for the
// report and admin test suites.
package reporttest

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
	"github.com/mockdirector/mockdirector/topology"
)

// Source addresses of the test site (testdata/lab50.yaml).
const (
	ReverseProxy   = "127.0.50.10"
	Edge           = "127.0.50.11"
	InternalClient = "127.0.50.33"
	// Stranger is in no source role of the topology.
	Stranger = "127.0.50.200"
)

// TopologyFile is the path of testdata/lab50.yaml.
func TopologyFile() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "lab50.yaml")
}

// ScenarioFile is the path of a file in report/testdata.
func ScenarioFile(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", name)
}

// Director is a running mock Director member (on mdtest, every listener on a port the kernel
// picks).
type Director struct {
	Inst    *server.Instance
	Journal string
	CertDir string
	site    *mdtest.Site
}

// Options for StartDirector.
type Options struct {
	Member, Bind, Journal, CertDir string
	Scenario                       *scenarios.Scenario
	Observers                      []journal.Recorder
}

// StartDirector starts a Director member of testdata/lab50.yaml on ports the kernel picks,
// journaling to o.Journal, serving until Stop.
func StartDirector(o Options) (*Director, error) {
	topo, err := topology.Load(TopologyFile())
	if err != nil {
		return nil, err
	}
	scn := o.Scenario
	if scn == nil {
		scn = scenarios.Default()
	}
	site, err := mdtest.Start(mdtest.Options{Scenario: scn, Topology: topo, Roles: []string{scenarios.RoleDirector},
		Member: o.Member, Bind: o.Bind, CertDir: o.CertDir, JournalPath: o.Journal, Observers: o.Observers})
	if err != nil {
		return nil, err
	}
	return &Director{Inst: site.Members[0], Journal: o.Journal, CertDir: site.CertDir, site: site}, nil
}

// Stop drains the listeners and closes the journal.
func (d *Director) Stop() error { return d.site.Close() }

// Addr is where the listener of a table port is bound ("127.0.50.2:41823").
func (d *Director) Addr(listener string) string { return d.Inst.Addrs()[listener].String() }

// Curl runs curl from source to url and returns the HTTP status it printed.
func Curl(source, url string, extra ...string) (string, error) {
	args := append([]string{"-sS", "-k", "--max-time", "5", "--interface", source, "-o", "/dev/null", "-w", "%{http_code}"}, extra...)
	out, err := exec.Command("curl", append(args, url)...).CombinedOutput()
	return string(out), err
}

// OpenSSL runs openssl s_client from source to addr, with the identity's certificate when name
// is not empty, and returns its output.
func OpenSSL(source, addr, certDir, name string) (string, error) {
	args := []string{"s_client", "-bind", source + ":0", "-connect", addr, "-CAfile", filepath.Join(certDir, certs.CACertFile)}
	if name != "" {
		args = append(args, "-cert", certs.CertPath(certDir, name), "-key", certs.KeyPath(certDir, name))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", args...)
	cmd.Stdin = strings.NewReader("Q\n")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// SIPOptions sends one SIP OPTIONS over mutual TLS from source with identity name and returns
// the response's status line.
func SIPOptions(source, addr, certDir, name string) (string, error) {
	id, err := certs.LoadFromDir(certDir, name)
	if err != nil {
		return "", err
	}
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	c, err := tls.DialWithDialer(d, "tcp", addr, id.ClientConfig("dir-pool.contoso.local"))
	if err != nil {
		return "", fmt.Errorf("sip dial %s from %s: %w", addr, source, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	local := c.LocalAddr().String()
	req := "OPTIONS sip:dir-pool.contoso.local;transport=tls SIP/2.0\r\n" +
		"Via: SIP/2.0/TLS " + local + ";branch=z9hG4bK-" + fmt.Sprint(rand.Int64()) + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:edge01-int.contoso.local>;tag=h5\r\nTo: <sip:dir-pool.contoso.local>\r\n" +
		"Call-ID: h5-" + fmt.Sprint(rand.Int64()) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// CLSPing opens a CLS session over mutual TLS from source and sends PING; it returns the reply.
func CLSPing(source, addr, certDir, name string) (string, error) {
	id, err := certs.LoadFromDir(certDir, name)
	if err != nil {
		return "", err
	}
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	c, err := tls.DialWithDialer(d, "tcp", addr, id.ClientConfig("dir-pool.contoso.local"))
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil { // banner
		return "", err
	}
	fmt.Fprint(c, "PING h5\r\n")
	line, err := r.ReadString('\n')
	return strings.TrimSpace(line), err
}

// Lines counts the journal's complete lines.
func Lines(path string) int {
	evs, err := journal.ReadFile(path)
	if err != nil {
		return -1
	}
	return len(evs)
}
