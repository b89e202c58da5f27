package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gstruct"

	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/report/reporttest"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

const (
	rowRP8080   = "reverse-proxy-internal->director tcp/8080 http"
	rowEdgeSIP  = "edge-internal->director tcp/5061 sip-mtls"
	rowCLS50002 = "any->director tcp/50002 cls-mtls"
	rowIC443    = "internal-clients->director tcp/443 https"
	edgeCert    = "edge01-int.contoso.local"
)

// runReport runs the binary and returns stdout and the exit code.
func runReport(args ...string) (string, int) {
	cmd := exec.Command(binary, append([]string{"report"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		Expect(err).NotTo(HaveOccurred())
	}
	return out.String() + errb.String(), code
}

func reportJSON(args ...string) (*report.Result, int) {
	out, code := runReport(append(args, "--format", "json")...)
	var res report.Result
	Expect(json.Unmarshal([]byte(out), &res)).To(Succeed(), out)
	return &res, code
}

func rowOf(res *report.Result, id string) report.Row {
	for _, r := range res.Rows {
		if r.ID == id {
			return r
		}
	}
	Fail("no row " + id)
	return report.Row{}
}

var _ = Describe("report from a journal of real traffic", Ordered, func() {
	var (
		dir      string
		dir01    *reporttest.Director
		topoFlag []string
	)

	BeforeAll(func() {
		dir = testdir.New()
		var err error
		dir01, err = reporttest.StartDirector(reporttest.Options{Member: "dir01", Journal: filepath.Join(dir, "dir01.jsonl"), CertDir: filepath.Join(dir, "certs")})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(dir01.Stop)
		topoFlag = []string{"--journal", dir01.Journal, "--topology", reporttest.TopologyFile()}
	})

	It("says: Edge path seen ok, RP path not seen yet, an internal client on 8080 unexpected; exit 1; then the RP row turns green", func() {
		By("the Edge internal interface sending SIP OPTIONS over MTLS from its own address (openssl s_client, then a Go client)")
		out, err := reporttest.OpenSSL(reporttest.Edge, dir01.Addr("sip-mtls-5061"), dir01.CertDir, edgeCert)
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("Verify return code: 0 (ok)"))
		status, err := reporttest.SIPOptions(reporttest.Edge, dir01.Addr("sip-mtls-5061"), dir01.CertDir, edgeCert)
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(HavePrefix("SIP/2.0 200"))

		By("an internal client reaching 8080 directly (curl --interface " + reporttest.InternalClient + ")")
		code, err := reporttest.Curl(reporttest.InternalClient, "http://"+dir01.Addr("http-8080")+"/meet/")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		Eventually(func() int { return reporttest.Lines(dir01.Journal) }).Should(BeNumerically(">=", 4)) // 2 handshakes, 1 SIP, 1 HTTP

		By("the report")
		text, exit := runReport(topoFlag...)
		Expect(exit).To(Equal(1), text)
		Expect(text).To(MatchRegexp(`(?m)^seen ok\s+` + regexpQuote(rowEdgeSIP) + `\s+3\s+127\.0\.50\.11\s`))
		Expect(text).To(MatchRegexp(`(?m)^not seen yet\s+` + regexpQuote(rowRP8080) + `\s+0\s+-`))
		Expect(text).To(MatchRegexp(`(?m)^unexpected source\s+127\.0\.50\.33\s+director tcp/8080 http\s+1\s`))
		Expect(text).To(ContainSubstring("source is internal-clients; allowed only from: reverse-proxy-internal; the table denies it: internal-clients->director tcp/8080 tcp"))

		Expect(text).To(ContainSubstring("no journal from frontend (fe01.contoso.local): its rows cannot be judged"))
		Expect(text).To(ContainSubstring("no journal from edge-internal (edge01-int.contoso.local): its rows cannot be judged"))

		res, exit := reportJSON(topoFlag...)
		Expect(exit).To(Equal(1))
		Expect(res.Roles).To(Equal([]string{"director", "frontend", "edge-internal"}), "every role of the topology is held to the table")
		Expect(res.Missing).To(ConsistOf(
			report.Missing{Role: "frontend", Members: []string{"fe01.contoso.local"}},
			report.Missing{Role: "edge-internal", Members: []string{"edge01-int.contoso.local"}}))
		edge := rowOf(res, rowEdgeSIP)
		Expect(edge.State).To(Equal(report.StateSeenOK))
		Expect(edge.Sources).To(Equal([]string{reporttest.Edge}))
		Expect(edge.ClientCerts).To(ConsistOf(ContainSubstring("CN=edge-int.contoso.local")))
		Expect(edge.Members).To(Equal([]string{"dir01.contoso.local"}))
		Expect(edge.FirstSeen).NotTo(BeNil())
		Expect(rowOf(res, rowRP8080).State).To(Equal(report.StateNotSeen))
		Expect(res.Unexpected).To(HaveLen(1))
		Expect(res.Unexpected[0]).To(gstruct.MatchFields(gstruct.IgnoreExtras, gstruct.Fields{
			"Kind": Equal(report.KindUnexpectedSource), "Source": Equal(reporttest.InternalClient), "Port": Equal(8080),
			"SourceRoles": Equal([]string{scenarios.RoleInternalClient}), "Denied": Equal("internal-clients->director tcp/8080 tcp"),
		}))

		By("the reverse proxy's traffic arriving (curl --interface " + reporttest.ReverseProxy + ")")
		code, err = reporttest.Curl(reporttest.ReverseProxy, "http://"+dir01.Addr("http-8080")+"/meet/", "-H", "X-Forwarded-For: 203.0.113.7")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		res, exit = reportJSON(topoFlag...)
		rp := rowOf(res, rowRP8080)
		Expect(rp.State).To(Equal(report.StateSeenOK))
		Expect(rp.Sources).To(Equal([]string{reporttest.ReverseProxy}))
		Expect(rp.Count).To(Equal(1))
		Expect(rowOf(res, rowEdgeSIP).State).To(Equal(report.StateSeenOK))
		Expect(res.Unexpected).To(HaveLen(1), "the internal client's visit stays unexpected")
		Expect(exit).To(Equal(1), "other rows are still not seen and one visit was unexpected")
	})

	It("shows a failed handshake with its reason, a row from any accepting every source, and a stranger", func() {
		By("openssl s_client without a client certificate on CLS 50002, from an address the topology does not name")
		out, _ := reporttest.OpenSSL(reporttest.Stranger, dir01.Addr("cls-mtls-50002"), dir01.CertDir, "")
		Expect(out).To(ContainSubstring("CONNECTED"))
		By("a stranger reaching https 443, which only internal clients may use")
		code, err := reporttest.Curl(reporttest.Stranger, "https://"+dir01.Addr("https-443")+"/autodiscover/autodiscoverservice.svc/root")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		By("an internal client on 443 with curl, and a CLS session with a certificate from the Edge address")
		code, err = reporttest.Curl(reporttest.InternalClient, "https://"+dir01.Addr("https-443")+"/autodiscover/autodiscoverservice.svc/root")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		reply, err := reporttest.CLSPing(reporttest.Edge, dir01.Addr("cls-mtls-50001"), dir01.CertDir, edgeCert)
		Expect(err).NotTo(HaveOccurred())
		Expect(reply).To(Equal("PONG h5"))

		var res *report.Result
		Eventually(func() string {
			res, _ = reportJSON(topoFlag...)
			return rowOf(res, rowCLS50002).State
		}).Should(Equal(report.StateFailed), func() string { b, _ := os.ReadFile(dir01.Journal); return string(b) })
		cls := rowOf(res, rowCLS50002)
		Expect(cls.LastReason).To(ContainSubstring("no client certificate"))
		Expect(cls.Sources).To(Equal([]string{reporttest.Stranger}), "a row from any takes every source")
		Expect(rowOf(res, "any->director tcp/50001 cls-mtls").State).To(Equal(report.StateSeenOK))
		ic := rowOf(res, rowIC443)
		Expect(ic.State).To(Equal(report.StateSeenOK))
		Expect(ic.Sources).To(Equal([]string{reporttest.InternalClient}))
		var stranger []report.Unexpected
		for _, u := range res.Unexpected {
			if u.Source == reporttest.Stranger {
				stranger = append(stranger, u)
			}
		}
		Expect(stranger).To(HaveLen(1))
		Expect(stranger[0].Port).To(Equal(443))
		Expect(stranger[0].SourceRoles).To(BeEmpty())
		Expect(stranger[0].Count).To(Equal(2), "handshake and request")

		text, exit := runReport(topoFlag...)
		Expect(exit).To(Equal(1))
		Expect(text).To(MatchRegexp(`(?m)^seen but handshake failed\s+` + regexpQuote(rowCLS50002) + `.*no client certificate`))
		Expect(text).To(ContainSubstring("source is an address the topology does not name; allowed only from: internal-clients"))
	})

	It("reads a journal still being written: an unfinished last line is skipped", func() {
		data, err := os.ReadFile(dir01.Journal)
		Expect(err).NotTo(HaveOccurred())
		growing := filepath.Join(testdir.New(), "growing.jsonl")
		Expect(os.WriteFile(growing, append(data, []byte(`{"time":"2026-01-01T00:00:00Z","kind":"http","role":"director","port":8080,"remote":"127.0.50.99:1","outc`)...), 0o644)).To(Succeed())
		whole, _ := reportJSON(topoFlag...)
		cut, exit := reportJSON("--journal", growing, "--topology", reporttest.TopologyFile())
		Expect(exit).To(Equal(1))
		Expect(cut.Events).To(Equal(whole.Events))
		Expect(cut.Rows).To(Equal(whole.Rows))
		Expect(cut.Unexpected).To(Equal(whole.Unexpected))
	})

	It("renders junit and markdown, and refuses bad input with exit 2", func() {
		out, exit := runReport(append(topoFlag, "--format", "junit")...)
		Expect(exit).To(Equal(1))
		var suites struct {
			Suites []struct {
				Name     string `xml:"name,attr"`
				Failures int    `xml:"failures,attr"`
				Cases    []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		Expect(xml.Unmarshal([]byte(out), &suites)).To(Succeed(), out)
		Expect(suites.Suites).To(HaveLen(2))
		var passed []string
		for _, c := range suites.Suites[0].Cases {
			if c.Failure == nil {
				passed = append(passed, c.Name)
			}
		}
		Expect(passed).To(ContainElements(rowEdgeSIP, rowRP8080, rowIC443))
		Expect(passed).NotTo(ContainElement(rowCLS50002))
		Expect(suites.Suites[1].Failures).To(Equal(2))

		out, exit = runReport(append(topoFlag, "--format", "markdown")...)
		Expect(exit).To(Equal(1))
		Expect(out).To(ContainSubstring("| ✅ seen ok | `" + rowRP8080 + "` | 1 | 127.0.50.10 |"))
		Expect(out).To(ContainSubstring("| ❌ unexpected source | 127.0.50.33 |"))

		res, exit := reportJSON(append(topoFlag, "--role", "frontend")...)
		Expect(exit).To(Equal(1))
		Expect(res.Roles).To(Equal([]string{"frontend"}))
		Expect(res.Summary.NotSeen).To(Equal(len(res.Rows)))
		Expect(res.Unexpected).To(BeEmpty(), "director traffic is not held against the frontend's rows")
		_, exit = runReport(append(topoFlag, "--role", "mediation")...)
		Expect(exit).To(Equal(2))

		_, exit = runReport(append(topoFlag, "--format", "yaml")...)
		Expect(exit).To(Equal(2))
		out, exit = runReport("--journal", filepath.Join(testdir.New(), "missing.jsonl"))
		Expect(exit).To(Equal(2))
		Expect(out).To(ContainSubstring("no such file"))
	})

	It("shows the prober's results beside the rows, keyed by row id", func() {
		probe := filepath.Join(testdir.New(), "probe.json")
		Expect(os.WriteFile(probe, []byte(`{"scenario":"lync2013-single-director","results":[
			{"id":"`+rowRP8080+`","from":"reverse-proxy-internal","to":"director","port":8080,"protocol":"http","verdict":"pass","observed":"http 200","reason":"answered"},
			{"id":"internal-clients->director tcp/8080 tcp","from":"internal-clients","to":"director","port":8080,"protocol":"tcp","verdict":"fail","observed":"open","reason":"the firewall let it through"}]}`), 0o644)).To(Succeed())
		res, _ := reportJSON(append(topoFlag, "--probe", probe)...)
		Expect(rowOf(res, rowRP8080).Probe).NotTo(BeNil())
		Expect(rowOf(res, rowRP8080).Probe.Verdict).To(Equal("pass"))
		Expect(res.ProbeOnly).To(HaveLen(1))
		text, _ := runReport(append(topoFlag, "--probe", probe)...)
		Expect(text).To(MatchRegexp(`(?m)^seen ok\s+` + regexpQuote(rowRP8080) + `.*pass \(http 200\)`))
		Expect(text).To(ContainSubstring("PROBED ROWS NOT IN THE MATRIX"))
	})
})

var _ = Describe("report over a pool of members and a wider table", Ordered, func() {
	It("merges two members' journals and names both members", func() {
		dir := testdir.New()
		cd := filepath.Join(dir, "certs")
		d1, err := reporttest.StartDirector(reporttest.Options{Member: "dir01", Journal: filepath.Join(dir, "dir01.jsonl"), CertDir: cd})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(d1.Stop)
		d2, err := reporttest.StartDirector(reporttest.Options{Member: "dir02", Journal: filepath.Join(dir, "dir02.jsonl"), CertDir: cd})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(d2.Stop)
		Expect(d2.Addr("http-8080")).To(HavePrefix("127.0.50.7:"))
		for _, d := range []*reporttest.Director{d1, d2} {
			code, err := reporttest.Curl(reporttest.ReverseProxy, "http://"+d.Addr("http-8080")+"/meet/")
			Expect(err).NotTo(HaveOccurred())
			Expect(code).To(Equal("200"))
		}
		res, exit := reportJSON("--journal", d1.Journal, "--journal", d2.Journal, "--topology", reporttest.TopologyFile())
		Expect(exit).To(Equal(1))
		rp := rowOf(res, rowRP8080)
		Expect(rp.State).To(Equal(report.StateSeenOK))
		Expect(rp.Count).To(Equal(2))
		Expect(rp.Members).To(ConsistOf("dir01.contoso.local", "dir02.contoso.local"))
		Expect(res.Unexpected).To(BeEmpty())
	})

	It("calls traffic to a port the table has no row for an unexpected port", func() {
		dir := testdir.New()
		wide, err := scenarios.Load(reporttest.ScenarioFile("extra-port.yaml"))
		Expect(err).NotTo(HaveOccurred())
		d, err := reporttest.StartDirector(reporttest.Options{Member: "dir01", Journal: filepath.Join(dir, "j.jsonl"), CertDir: filepath.Join(dir, "certs"), Scenario: wide})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(d.Stop)
		code, err := reporttest.Curl(reporttest.InternalClient, "https://"+d.Addr("https-8443")+"/")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).NotTo(BeEmpty())
		var res *report.Result
		Eventually(func() []report.Unexpected {
			res, _ = reportJSON("--journal", d.Journal, "--topology", reporttest.TopologyFile())
			return res.Unexpected
		}).Should(HaveLen(1))
		Expect(res.Unexpected[0].Kind).To(Equal(report.KindUnexpectedPort))
		Expect(res.Unexpected[0].Port).To(Equal(8443))
		Expect(res.Unexpected[0].Count).To(Equal(2), "handshake and request")

		By("with the wider table itself the same traffic is a row seen ok, and the report passes once 8080 is seen too")
		code, err = reporttest.Curl(reporttest.ReverseProxy, "http://"+d.Addr("http-8080")+"/meet/")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		out, exit := runReport("--journal", d.Journal, "--topology", reporttest.TopologyFile(), "--scenario", reporttest.ScenarioFile("extra-port.yaml"))
		Expect(out).To(ContainSubstring("OK: 2 of 2 rows seen ok"))
		Expect(exit).To(Equal(0), out)
	})
})

var _ = Describe("Matrix", func() {
	It("holds every allow row of every role when the journal is empty, and is not OK", func() {
		res := report.Matrix(nil, scenarios.Default(), topology.Default())
		Expect(res.OK).To(BeFalse())
		Expect(res.Roles).To(ConsistOf("director", "frontend", "edge-internal", "pki"))
		Expect(res.Summary.NotSeen).To(Equal(len(res.Rows)))
	})

	It("lets any source count for a role the topology names no address for", func() {
		now := time.Now()
		evs := []journal.Event{{Time: now, Kind: journal.KindHTTP, Role: "director", Listener: "http-8080", Protocol: "http", Port: 8080, Remote: "198.51.100.4:4000", Outcome: journal.OutcomeOK, Member: "dir01"}}
		res := report.Matrix(evs, scenarios.Default(), topology.Default())
		rp := rowOf(res, rowRP8080)
		Expect(rp.State).To(Equal(report.StateSeenOK))
		Expect(rp.SourcesDeclared).To(BeFalse())
		Expect(rp.Detail()).To(ContainSubstring("topology names no addresses for reverse-proxy-internal"))
		Expect(res.Unexpected).To(BeEmpty())
	})
})

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }
