package lab

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

// probeRun is `mockdirector probe --as Role` from inside NS; Scenario (a file in lab/) and Hold
// replace the built-in scenario and the rows' hold when set.
type probeRun struct {
	Role, NS string
	Scenario string
	Hold     string
}

// Tag names the run in keys: the role, plus the scenario file when it is not the built-in one.
func (r probeRun) Tag() string {
	if r.Scenario == "" {
		return r.Role
	}
	return r.Role + "(" + strings.TrimSuffix(r.Scenario, ".yaml") + ")"
}

// holdRun is the prober's idle-timeout run (lab/hold.yaml), used when the prober has --hold.
var holdRun = probeRun{Role: scenarios.RoleInternalClient, NS: nsClients, Scenario: "hold.yaml", Hold: "6s"}

// holdKey is the key of holdRun's row.
var holdKey = holdRun.Tag() + " | internal-clients->director tcp/80 http hold"

// probeRuns are the prober's runs: each source role from the namespace where it stands.
var probeRuns = []probeRun{
	{Role: scenarios.RoleReverseProxy, NS: nsRP},
	{Role: scenarios.RoleEdgeInternal, NS: nsEdge},
	{Role: scenarios.RoleInternalClient, NS: nsClients},
	{Role: scenarios.RoleAny, NS: nsClients},
	{Role: scenarios.RoleDirector, NS: nsDir01},
	{Role: scenarios.RoleFrontend, NS: nsFe01},
}

// probeResult is the part of a `probe --format json` result the lab reads.
type probeResult struct {
	ID       string       `json:"id"`
	From     string       `json:"from"`
	Source   string       `json:"source"`
	Expected wire.Expect  `json:"expected"`
	Observed wire.State   `json:"observed"`
	Verdict  wire.Verdict `json:"verdict"`
	Reason   string       `json:"reason"`
	Code     wire.Code    `json:"code"`
	// As is the tag of the run that produced the result (probeRun.Tag).
	As string `json:"-"`
}

// Unsupported reports whether this prober build cannot run the row's check at all (a scenario
// row newer than the prober, e.g. UDP rows before the QUIC checks land).
func (r probeResult) Unsupported() bool {
	return r.Code == wire.CodeUnsupported
}

// probeUnsupported returns the keys of results the prober could not run, sorted.
func probeUnsupported(outs []probeOutput) []string {
	var keys []string
	for _, o := range outs {
		for _, r := range o.Results {
			if r.Unsupported() {
				keys = append(keys, r.Key()+": "+r.Reason)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// Key names a result across runs: "as-role | row id".
func (r probeResult) Key() string { return r.As + " | " + r.ID }

// probeOutput is one run: its results, exit code and table.
type probeOutput struct {
	Run     probeRun
	Results []probeResult
	Exit    int
	Table   string
}

// ProberHolds reports whether this mockdirector probe has the hold check (--hold).
func (l *testLab) ProberHolds() bool {
	out, _ := runHost(l.Bin, "probe", "--help")
	return strings.Contains(out, "--hold")
}

// RunProbes runs every probeRun (and holdRun when withHold) concurrently (json to a file, the
// table to Table).
func (l *testLab) RunProbes(tag string, withHold bool) ([]probeOutput, error) {
	runs := append(slices.Clone(probeRuns), hlbRuns...)
	if withHold {
		runs = append(runs, holdRun)
	}
	outs := make([]probeOutput, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, run := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = l.runProbe(run, tag)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return outs, err
		}
	}
	return outs, nil
}

func (l *testLab) runProbe(run probeRun, tag string) (probeOutput, error) {
	out := probeOutput{Run: run}
	file := filepath.Join(l.Dir, fmt.Sprintf("probe-%s-%s.json", tag, strings.NewReplacer("(", "-", ")", "").Replace(run.Tag())))
	args := []string{"netns", "exec", run.NS, l.Bin, "probe", "--as", run.Role,
		"--config", l.Topology, "--certs", l.Certs, "--expect-source-seen", "--timeout", "3s",
		"--no-color", "--format", "json", "--output", file,
		// The lab runs every mock with its default guard listeners: a true assertion here, and
		// what lets a filtered deny row pass as proven rather than unproven.
		"--guards"}
	if run.Scenario != "" {
		args = append(args, "--scenario", filepath.Join(filepath.Dir(l.Topology), run.Scenario))
	}
	if run.Hold != "" {
		args = append(args, "--hold", run.Hold)
	}
	cmd := exec.Command("ip", args...)
	b, err := cmd.CombinedOutput()
	out.Table = string(b)
	if ee, ok := err.(*exec.ExitError); ok {
		out.Exit = ee.ExitCode()
	} else if err != nil {
		return out, fmt.Errorf("lab: probe --as %s in %s: %w", run.Role, run.NS, err)
	}
	if out.Exit == 2 {
		return out, fmt.Errorf("lab: probe --as %s in %s: exit 2 (bad input):\n%s", run.Role, run.NS, out.Table)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return out, fmt.Errorf("lab: probe --as %s: %w", run.Role, err)
	}
	var doc struct {
		Results []probeResult `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return out, fmt.Errorf("lab: probe --as %s: %s: %w", run.Role, file, err)
	}
	for _, r := range doc.Results {
		r.As = run.Tag()
		out.Results = append(out.Results, r)
	}
	return out, nil
}

// probeFailing returns the keys of results whose verdict is fail, sorted, leaving out the keys
// in except.
func probeFailing(outs []probeOutput, except ...string) []string {
	var keys []string
	for _, o := range outs {
		for _, r := range o.Results {
			if r.Verdict == wire.VerdictFail && !slices.Contains(except, r.Key()) && !r.Unsupported() {
				keys = append(keys, r.Key())
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// probeFind returns the result with the key.
func probeFind(outs []probeOutput, key string) (probeResult, bool) {
	for _, o := range outs {
		for _, r := range o.Results {
			if r.Key() == key {
				return r, true
			}
		}
	}
	return probeResult{}, false
}

// probeKeysFor maps the scenario rows among a mutation's flips to probe keys (run as the row's
// own source role); lab-only cases (published paths, hold) have no probe row.
func probeKeysFor(m mutation, scn *scenarios.Scenario) map[string]string {
	keys := map[string]string{}
	for _, row := range scn.Rows {
		if phrase, ok := m.ProbeFlips[row.ID()]; ok {
			keys[row.From+" | "+row.ID()] = phrase
		}
	}
	maps.Copy(keys, m.ProbeFlipsAs)
	return keys
}

// probeGapKeys maps a mutation's ProbeGaps to probe keys.
func probeGapKeys(m mutation, scn *scenarios.Scenario) []string {
	var keys []string
	for _, row := range scn.Rows {
		if slices.Contains(m.ProbeGaps, row.ID()) {
			keys = append(keys, row.From+" | "+row.ID())
		}
	}
	return keys
}

// printProbes writes every run's table.
func printProbes(w interface{ Write([]byte) (int, error) }, title string, outs []probeOutput) {
	fmt.Fprintf(w, "\n== %s: mockdirector probe from each source namespace\n", title)
	for _, o := range outs {
		fmt.Fprintf(w, "-- probe --as %s (in %s), exit %d\n%s\n", o.Run.Tag(), o.Run.NS, o.Exit, strings.TrimSpace(o.Table))
	}
}
