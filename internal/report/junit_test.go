package report_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/report/reporttest"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// junitDoc is the JUnit document as a CI system reads it.
type junitDoc struct {
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string      `xml:"name,attr"`
		Failures int         `xml:"failures,attr"`
		Cases    []junitCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitCase struct {
	Name    string    `xml:"name,attr"`
	Failure *junitMsg `xml:"failure"`
	Skipped *junitMsg `xml:"skipped"`
}

type junitMsg struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func (c junitCase) passed() bool { return c.Failure == nil && c.Skipped == nil }

// junitCases maps every case of the document by name.
func junitCases(doc junitDoc) map[string]junitCase {
	out := map[string]junitCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			Expect(out).NotTo(HaveKey(c.Name), "one case per name")
			out[c.Name] = c
		}
	}
	return out
}

const (
	rowDenyIC8080  = "internal-clients->director tcp/8080 tcp"
	rowDenyEdgeUDP = "edge-internal->director udp/443 udp-quic"
	rowDenyRP444   = "reverse-proxy-internal->director tcp/444 tcp"
)

// probeAgainstJournal is a prober's JSON results that disagree with a journal that saw every
// director row ok: a failed allow row, an unproven one, a passed one, and three results for
// deny rows the matrix does not hold (one found open, one unproven, one held).
const probeAgainstJournal = `{"scenario":"lync2013-single-director","started":"2026-12-01T10:00:00Z","results":[
 {"id":"` + rowEdgeSIP + `","from":"edge-internal","to":"director","port":5061,"protocol":"sip-mtls","source":"192.0.2.44","expected":"allow",
  "verdict":"fail","observed":"handshake-failed","reason":"TLS interception","code":"interception"},
 {"id":"` + rowRP8080 + `","from":"reverse-proxy-internal","to":"director","port":8080,"protocol":"http","source":"192.0.2.44","expected":"allow",
  "verdict":"unproven","observed":"refused","reason":"refused: cannot tell","code":"unproven"},
 {"id":"` + rowIC443 + `","from":"internal-clients","to":"director","port":443,"protocol":"https","source":"192.0.2.44","expected":"allow",
  "verdict":"pass","observed":"http 200","reason":"answered"},
 {"id":"` + rowDenyIC8080 + `","from":"internal-clients","to":"director","port":8080,"protocol":"tcp","source":"192.0.2.44","expected":"deny",
  "verdict":"fail","observed":"open","reason":"the firewall let it through"},
 {"id":"` + rowDenyEdgeUDP + `","from":"edge-internal","to":"director","port":443,"protocol":"udp-quic","source":"192.0.2.44","expected":"deny",
  "verdict":"unproven","observed":"refused","reason":"refused: cannot tell","code":"unproven"},
 {"id":"` + rowDenyRP444 + `","from":"reverse-proxy-internal","to":"director","port":444,"protocol":"tcp","source":"192.0.2.44","expected":"deny",
  "verdict":"pass","observed":"filtered","reason":"no answer"}]}`

var _ = Describe("the junit report", func() {
	// resultOf builds the Result the way report --journal J --probe P does: the real journal
	// reader and probe loader over files on disk.
	resultOf := func(journalFile, probeFile string) *report.Result {
		topo := must(topology.Load(reporttest.TopologyFile()))
		b := report.NewBuilder(scenarios.Default(), topo, report.Options{Roles: []string{scenarios.RoleDirector}})
		inputs := must(report.ReadJournals(b.Add, journalFile))
		res := b.Result()
		res.AddInputs(inputs...)
		pf := must(report.LoadProbe(probeFile))
		res.AttachProbe(pf.Results)
		return res
	}

	It("fails a row the journal saw ok but the prober failed, skips an unproven one, and fails a probe-only result, as the board does", func() {
		dir := GinkgoT().TempDir()
		j := writeJournal(dir, "dir01.jsonl", answeredRows(time.Now(), scenarios.RoleDirector))
		p := filepath.Join(dir, "probe.json")
		Expect(os.WriteFile(p, []byte(probeAgainstJournal), 0o644)).To(Succeed())
		res := resultOf(j, p)

		By("the premise: the journal saw the row ok, the board says failing and the report is not OK")
		sip := rowOf(res, rowEdgeSIP)
		Expect(sip.State).To(Equal(report.StateSeenOK))
		Expect(sip.OK()).To(BeTrue())
		Expect(sip.Board).To(Equal(report.BoardFailing))
		Expect(rowOf(res, rowRP8080).State).To(Equal(report.StateSeenOK))
		Expect(rowOf(res, rowRP8080).Board).To(Equal(report.BoardUnproven))
		Expect(res.ProbeOnly).To(HaveLen(3))
		Expect(res.OK).To(BeFalse())

		var buf bytes.Buffer
		Expect(report.Write(&buf, "junit", res)).To(Succeed())
		var doc junitDoc
		Expect(xml.Unmarshal(buf.Bytes(), &doc)).To(Succeed(), buf.String())
		cases := junitCases(doc)

		By("the row the prober failed is a failed case, in the board's and the prober's words")
		Expect(cases).To(HaveKey(rowEdgeSIP))
		Expect(cases[rowEdgeSIP].Failure).NotTo(BeNil(), buf.String())
		Expect(cases[rowEdgeSIP].Failure.Type).To(Equal(report.BoardFailing))
		Expect(cases[rowEdgeSIP].Failure.Message).To(Equal("fail"))

		By("the unproven row is skipped, with the prober's reason, not passed")
		Expect(cases[rowRP8080].passed()).To(BeFalse(), buf.String())
		Expect(cases[rowRP8080].Skipped).NotTo(BeNil())
		Expect(cases[rowRP8080].Skipped.Type).To(Equal(report.BoardUnproven))
		Expect(cases[rowRP8080].Skipped.Text).To(ContainSubstring("refused: cannot tell"))
		Expect(cases[rowIC443].passed()).To(BeTrue())

		By("the deny row the prober found open is a failed case of its own")
		Expect(cases).To(HaveKey(rowDenyIC8080), buf.String())
		Expect(cases[rowDenyIC8080].Failure).NotTo(BeNil())
		Expect(cases[rowDenyIC8080].Failure.Type).To(Equal(report.BoardFailing))
		Expect(cases[rowDenyIC8080].Failure.Text).To(ContainSubstring("the firewall let it through"))
		Expect(cases[rowDenyEdgeUDP].Skipped).NotTo(BeNil())
		Expect(cases[rowDenyEdgeUDP].Failure).To(BeNil())
		Expect(cases[rowDenyRP444].passed()).To(BeTrue())

		By("every case passes exactly when its row is proven on the board")
		for _, r := range res.Rows {
			Expect(cases).To(HaveKey(r.ID))
			Expect(cases[r.ID].passed()).To(Equal(r.Board == report.BoardProven), r.ID+" is "+r.Board)
		}
		for _, p := range res.ProbeOnly {
			Expect(cases).To(HaveKey(p.ID))
			Expect(cases[p.ID].passed()).To(Equal(p.Verdict == "pass"), p.ID+" is "+p.Verdict)
		}
		Expect(doc.Failures).To(Equal(res.Summary.Board.Failing), "the document's failures are the board's failing rows")
	})
})
