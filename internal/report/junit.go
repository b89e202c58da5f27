package report

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/mockdirector/mockdirector/internal/junit"
)

// JUnit renders one test case per row, one per prober result for a row the matrix does not
// hold (ProbeOnly) and one failed case per unexpected entry, for CI systems that read JUnit XML.
// A case passes only when its row is proven on the board (Row.Board, boardOf for a probe-only
// result): the same combined verdict the other outputs and the exit code follow, so a row the
// journal saw ok but the prober failed is a failed case. An unproven row is a skipped case,
// never a passed one.
func JUnit(w io.Writer, res *Result) error {
	rows := junit.Suite{Name: "mockdirector report " + res.Scenario + ": expected rows"}
	for _, r := range res.Rows {
		out := fmt.Sprintf("count %d; sources %s; members %s; last seen %s; %s", r.Count, sourcesText(r), listText(r.Members), timeText(r.LastSeen), r.Detail())
		if r.Probe != nil {
			out += "; probe " + r.Probe.ProbeText()
		}
		c := junit.Case{Name: r.ID, Classname: "mockdirector.report." + r.To, SystemOut: out}
		c.Failure, c.Skipped = rowOutcome(r)
		rows.Add(c)
	}
	for _, m := range res.Missing {
		rows.Add(junit.Case{Name: "journal from " + m.Role, Classname: "mockdirector.report." + m.Role,
			Failure: &junit.Message{Message: "no journal", Type: "no journal", Text: m.Line()}})
	}
	unexp := junit.Suite{Name: "mockdirector report " + res.Scenario + ": unexpected traffic"}
	for _, u := range res.Unexpected {
		unexp.Add(junit.Case{Name: u.Name(), Classname: "mockdirector.report.unexpected",
			Failure: &junit.Message{Message: u.Kind, Type: u.Kind, Text: fmt.Sprintf("%d events; %s", u.Count, u.Detail())}})
	}
	// An empty suite still says "nothing unexpected arrived" as a passing case.
	if len(unexp.Cases) == 0 {
		unexp.Add(junit.Case{Name: "no unexpected traffic", Classname: "mockdirector.report.unexpected"})
	}
	var doc junit.Suites
	doc.Add(rows)
	doc.Add(unexp)
	if len(res.ProbeOnly) > 0 {
		doc.Add(probeOnlySuite(res))
	}
	return junit.Write(w, doc)
}

// rowOutcome is a row's failure or skip: none only when the board says proven. The journal's
// state names a failure the journal saw (as before); a row the journal saw ok but the board
// does not prove is the prober's doing, named by the board's word and the prober's verdict.
func rowOutcome(r Row) (failure, skipped *junit.Message) {
	probe := ""
	if r.Probe != nil {
		probe = r.Probe.ProbeText()
	}
	switch {
	case r.Board == BoardProven:
		return nil, nil
	case !r.OK():
		return &junit.Message{Message: r.State, Type: r.State, Text: junitJoin(r.Detail(), probe)}, nil
	case r.Board == BoardUnproven:
		return nil, &junit.Message{Message: r.Board, Type: r.Board, Text: probe}
	}
	msg := r.Board
	if r.Probe != nil {
		msg = r.Probe.Verdict
	}
	return &junit.Message{Message: msg, Type: r.Board, Text: junitJoin(r.Detail(), probe)}, nil
}

// probeOnlySuite is one case per prober result for a row the matrix does not hold (a deny row,
// another role's row), judged by boardOf as every output judges it: failing is a failed case;
// unproven, or not run (the prober skipped it), a skipped case; proven a passed one.
func probeOnlySuite(res *Result) junit.Suite {
	s := junit.Suite{Name: "mockdirector report " + res.Scenario + ": probed rows not in the matrix"}
	ids := map[string]int{}
	for _, p := range res.ProbeOnly {
		ids[p.ID]++
	}
	for _, p := range res.ProbeOnly {
		name := p.ID
		if ids[p.ID] > 1 { // the same row from several probe files: keep the cases apart
			name += " [" + cmp.Or(p.Source, p.File) + "]"
		}
		c := junit.Case{Name: name, Classname: "mockdirector.report." + p.To,
			SystemOut: junitJoin("source "+cmp.Or(p.Source, "-")+"; target "+cmp.Or(p.Target, "-")+"; expected "+cmp.Or(p.Expected, "-"), p.File)}
		switch b := boardOf("", &p); b {
		case BoardProven:
		case BoardFailing:
			c.Failure = &junit.Message{Message: p.Verdict, Type: b, Text: junitJoin(p.ProbeText(), p.FirewallRule)}
		default:
			c.Skipped = &junit.Message{Message: p.Verdict, Type: b, Text: p.ProbeText()}
		}
		s.Add(c)
	}
	return s
}

func junitJoin(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}
