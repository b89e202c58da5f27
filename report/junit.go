package report

import (
	"encoding/xml"
	"fmt"
	"io"
)

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit renders one test case per row (failed unless seen ok) and one failed case per unexpected
// entry, for CI systems that read JUnit XML.
func JUnit(w io.Writer, res *Result) error {
	rows := junitSuite{Name: "mockdirector report " + res.Scenario + ": expected rows"}
	for _, r := range res.Rows {
		c := junitCase{Name: r.ID, Classname: "mockdirector.report." + r.To,
			SystemOut: fmt.Sprintf("count %d; sources %s; members %s; last seen %s; %s", r.Count, sourcesText(r), listText(r.Members), timeText(r.LastSeen), r.Detail())}
		if !r.OK() {
			c.Failure = &junitFailure{Message: r.State, Type: r.State, Text: r.Detail()}
			rows.Failures++
		}
		rows.Cases = append(rows.Cases, c)
	}
	for _, m := range res.Missing {
		rows.Cases = append(rows.Cases, junitCase{Name: "journal from " + m.Role, Classname: "mockdirector.report." + m.Role,
			Failure: &junitFailure{Message: "no journal", Type: "no journal", Text: m.Line()}})
		rows.Failures++
	}
	rows.Tests = len(rows.Cases)
	unexp := junitSuite{Name: "mockdirector report " + res.Scenario + ": unexpected traffic"}
	for _, u := range res.Unexpected {
		unexp.Cases = append(unexp.Cases, junitCase{Name: u.Name(), Classname: "mockdirector.report.unexpected",
			Failure: &junitFailure{Message: u.Kind, Type: u.Kind, Text: fmt.Sprintf("%d events; %s", u.Count, u.Detail())}})
	}
	// An empty suite still says "nothing unexpected arrived" as a passing case.
	if len(unexp.Cases) == 0 {
		unexp.Cases = append(unexp.Cases, junitCase{Name: "no unexpected traffic", Classname: "mockdirector.report.unexpected"})
	}
	unexp.Tests, unexp.Failures = len(unexp.Cases), len(res.Unexpected)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{rows, unexp}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
