package probe

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/outputs"
)

// Output renders a finished report in one format.
type Output = outputs.Output[Report]

// Outputs maps a --format name to its output; each lives in its own file.
var Outputs = outputs.Registry[Report]{
	"table": Table{},
	"json":  JSON{},
	"junit": JUnit{},
}

// FormatNames lists the formats, sorted.
func FormatNames() []string { return Outputs.Names() }

// Collect drains a result stream into a report in plan order, calling each (when not nil) as
// every result arrives: the hook for a progress line.
func Collect(scenario string, started time.Time, results <-chan Result, each func(done int, r Result)) *Report {
	rep := &Report{Scenario: scenario, Started: started}
	var all []Result
	for r := range results {
		all = append(all, r)
		if each != nil {
			each(len(all), r)
		}
	}
	slices.SortStableFunc(all, func(a, b Result) int { return a.Index - b.Index })
	for _, r := range all {
		rep.Add(r)
	}
	rep.DurationMS = float64(time.Since(started).Microseconds()) / 1000
	return rep
}

// groups returns the results grouped by source -> destination, groups in order of first
// appearance.
func groups(rep *Report) (names []string, by map[string][]Result) {
	by = map[string][]Result{}
	for _, r := range rep.Results {
		g := r.Group()
		if _, ok := by[g]; !ok {
			names = append(names, g)
		}
		by[g] = append(by[g], r)
	}
	return names, by
}

// SummaryLine is the closing line of every human output.
func SummaryLine(rep *Report) string {
	s := rep.Summary
	total := s.Pass + s.Fail + s.Skip
	var b strings.Builder
	rows := "rows"
	if total+s.Unproven == 1 {
		rows = "row"
	}
	fmt.Fprintf(&b, "%d %s: %d pass, %d fail, %d skip", total+s.Unproven, rows, s.Pass, s.Fail, s.Skip)
	if s.Unproven > 0 {
		fmt.Fprintf(&b, ", %d UNPROVEN (the check could not tell: each row says why, such as a deny row refused where nothing is known to listen; they do not fail the exit code without --strict)", s.Unproven)
	}
	fmt.Fprintf(&b, " in %s", roundDur(time.Duration(rep.DurationMS*float64(time.Millisecond))))
	return b.String()
}
