package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/outputs"
)

// Format renders a Result to w.
type Format = outputs.Func[Result]

// Formats maps a --format name to its renderer (the registry shape probe's outputs share).
var Formats = outputs.Registry[Result]{
	"table":    Format(Table),
	"json":     Format(JSON),
	"junit":    Format(JUnit),
	"markdown": Format(Markdown),
	"html":     Format(HTML),
}

// FormatNames lists the format names, sorted.
func FormatNames() []string { return Formats.Names() }

// Write renders res in the named format.
func Write(w io.Writer, format string, res *Result) error {
	o, err := Formats.Get(format)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return o.Write(w, res)
}

// Detail is the one-line explanation of a row's state the table and markdown show.
func (r Row) Detail() string {
	var parts []string
	if r.State == StateFailingNow {
		parts = append(parts, r.FailingText())
	}
	if len(r.ClientCerts) > 0 {
		parts = append(parts, "cert "+strings.Join(r.ClientCerts, "; "))
	}
	if r.Failures > 0 && r.State != StateFailingNow {
		parts = append(parts, fmt.Sprintf("%d failed, last: %s", r.Failures, r.LastReason))
	}
	if r.ConnectOnly > 0 {
		parts = append(parts, connectOnlyText(r.ConnectOnly))
	}
	if !r.SourcesDeclared {
		parts = append(parts, "topology names no addresses for "+r.From+": any source counts")
	}
	return strings.Join(parts, "; ")
}

// FailingText is "failing now since 15:04:05 (3 failures, last: reason)" for a row failing
// now, empty otherwise.
func (r Row) FailingText() string {
	if r.State != StateFailingNow || r.FailingSince == nil {
		return ""
	}
	n := "failures"
	if r.FailingNow == 1 {
		n = "failure"
	}
	return fmt.Sprintf("failing now since %s (%d %s, last: %s)", r.FailingSince.UTC().Format(time.TimeOnly), r.FailingNow, n, r.FailingReason)
}

func connectOnlyText(n int) string {
	if n == 1 {
		return "1 TCP connect without a ClientHello: a health monitor or a scanner"
	}
	return fmt.Sprintf("%d TCP connects without a ClientHello: health monitors or scanners", n)
}

// Detail is the one-line explanation of an unexpected entry.
func (u Unexpected) Detail() string {
	var parts []string
	switch u.Kind {
	case KindDeniedOpen:
		who := "an address the topology does not name"
		if len(u.SourceRoles) > 0 {
			who = strings.Join(u.SourceRoles, ", ")
		}
		parts = append(parts, "a guard listener answered "+u.Source+" ("+who+") on a port the table denies")
	case KindUnexpectedSource:
		who := "an address the topology does not name"
		if len(u.SourceRoles) > 0 {
			who = strings.Join(u.SourceRoles, ", ")
		}
		parts = append(parts, "source is "+who+"; allowed only from: "+strings.Join(u.AllowedFrom, ", "))
	default:
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

// Notes are the lines every text output prints before the verdict: roles without a journal,
// unreadable journal lines, connects without a ClientHello, the --since cut-off.
func (res *Result) Notes() []string {
	var out []string
	for _, m := range res.Missing {
		out = append(out, m.Line())
	}
	for _, in := range res.Inputs {
		for _, l := range in.BadLines {
			out = append(out, l+": not a journal event (unreadable line skipped)")
		}
	}
	if res.Summary.ConnectOnly > 0 {
		out = append(out, connectOnlyText(res.Summary.ConnectOnly)+" (shown apart; they prove no row and fail none)")
	}
	if res.Since != nil {
		out = append(out, fmt.Sprintf("judging events since %s only; %d older events not judged", res.Since.UTC().Format(time.RFC3339), res.Older))
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
	v := fmt.Sprintf("%d of %d rows seen ok, %d not seen yet, %d seen but failed, %d failing now, %d unexpected; %d events",
		s.SeenOK, len(res.Rows), s.NotSeen, s.Failed, s.FailingNow, s.Unexpected, res.Events)
	if s.Missing > 0 {
		v += fmt.Sprintf("; %d %s without a journal", s.Missing, plural(s.Missing, "role", "roles"))
	}
	if s.ProbePass+s.ProbeFail+s.ProbeUnproven+s.ProbeSkip > 0 {
		v += fmt.Sprintf("; probe %d pass, %d fail, %d unproven, %d skip", s.ProbePass, s.ProbeFail, s.ProbeUnproven, s.ProbeSkip)
	}
	if s.BadLines > 0 {
		v += fmt.Sprintf("; %d unreadable journal %s", s.BadLines, plural(s.BadLines, "line", "lines"))
	}
	if res.OK {
		return "OK: " + v
	}
	return "NOT OK: " + v
}

// BoardLine is the five-second summary: rows proven, failing, unproven, not seen.
func (res *Result) BoardLine() string {
	b := res.Summary.Board
	return fmt.Sprintf("%d proven, %d failing, %d unproven, %d not seen", b.Proven, b.Failing, b.Unproven, b.NotSeen)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
