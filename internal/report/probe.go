package report

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// ProbeResult is one row of the prober's JSON results (probe --format json), decoded here with
// only the fields the report shows, so report does not depend on the prober's package.
type ProbeResult struct {
	ID       string `json:"id"`
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Check    string `json:"check,omitempty"`
	Source   string `json:"source,omitempty"`
	Target   string `json:"target,omitempty"`
	Expected string `json:"expected,omitempty"`
	Verdict  string `json:"verdict"`
	Observed string `json:"observed,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Code is the reason's stable class (wire.Code).
	Code       wire.Code `json:"code,omitempty"`
	DurationMS float64   `json:"duration_ms,omitempty"`
	// ServerCert is the leaf certificate the destination presented; Lint the certificate
	// lint's findings on it.
	ServerCert *ProbeCert     `json:"server_cert,omitempty"`
	Lint       []ProbeFinding `json:"lint,omitempty"`
	// HoldMS and HeldMS are a hold check's asked and measured idle time.
	HoldMS float64 `json:"hold_ms,omitempty"`
	HeldMS float64 `json:"held_ms,omitempty"`
	// File is the probe file the result came from, and FirewallRule the rule that should have
	// matched a failing result (both set by the report, not the prober).
	File         string `json:"file,omitempty"`
	FirewallRule string `json:"firewall_rule,omitempty"`
}

// ProbeCert is the certificate a destination presented to the prober.
type ProbeCert struct {
	Subject   string    `json:"subject"`
	SANs      []string  `json:"sans,omitempty"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before,omitempty"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256,omitempty"`
}

// ProbeFinding is one certificate lint finding.
type ProbeFinding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
}

// ProbeFile is the prober's JSON document.
type ProbeFile struct {
	Scenario string        `json:"scenario"`
	Started  time.Time     `json:"started"`
	Results  []ProbeResult `json:"results"`
}

// Host is the source address the file's results were sent from, when they all say one.
func (pf *ProbeFile) Host() string {
	host := ""
	for _, r := range pf.Results {
		if r.Source == "" {
			continue
		}
		if host != "" && r.Source != host {
			return "several"
		}
		host = r.Source
	}
	return host
}

// LoadProbe reads the prober's JSON results.
func LoadProbe(path string) (*ProbeFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("probe results: %w", err)
	}
	return DecodeProbe(data, path)
}

// DecodeProbe decodes the prober's JSON results (probe --format json) read from name, a file
// or, for the admin's POST /api/probe, where they were posted from; every result must have an
// id, and each is marked as coming from name (ProbeResult.File).
func DecodeProbe(data []byte, name string) (*ProbeFile, error) {
	var pf ProbeFile
	if err := json.Unmarshal(data, &pf); err != nil {
		return nil, fmt.Errorf("probe results %s: not the prober's JSON (run probe with --format json): %w", name, err)
	}
	for i, r := range pf.Results {
		if r.ID == "" {
			return nil, fmt.Errorf("probe results %s: result %d has no id", name, i)
		}
		pf.Results[i].File = name
	}
	return &pf, nil
}

// AttachProbe puts each prober result beside the row of the same id; results for rows the
// matrix does not hold (deny rows, other roles) go to ProbeOnly. Call it once per probe file:
// a row probed from several hosts keeps every result in Probes and the worst in Probe. A
// failed result makes the report not OK; unproven is counted apart.
func (res *Result) AttachProbe(results []ProbeResult) {
	idx := map[string]int{}
	for i, r := range res.Rows {
		idx[r.ID] = i
	}
	for _, p := range results {
		i, ok := idx[p.ID]
		if !ok {
			res.ProbeOnly = append(res.ProbeOnly, p)
			continue
		}
		r := &res.Rows[i]
		if r.Probe != nil && len(r.Probes) == 0 {
			r.Probes = append(r.Probes, *r.Probe)
		}
		if r.Probe != nil {
			r.Probes = append(r.Probes, p)
		}
		if r.Probe == nil || verdictRank(p.Verdict) > verdictRank(r.Probe.Verdict) {
			pc := p
			r.Probe = &pc
		}
	}
	res.tally()
}

// verdictRank orders verdicts worst first: fail, unproven, pass, anything else (skip).
func verdictRank(v string) int {
	switch wire.Verdict(v) {
	case wire.VerdictFail:
		return 3
	case wire.VerdictUnproven:
		return 2
	case wire.VerdictPass:
		return 1
	}
	return 0
}
