// Package netlab is `sudo mockdirector lab`: the whole table proven on one Linux host. It builds
// network namespaces (a router and one network each for the clients, the perimeter and the
// servers), loads into the router the nftables rule set exported from the table for the lab's
// site (or the site's own with --firewall), runs `mockdirector serve` for each member and
// `mockdirector probe` for each source role inside them, and returns every row's result: allow
// rows answered by the right member from the true source, deny rows dropped by the firewall
// (with the guard listeners of serve behind them, an opened path reads open). Every namespace it
// made is removed on every exit path.
package netlab

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/firewall"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

//go:embed topology.yaml
var topologyYAML []byte

// Topology returns the lab's site: the addresses the namespaces carry.
func Topology() (*topology.Topology, error) {
	return topology.Parse("builtin:netlab", topologyYAML)
}

// Options shape a run.
type Options struct {
	// Binary is the mockdirector executable the namespaces run (serve and probe).
	Binary string
	// Scenario is the scenario name or file the children load.
	Scenario string
	// Firewall is an nftables file to load into the router instead of the export.
	Firewall string
	// Dir holds the run's certificates, journals, rule set and probe results.
	Dir string
	// Timeout is the per-check timeout of the probes (a dropped row costs one).
	Timeout time.Duration
	// Hold replaces the hold rows' hold (0: the row's).
	Hold time.Duration
	// Log receives progress lines; nil discards.
	Log io.Writer
}

// Result is what a run proved.
type Result struct {
	// Report holds every row of every source role.
	Report *probe.Report
	// FirewallFile is the rule set the router enforced; Exported says it is the table's export
	// (then Rules is its model, and failing rows name the rule that should have matched).
	FirewallFile string
	Exported     bool
	Rules        *firewall.RuleSet
	// Took is the wall time from the first namespace to the last result.
	Took time.Duration
}

// Run builds the lab, proves the table and tears everything down, also when ctx is cancelled.
func Run(ctx context.Context, o Options) (res *Result, err error) {
	if runtime.GOOS != "linux" {
		return nil, errors.New("the namespace lab needs Linux (network namespaces and nftables): run mockdirector lab --loopback here, or the full proof on a Linux host")
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("the namespace lab needs root (network namespaces and nftables): run sudo mockdirector lab")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("the namespace lab needs %s: install iproute2 and nftables (apt-get install iproute2 nftables)", tool)
		}
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	if stale, err := CleanupStale(); err != nil {
		return nil, fmt.Errorf("removing the namespaces of crashed lab runs: %w", err)
	} else if len(stale) > 0 {
		logf("removed %d namespaces a crashed lab run left: %s", len(stale), strings.Join(stale, " "))
	}
	topo, err := Topology()
	if err != nil {
		return nil, err
	}
	scn, err := scenarios.Load(o.Scenario)
	if err != nil {
		return nil, err
	}
	res = &Result{}
	began := time.Now()
	topoFile := filepath.Join(o.Dir, "topology.yaml")
	if err := os.WriteFile(topoFile, topologyYAML, 0o644); err != nil {
		return nil, err
	}
	certDir := filepath.Join(o.Dir, "certs")
	if _, err := certs.Init(topo, certs.Options{Dir: certDir}); err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	if res.FirewallFile, res.Rules, err = ruleSet(o, scn, topo); err != nil {
		return nil, err
	}
	res.Exported = o.Firewall == ""

	n := newNetwork()
	defer func() {
		if terr := n.teardown(); terr != nil && err == nil {
			err = fmt.Errorf("tearing the lab down: %w", terr)
		}
	}()
	if err := n.build(ctx); err != nil {
		return nil, fmt.Errorf("building the namespaces: %w", err)
	}
	if err := run(ctx, "ip", "netns", "exec", n.router(), "nft", "-f", res.FirewallFile); err != nil {
		return nil, fmt.Errorf("loading %s into the router: %w", res.FirewallFile, err)
	}
	logf("namespaces %s up, firewall %s loaded (%s)", strings.Join(n.all(), " "), res.FirewallFile, time.Since(began).Round(time.Millisecond))

	servers, err := startServers(ctx, o, n, topo, topoFile, certDir)
	defer stopAll(servers)
	if err != nil {
		return nil, err
	}
	logf("serving %d members (%s)", len(servers), time.Since(began).Round(time.Millisecond))

	res.Report, err = runProbes(ctx, o, n, scn, topo, topoFile, certDir)
	if err != nil {
		return nil, err
	}
	annotate(res.Report, res.Rules, o.Firewall)
	res.Took = time.Since(began)
	res.Report.DurationMS = float64(res.Took.Microseconds()) / 1000
	return res, nil
}

// ruleSet writes the router's rule set: the export of the table for the lab's site, or the
// site's own file.
func ruleSet(o Options, scn *scenarios.Scenario, topo *topology.Topology) (string, *firewall.RuleSet, error) {
	rs, err := firewall.Build(scn, topo)
	if err != nil {
		return "", nil, fmt.Errorf("exporting the table for the lab: %w", err)
	}
	if o.Firewall != "" {
		if _, err := os.Stat(o.Firewall); err != nil {
			return "", nil, fmt.Errorf("--firewall: %w", err)
		}
		return o.Firewall, rs, nil
	}
	f, err := firewall.Lookup("nftables")
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(o.Dir, "firewall.nft")
	if err := firewall.WriteFile(path, f, rs, true); err != nil {
		return "", nil, err
	}
	return path, rs, nil
}

// child is a mockdirector process inside a namespace.
type child struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
}

func (c *child) stop() {
	if c.cmd.Process != nil {
		c.cmd.Process.Signal(os.Interrupt)
		select {
		case <-c.done:
		case <-time.After(3 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
}

func stopAll(cs []*child) {
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(c.stop)
	}
	wg.Wait()
}

func start(ctx context.Context, name, ns, bin string, args ...string) (*child, error) {
	c := &child{name: name, out: &lockedBuffer{}, done: make(chan struct{})}
	c.cmd = exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, bin}, args...)...)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() { c.cmd.Wait(); close(c.done) }()
	return c, nil
}

// startServers runs serve for every member of the lab's site and waits until each is ready.
func startServers(ctx context.Context, o Options, n network, topo *topology.Topology, topoFile, certDir string) (cs []*child, err error) {
	for _, role := range scenarios.ServerRoles {
		pool, ok := topo.Pools[role]
		if !ok {
			continue
		}
		for _, m := range pool.Members {
			ns, ok := n.nsOf(m.Address)
			if !ok {
				return cs, fmt.Errorf("the lab has no namespace for %s (%s)", m.Name, m.Address)
			}
			c, err := start(ctx, role+" "+m.Name, ns, o.Binary, "serve", "--role", role, "--member", m.Name,
				"--scenario", o.Scenario, "--config", topoFile, "--certs", certDir,
				"--journal", filepath.Join(o.Dir, m.Name+".jsonl"))
			if err != nil {
				return cs, err
			}
			cs = append(cs, c)
		}
	}
	deadline := time.After(30 * time.Second)
	defer func() {
		// probe runs with --guards: a deny row refused or dropped passes because a guard listens
		// there. A guard that could not bind would make that claim false, so it stops the lab.
		for _, c := range cs {
			if out := c.out.String(); strings.Contains(out, "warning: no guard on") && err == nil {
				err = fmt.Errorf("%s could not bind every guard listener, so the lab cannot prove its deny rows:\n%s", c.name, out)
			}
		}
	}()
	for _, c := range cs {
		for !strings.Contains(c.out.String(), "ready;") {
			select {
			case <-c.done:
				return cs, fmt.Errorf("%s exited before it was ready:\n%s", c.name, c.out.String())
			case <-deadline:
				return cs, fmt.Errorf("%s was not ready after 30s:\n%s", c.name, c.out.String())
			case <-ctx.Done():
				return cs, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return cs, nil
}

// runProbes runs probe --as ROLE for every source role, each from its own namespace and
// address, all at once, and merges their results in role order.
func runProbes(ctx context.Context, o Options, n network, scn *scenarios.Scenario, topo *topology.Topology, topoFile, certDir string) (*probe.Report, error) {
	type run struct {
		role, file string
		c          *child
	}
	var runs []run
	var children []*child
	for _, role := range scenarios.SourceRoles {
		if len(scn.From(role)) == 0 {
			continue
		}
		addr := topo.SourceAddr(role)
		ns, ok := n.nsOf(addr.String())
		if !ok {
			return nil, fmt.Errorf("the lab has no namespace for source %s (%s)", role, addr)
		}
		file := filepath.Join(o.Dir, "probe-"+role+".json")
		args := []string{"probe", "--as", role, "--scenario", o.Scenario, "--config", topoFile, "--certs", certDir,
			"--expect-source-seen", "--timeout", o.Timeout.String(), "--format", "json", "--output", file, "--no-color",
			// The lab started every destination itself, with serve's default guard listeners on
			// the ports the table denies: a refused or dropped deny row is the firewall's doing.
			"--guards"}
		if o.Hold > 0 {
			args = append(args, "--hold", o.Hold.String())
		}
		c, err := start(ctx, "probe --as "+role, ns, o.Binary, args...)
		if err != nil {
			stopAll(children)
			return nil, err
		}
		runs = append(runs, run{role, file, c})
		children = append(children, c)
	}
	merged := &probe.Report{Scenario: scn.Name, Started: time.Now(), TimeoutMS: float64(o.Timeout.Milliseconds())}
	var errs []error
	for _, r := range runs {
		select {
		case <-r.c.done:
		case <-ctx.Done():
			stopAll(children)
			return nil, ctx.Err()
		}
		if code := r.c.cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
			errs = append(errs, fmt.Errorf("probe --as %s exited %d:\n%s", r.role, code, r.c.out.String()))
			continue
		}
		rep, err := readReport(r.file)
		if err != nil {
			errs = append(errs, fmt.Errorf("probe --as %s: %w\n%s", r.role, err, r.c.out.String()))
			continue
		}
		for _, res := range rep.Results {
			res.Index = len(merged.Results)
			merged.Add(res)
		}
	}
	return merged, errors.Join(errs...)
}

func readReport(path string) (*probe.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep probe.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &rep, nil
}

// annotate names, on every failing row that needs its path open, the rule of the table's export
// that lets it through, and whether the site's own rule set (siteFile) has a rule for the row.
func annotate(rep *probe.Report, rs *firewall.RuleSet, siteFile string) {
	var site string
	if siteFile != "" {
		data, _ := os.ReadFile(siteFile)
		site = string(data)
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Verdict != wire.VerdictFail {
			continue
		}
		rule, ok := rs.Rule(r.ID)
		if !ok {
			continue
		}
		r.Reason += fmt.Sprintf(" [the table's rule %d should let it through: %s %s/%d from %s to %s", rule.N, rule.RowID, rule.Transport, rule.Port, rule.Source.Name, rule.Dest.Name)
		switch {
		case siteFile == "":
		case strings.Contains(site, `"`+r.ID+`"`):
			r.Reason += fmt.Sprintf("; %s has a rule commented %q, but it did not match", filepath.Base(siteFile), r.ID)
		default:
			r.Reason += fmt.Sprintf("; %s has no rule for it (none commented %q)", filepath.Base(siteFile), r.ID)
		}
		r.Reason += "]"
	}
}

// lockedBuffer is a bytes.Buffer safe for a child's writes and our reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
