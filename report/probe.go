package report

import (
	"encoding/json"
	"fmt"
	"os"
)

// ProbeResult is one row of the prober's JSON results (probe --format json), decoded here with
// only the fields the report shows, so report does not depend on the prober's package.
type ProbeResult struct {
	ID         string  `json:"id"`
	From       string  `json:"from"`
	To         string  `json:"to"`
	Port       int     `json:"port"`
	Protocol   string  `json:"protocol"`
	Source     string  `json:"source,omitempty"`
	Target     string  `json:"target,omitempty"`
	Expected   string  `json:"expected,omitempty"`
	Verdict    string  `json:"verdict"`
	Observed   string  `json:"observed,omitempty"`
	Reason     string  `json:"reason,omitempty"`
	DurationMS float64 `json:"duration_ms,omitempty"`
}

// ProbeFile is the prober's JSON document.
type ProbeFile struct {
	Scenario string        `json:"scenario"`
	Results  []ProbeResult `json:"results"`
}

// LoadProbe reads the prober's JSON results.
func LoadProbe(path string) (*ProbeFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("probe results: %w", err)
	}
	var pf ProbeFile
	if err := json.Unmarshal(data, &pf); err != nil {
		return nil, fmt.Errorf("probe results %s: not the prober's JSON (run probe with --format json): %w", path, err)
	}
	for i, r := range pf.Results {
		if r.ID == "" {
			return nil, fmt.Errorf("probe results %s: result %d has no id", path, i)
		}
	}
	return &pf, nil
}

// AttachProbe puts each prober result beside the row of the same id; results for rows the
// matrix does not hold (deny rows, other roles) go to ProbeOnly. The prober's verdicts do not
// change OK: the report judges what the mock saw.
func (res *Result) AttachProbe(results []ProbeResult) {
	idx := map[string]int{}
	for i, r := range res.Rows {
		idx[r.ID] = i
	}
	for _, p := range results {
		if i, ok := idx[p.ID]; ok {
			pc := p
			res.Rows[i].Probe = &pc
			continue
		}
		res.ProbeOnly = append(res.ProbeOnly, p)
	}
}
