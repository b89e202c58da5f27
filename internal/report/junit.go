package report

import (
	"fmt"
	"io"

	"github.com/mockdirector/mockdirector/internal/junit"
)

// JUnit renders one test case per row (failed unless seen ok) and one failed case per unexpected
// entry, for CI systems that read JUnit XML.
func JUnit(w io.Writer, res *Result) error {
	rows := junit.Suite{Name: "mockdirector report " + res.Scenario + ": expected rows"}
	for _, r := range res.Rows {
		c := junit.Case{Name: r.ID, Classname: "mockdirector.report." + r.To,
			SystemOut: fmt.Sprintf("count %d; sources %s; members %s; last seen %s; %s", r.Count, sourcesText(r), listText(r.Members), timeText(r.LastSeen), r.Detail())}
		if !r.OK() {
			c.Failure = &junit.Message{Message: r.State, Type: r.State, Text: r.Detail()}
		}
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
	return junit.Write(w, doc)
}
