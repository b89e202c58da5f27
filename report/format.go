package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Format renders a Result to w.
type Format func(w io.Writer, res *Result) error

// Formats maps a --format name to its renderer.
var Formats = map[string]Format{
	"table":    Table,
	"json":     JSON,
	"junit":    JUnit,
	"markdown": Markdown,
}

// FormatNames lists the format names, sorted.
func FormatNames() []string {
	var names []string
	for n := range Formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Write renders res in the named format.
func Write(w io.Writer, format string, res *Result) error {
	f, ok := Formats[format]
	if !ok {
		return fmt.Errorf("report: format %q is not one of %s", format, strings.Join(FormatNames(), ", "))
	}
	return f(w, res)
}

// Detail is the one-line explanation of a row's state the table and markdown show.
func (r Row) Detail() string {
	var parts []string
	if len(r.ClientCerts) > 0 {
		parts = append(parts, "cert "+strings.Join(r.ClientCerts, "; "))
	}
	if r.Failures > 0 {
		parts = append(parts, fmt.Sprintf("%d failed, last: %s", r.Failures, r.LastReason))
	}
	if !r.SourcesDeclared {
		parts = append(parts, "topology names no addresses for "+r.From+": any source counts")
	}
	return strings.Join(parts, "; ")
}

// Detail is the one-line explanation of an unexpected entry.
func (u Unexpected) Detail() string {
	var parts []string
	if u.Kind == KindUnexpectedSource {
		who := "an address the topology does not name"
		if len(u.SourceRoles) > 0 {
			who = strings.Join(u.SourceRoles, ", ")
		}
		parts = append(parts, "source is "+who+"; allowed only from: "+strings.Join(fromOf(u.Rows), ", "))
	} else {
		parts = append(parts, "the table has no allow row to "+u.To+" "+u.Transport+"/"+itoa(u.Port))
	}
	if u.Denied != "" {
		parts = append(parts, "the table denies it: "+u.Denied)
	}
	if u.Failures > 0 {
		parts = append(parts, fmt.Sprintf("%d failed, last: %s", u.Failures, u.LastReason))
	}
	return strings.Join(parts, "; ")
}

func fromOf(rowIDs []string) []string {
	var out []string
	for _, id := range rowIDs {
		f, _, _ := strings.Cut(id, "->")
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func sourcesText(r Row) string {
	if len(r.Sources) == 0 {
		return "-"
	}
	s := strings.Join(r.Sources, ",")
	if r.SourcesMore > 0 {
		s += fmt.Sprintf(" (+%d more)", r.SourcesMore)
	}
	return s
}

func listText(l []string) string {
	if len(l) == 0 {
		return "-"
	}
	return strings.Join(l, ",")
}

func timeText(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func probeText(p *ProbeResult) string {
	if p == nil {
		return "-"
	}
	s := p.Verdict
	if p.Observed != "" {
		s += " (" + p.Observed + ")"
	}
	return s
}

func hasProbe(res *Result) bool {
	if len(res.ProbeOnly) > 0 {
		return true
	}
	for _, r := range res.Rows {
		if r.Probe != nil {
			return true
		}
	}
	return false
}

// Verdict is the closing sentence of every text output.
func (res *Result) Verdict() string {
	s := res.Summary
	v := fmt.Sprintf("%d of %d rows seen ok, %d not seen yet, %d seen but failed, %d unexpected; %d events",
		s.SeenOK, len(res.Rows), s.NotSeen, s.Failed, s.Unexpected, res.Events)
	if res.OK {
		return "OK: " + v
	}
	return "NOT OK: " + v
}
