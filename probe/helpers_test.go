package probe_test

import (
	"context"
	"crypto/tls"
	"maps"
	"net"
	"path/filepath"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

func testTopology() *topology.Topology {
	t, err := topology.Load(filepath.Join("testdata", "topology.yaml"))
	Expect(err).NotTo(HaveOccurred())
	return t
}

// lab is director, frontend and edge-internal (and the PKI host) serving in this process on
// 127.0.20.2-4, every listener on a port the kernel picks (mdtest).
type lab struct {
	*mdtest.Site
	topo    *topology.Topology
	certDir string
}

// startLab starts every server role of the built-in scenario with certificates generated into a
// temporary directory, and registers its teardown.
func startLab() *lab { return startLabOn(testTopology()) }

// startLabOn is startLab on another topology (the UDP specs' 127.0.70.x site).
func startLabOn(topo *topology.Topology) *lab {
	site, err := mdtest.Start(mdtest.Options{Scenario: scenarios.Default(), Topology: topo, CertDir: testdir.New()})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(site.Close)
	return &lab{Site: site, topo: topo, certDir: site.CertDir}
}

// options are the probe options against the lab: the lab's trust and addresses (a copy of the
// book, which a spec may change), and the source address must be seen. Deny rows run.
func (l *lab) options() probe.Options {
	o := l.ProbeOptions()
	o.Addresses, o.SkipDenyReason = maps.Clone(o.Addresses), ""
	return o
}

// runRow plans and runs one row as its own source role.
func runRow(o probe.Options, r scenarios.Row) probe.Result {
	o.Scenario = &scenarios.Scenario{Name: "spec", File: "spec", Rows: []scenarios.Row{r}}
	jobs, err := probe.Plan(o)
	Expect(err).NotTo(HaveOccurred())
	Expect(jobs).To(HaveLen(1))
	return probe.RunJob(context.Background(), &jobs[0])
}

// silentListener accepts on host:0 and keeps every connection open without reading or writing.
func silentListener(host string) string {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	Expect(err).NotTo(HaveOccurred())
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	DeferCleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

// tlsServer serves TLS on addr (port 0: the kernel picks) with conf: each connection does its
// handshake and is then held open, saying nothing, until the spec ends. It returns the address.
func tlsServer(addr string, conf *tls.Config) string {
	ln, err := tls.Listen("tcp", addr, conf)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(ln.Close)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go c.(*tls.Conn).Handshake()
			DeferCleanup(c.Close)
		}
	}()
	return ln.Addr().String()
}
