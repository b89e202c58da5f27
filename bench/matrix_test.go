package bench_test

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/probe/probetest"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// matrixTimeout is the per-check timeout of the matrix benchmark.
const matrixTimeout = time.Second

// BenchmarkMatrixHalfFiltered runs the full built-in matrix (every row, deny rows included)
// where every other row is sent to a namespace whose nftables rules drop every TCP SYN, and the
// rest to Director, Front End and Edge serving on loopback. The figure that matters is
// x-timeout: wall time of the whole matrix over the per-check timeout (target: at most 1.2).
// The nmap sub-benchmarks scan the same hosts and ports with nmap -sT, side by side, in the same
// run: once with nmap's defaults, once limited to one try and the same timeout.
func BenchmarkMatrixHalfFiltered(b *testing.B) {
	if err := probetest.Available(); err != nil {
		b.Skip(err)
	}
	bh, err := probetest.NewBlackhole("mdh2bench", "192.0.2.252/30", nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bh.Close() })
	o := startServers(b).ProbeOptions()
	o.Timeout, o.SkipDenyReason = matrixTimeout, "" // every row, deny rows included
	jobs, err := probe.Plan(o)
	if err != nil {
		b.Fatal(err)
	}
	hostPorts := map[string][]string{}
	pairs, filtered := 0, 0
	for i := range jobs {
		j := &jobs[i]
		if i%2 == 1 {
			_, port, _ := net.SplitHostPort(j.Target)
			j.Host, j.Target, j.Source = bh.Addr.String(), net.JoinHostPort(bh.Addr.String(), port), netip.Addr{}
			j.SeenAs = ""
			filtered++
		}
		h, p, _ := net.SplitHostPort(j.Target)
		if !slices.Contains(hostPorts[h], p) {
			hostPorts[h] = append(hostPorts[h], p)
			pairs++
		}
	}

	b.Logf("%d rows, %d of them sent to %s (nftables drops every SYN), %d distinct host:port pairs", len(jobs), filtered, bh.Addr, pairs)
	b.Run("probe", func(b *testing.B) {
		var last *probe.Report
		start := time.Now()
		for b.Loop() {
			last = probe.Collect("bench", time.Now(), probe.Run(context.Background(), jobs, probe.DefaultConcurrency), nil)
		}
		wall := time.Since(start) / time.Duration(b.N)
		b.ReportMetric(wall.Seconds()/matrixTimeout.Seconds(), "x-timeout")
		b.ReportMetric(float64(len(jobs)), "rows")
		b.ReportMetric(float64(filtered), "filtered-rows")
		nf := 0
		for _, r := range last.Results {
			if r.Observed == wire.StateFiltered {
				nf++
			}
		}
		if nf != filtered {
			b.Fatalf("%d rows observed filtered, %d sent to the blackhole", nf, filtered)
		}
		b.Logf("probe: %d rows (%d filtered) in %s with a %s per-check timeout: %.2fx; %s", len(jobs), filtered, wall.Round(time.Millisecond), matrixTimeout, wall.Seconds()/matrixTimeout.Seconds(), probe.SummaryLine(last))
	})

	nmap, err := exec.LookPath("nmap")
	if err != nil {
		b.Logf("nmap not installed: no side-by-side figures")
		return
	}
	for _, variant := range []struct {
		name  string
		flags []string
	}{
		{"nmap-sT-default", nil},
		{"nmap-sT-1try-1s", []string{"--max-retries", "0", "--max-rtt-timeout", strconv.Itoa(int(matrixTimeout.Milliseconds())) + "ms", "--initial-rtt-timeout", strconv.Itoa(int(matrixTimeout.Milliseconds())) + "ms"}},
	} {
		b.Run(variant.name, func(b *testing.B) {
			start := time.Now()
			var out []byte
			for b.Loop() {
				out = out[:0]
				// One nmap per destination host, all at once, each on exactly the probe's ports.
				var wg sync.WaitGroup
				var mu sync.Mutex
				for host, ports := range hostPorts {
					wg.Add(1)
					go func() {
						defer wg.Done()
						args := append([]string{"-sT", "-Pn", "-n", "-p", strings.Join(ports, ",")}, variant.flags...)
						o, err := exec.Command(nmap, append(args, host)...).CombinedOutput()
						if err != nil {
							b.Errorf("nmap %s: %v: %s", host, err, o)
						}
						mu.Lock()
						out = append(out, o...)
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			wall := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(wall.Seconds()/matrixTimeout.Seconds(), "x-timeout")
			b.Logf("%s: the same %d distinct host:port pairs in %s (%.2fx the probe's per-check timeout); ports nmap reports filtered: %d",
				variant.name, pairs, wall.Round(time.Millisecond), wall.Seconds()/matrixTimeout.Seconds(), strings.Count(string(out), " filtered "))
		})
	}
}

// startServers runs director, frontend, edge-internal and the PKI host on 127.0.20.2-5 (the
// probe tests' topology) on ports the kernel picks, with generated certificates, until the
// benchmark ends.
func startServers(b *testing.B) *mdtest.Site {
	topo, err := topology.Load(filepath.Join("..", "probe", "testdata", "topology.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	site, err := mdtest.Start(mdtest.Options{Scenario: scenarios.Default(), Topology: topo, CertDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { site.Close() })
	return site
}
