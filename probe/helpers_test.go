package probe_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
	"github.com/mockdirector/mockdirector/topology"
)

// Port offsets keep the in-process lab and the binary-driven specs apart on 127.0.20.x.
const (
	inProcessOffset = 10000
	binaryOffset    = 12000
)

func testTopology() *topology.Topology {
	t, err := topology.Load(filepath.Join("testdata", "topology.yaml"))
	Expect(err).NotTo(HaveOccurred())
	return t
}

// lab is director, frontend and edge-internal serving in this process on 127.0.20.2-4.
type lab struct {
	topo    *topology.Topology
	certDir string
	journal string
	stop    func()
}

// startLab starts every server role of the built-in scenario with certificates generated into a
// temporary directory, and registers its teardown.
func startLab(offset int) *lab { return startLabOn(testTopology(), offset) }

// startLabOn is startLab on another topology (the UDP specs' 127.0.70.x site).
func startLabOn(topo *topology.Topology, offset int) *lab {
	l := &lab{topo: topo, certDir: testdir.New()}
	l.journal = filepath.Join(testdir.New(), "journal.jsonl")
	jw, err := journal.Open(l.journal)
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, role := range scenarios.ServerRoles {
		inst, err := server.Start(server.Options{
			Scenario: scenarios.Default(), Topology: l.topo, PlanOptions: roleprofile.PlanOptions{Role: role, PortOffset: offset},
			CertDir: l.certDir, Journal: jw, Log: log,
		})
		Expect(err).NotTo(HaveOccurred())
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst.Serve(ctx)
		}()
	}
	l.stop = func() { cancel(); wg.Wait(); jw.Close() }
	DeferCleanup(l.stop)
	return l
}

// options are the probe options against the lab: the lab's trust and addresses, and the source
// address must be seen.
func (l *lab) options(offset int) probe.Options {
	return probe.Options{
		Topology: l.topo, PortOffset: offset, Timeout: probe.DefaultTimeout,
		Credentials: probe.Credentials{Dir: l.certDir}, ExpectSourceSeen: true,
	}
}

// runRow plans and runs one row as its own source role.
func runRow(o probe.Options, r scenarios.Row) probe.Result {
	o.Scenario = &scenarios.Scenario{Name: "spec", File: "spec", Rows: []scenarios.Row{r}}
	jobs, err := probe.Plan(o)
	Expect(err).NotTo(HaveOccurred())
	Expect(jobs).To(HaveLen(1))
	return probe.RunJob(context.Background(), &jobs[0])
}
