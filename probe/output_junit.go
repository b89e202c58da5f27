package probe

import (
	"fmt"
	"io"
	"strings"

	"github.com/mockdirector/mockdirector/internal/junit"
	"github.com/mockdirector/mockdirector/internal/wire"
)

// JUnit writes one testsuite per source -> destination group and one testcase per row, so CI
// systems list every row.
type JUnit struct{}

// JUnitSuites is the <testsuites> document (the project's one JUnit type set, internal/junit).
type JUnitSuites = junit.Suites

// Write encodes rep as JUnit XML.
func (JUnit) Write(w io.Writer, rep *Report) error {
	doc := junit.Suites{Name: "mockdirector probe " + rep.Scenario, Time: junit.Seconds(rep.DurationMS)}
	names, by := groups(rep)
	for _, g := range names {
		s := junit.Suite{Name: g, Timestamp: rep.Started.UTC().Format("2006-01-02T15:04:05")}
		var total float64
		for _, r := range by[g] {
			c := junit.Case{Name: r.ID, Classname: strings.ReplaceAll(g, " -> ", "->"), Time: junit.Seconds(r.DurationMS)}
			c.SystemOut = fmt.Sprintf("target %s source %s check %s expected %s observed %s\n%s", r.Target, r.Source, r.Check, r.Expected, r.Observed, r.Reason)
			switch r.Verdict {
			case wire.VerdictFail:
				c.Failure = &junit.Message{Message: r.Reason, Type: string(r.Observed), Text: r.Reason}
			case wire.VerdictSkip:
				c.Skipped = &junit.Message{Message: r.Reason}
			case wire.VerdictUnproven:
				// JUnit has no "cannot tell": a skip whose message says so (--strict makes it a failure).
				c.Skipped = &junit.Message{Message: "unproven: " + r.Reason, Type: string(wire.VerdictUnproven)}
			case wire.VerdictPass:
			default:
				// A verdict this version does not know (a result file from another one) is not a
				// pass: a case without a failure would read as one.
				c.Failure = &junit.Message{Message: fmt.Sprintf("unknown verdict %q: %s", r.Verdict, r.Reason), Type: "unknown-verdict", Text: r.Reason}
			}
			total += r.DurationMS
			s.Add(c)
		}
		s.Time = junit.Seconds(total)
		doc.Add(s)
	}
	return junit.Write(w, doc)
}
