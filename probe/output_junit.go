package probe

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// JUnit writes one testsuite per source -> destination group and one testcase per row, so CI
// systems list every row.
type JUnit struct{}

// JUnitSuites is the <testsuites> document.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one source -> destination group.
type JUnitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []JUnitCase `xml:"testcase"`
}

// JUnitCase is one row.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitMessage `xml:"failure,omitempty"`
	Skipped   *JUnitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitMessage is a failure or skip.
type JUnitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func secs(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }

// Write encodes rep as JUnit XML.
func (JUnit) Write(w io.Writer, rep *Report) error {
	doc := JUnitSuites{Name: "mockdirector probe " + rep.Scenario, Time: secs(rep.DurationMS)}
	names, by := groups(rep)
	for _, g := range names {
		s := JUnitSuite{Name: g, Timestamp: rep.Started.UTC().Format("2006-01-02T15:04:05")}
		var total float64
		for _, r := range by[g] {
			c := JUnitCase{Name: r.ID, Classname: strings.ReplaceAll(g, " -> ", "->"), Time: secs(r.DurationMS)}
			c.SystemOut = fmt.Sprintf("target %s source %s check %s expected %s observed %s\n%s", r.Target, r.Source, r.Check, r.Expected, r.Observed, r.Reason)
			switch r.Verdict {
			case wire.VerdictFail:
				c.Failure = &JUnitMessage{Message: r.Reason, Type: string(r.Observed), Text: r.Reason}
				s.Failures++
			case wire.VerdictSkip:
				c.Skipped = &JUnitMessage{Message: r.Reason}
				s.Skipped++
			case wire.VerdictUnproven:
				// JUnit has no "cannot tell": a skip whose message says so (--strict makes it a failure).
				c.Skipped = &JUnitMessage{Message: "unproven: " + r.Reason, Type: string(wire.VerdictUnproven)}
				s.Skipped++
			}
			s.Tests++
			total += r.DurationMS
			s.Cases = append(s.Cases, c)
		}
		s.Time = secs(total)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
