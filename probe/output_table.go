package probe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// Table is the human matrix: one section per source -> destination, one line per row with the
// verdict, expectation, observation, time and reason. Color adds ANSI colours (set it only when
// the output is a terminal).
type Table struct {
	Color bool
}

const (
	ansiGreen  = "\x1b[32m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

func (t Table) paint(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + ansiReset
}

func (t Table) verdict(v wire.Verdict) string {
	switch v {
	case wire.VerdictPass:
		return t.paint(ansiGreen, "PASS")
	case wire.VerdictFail:
		return t.paint(ansiRed, "FAIL")
	case wire.VerdictUnproven:
		return t.paint(ansiYellow+ansiBold, "UNPROVEN")
	}
	return t.paint(ansiYellow, "SKIP")
}

// Write prints the matrix and the summary line.
func (t Table) Write(w io.Writer, rep *Report) error {
	names, by := groups(rep)
	fmt.Fprintf(w, "scenario %s\n", rep.Scenario)
	for _, g := range names {
		rs := by[g]
		fmt.Fprintf(w, "\n%s  %s\n", t.paint(ansiBold, g), targetText(rs))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, r := range rs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.verdict(r.Verdict), portText(r), r.Check, r.Expected, r.Observed, durText(r.DurationMS), shortReason(r))
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	line := SummaryLine(rep)
	switch {
	case rep.Summary.Fail > 0:
		line = t.paint(ansiRed, line)
	case rep.Summary.Unproven > 0:
		line = t.paint(ansiYellow+ansiBold, line)
	case rep.Summary.Pass > 0:
		line = t.paint(ansiGreen, line)
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

func targetText(rs []Result) string {
	hosts := map[string]bool{}
	var list []string
	src := ""
	for _, r := range rs {
		h := wire.HostOnly(r.Target)
		if !hosts[h] {
			hosts[h] = true
			list = append(list, h)
		}
		if src == "" && r.Source != "" {
			src = wire.HostOnly(r.Source)
		}
	}
	s := "(to " + strings.Join(list, ", ")
	if src != "" {
		s += " from " + src
	}
	return s + ")"
}

// portText is the port, with the transport when it is not TCP ("udp/443").
func portText(r Result) string {
	if r.Transport != "" && r.Transport != wire.TransportTCP {
		return fmt.Sprintf("%s/%d", r.Transport, r.Port)
	}
	return fmt.Sprint(r.Port)
}

func durText(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.1fs", ms/1000)
	}
	return fmt.Sprintf("%.0fms", ms)
}

// shortReason is the reason without the "CHECK port to name (target): " head the table already
// shows, led by its code when the row did not pass ("unproven: refused: ..."). A result read
// back from JSON has no separate detail: its whole reason is printed.
func shortReason(r Result) string {
	text := r.detail
	if text == "" {
		text = r.Reason
	}
	if r.Verdict != wire.VerdictPass && r.Verdict != wire.VerdictSkip && r.Code != wire.CodeNone {
		return string(r.Code) + ": " + text
	}
	return text
}
