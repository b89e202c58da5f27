package admin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/admin"
	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/report/reporttest"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

const (
	rowRP4443 = "reverse-proxy-internal->director tcp/4443 https"
	// A deny row of the complement: the matrix does not hold it, the report lists it apart.
	rowDenyIC444 = "internal-clients->director tcp/444 tcp"
)

// post sends body to POST /api/probe with the bearer token (none when "").
func post(base, token, body string) (int, string) {
	req, err := http.NewRequest("POST", base+"/api/probe", strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// probeDoc is a document of probe --format json with the given results.
func probeDoc(scenario string, results ...report.ProbeResult) string {
	b, err := json.Marshal(report.ProbeFile{Scenario: scenario, Started: time.Now(), Results: results})
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// matrixOf reads /api/matrix: the report's Result and the posted results beside it.
func matrixOf(base, token string) (report.Result, admin.PostedView) {
	_, body := get(base+"/api/matrix", token)
	var res report.Result
	Expect(json.Unmarshal([]byte(body), &res)).To(Succeed())
	var extra struct {
		Posted admin.PostedView `json:"posted"`
	}
	Expect(json.Unmarshal([]byte(body), &extra)).To(Succeed())
	return res, extra.Posted
}

var _ = Describe("POST /api/probe", func() {
	const token = "p0st-t0ken"
	var (
		srv  *admin.Server
		d    *reporttest.Director
		base string
		scn  = scenarios.Default().Name
	)
	BeforeEach(func() {
		srv, d = startAdmin(admin.Options{Token: token})
		base = "http://" + srv.Addr().String()
	})

	It("holds posted results beside the rows, joined as report --probe joins them, and pushes them over the event stream", func() {
		By("the reverse proxy's traffic, seen by the journal")
		code, err := reporttest.Curl(reporttest.ReverseProxy, "http://"+d.Addr("http-8080")+"/meet/")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))

		By("a subscriber on the event stream")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tr, err := http.NewRequest("POST", base+"/api/stream-token", nil)
		Expect(err).NotTo(HaveOccurred())
		tr.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(tr)
		Expect(err).NotTo(HaveOccurred())
		var st struct {
			StreamToken string `json:"stream_token"`
		}
		Expect(json.NewDecoder(resp.Body).Decode(&st)).To(Succeed())
		resp.Body.Close()
		sreq, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/events?stream_token="+st.StreamToken, nil)
		sresp, err := http.DefaultClient.Do(sreq)
		Expect(err).NotTo(HaveOccurred())
		defer sresp.Body.Close()
		probeEvents := make(chan string, 4)
		go func() {
			defer GinkgoRecover()
			sc := bufio.NewScanner(sresp.Body)
			event := ""
			for sc.Scan() {
				if e, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
					event = e
				}
				if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && event == "probe" {
					probeEvents <- data
				}
			}
		}()
		Eventually(func() int { return reporttest.Lines(d.Journal) }).Should(BeNumerically(">", 0))

		By("the reverse proxy's probe: 8080 pass, 4443 pass (the journal never saw 4443), a deny row refused")
		doc := probeDoc(scn,
			report.ProbeResult{ID: rowRP8080, From: "reverse-proxy-internal", Verdict: "pass", Observed: "http 200", Reason: "answered", Source: reporttest.ReverseProxy},
			report.ProbeResult{ID: rowRP4443, From: "reverse-proxy-internal", Verdict: "pass", Observed: "https 200", Reason: "answered", Source: reporttest.ReverseProxy},
			report.ProbeResult{ID: rowDenyIC444, From: "internal-clients", Verdict: "pass", Observed: "refused", Reason: "refused where a guard listens", Source: reporttest.InternalClient})
		status, body := post(base, token, doc)
		Expect(status).To(Equal(http.StatusOK), body)
		Expect(body).To(ContainSubstring(`"accepted": 3`))
		var pushed string
		Eventually(probeEvents, 5*time.Second).Should(Receive(&pushed))
		var ack struct{ Rows, Hosts []string }
		Expect(json.Unmarshal([]byte(pushed), &ack)).To(Succeed())
		Expect(ack.Rows).To(ContainElement(rowRP8080))
		Expect(ack.Hosts).To(ContainElement(reporttest.ReverseProxy))

		res, view := matrixOf(base, token)
		byID := map[string]report.Row{}
		for _, r := range res.Rows {
			byID[r.ID] = r
		}
		Expect(byID[rowRP8080].Probe).NotTo(BeNil())
		Expect(byID[rowRP8080].Probe.Verdict).To(Equal("pass"))
		Expect(byID[rowRP8080].Board).To(Equal(report.BoardProven))
		Expect(byID[rowRP4443].Probe.Verdict).To(Equal("pass"))
		Expect(byID[rowRP4443].Board).To(Equal(report.BoardNotSeen), "a probe pass the journal did not see is not proven: the report says not seen")
		Expect(res.ProbeOnly).To(ContainElement(HaveField("ID", rowDenyIC444)))
		Expect(view.Results).To(Equal(3))
		Expect(view.Hosts).To(ConsistOf(reporttest.ReverseProxy, reporttest.InternalClient))
		Expect(view.Rows[rowRP8080]).To(HaveLen(1))
		Expect(view.Rows[rowRP8080][0].Role).To(Equal("reverse-proxy-internal"))
		Expect(view.Rows[rowRP8080][0].PostedFrom).To(HavePrefix("127."))

		By("the same journal and the same document through report --probe's path: every row's board agrees")
		pf, err := report.DecodeProbe([]byte(doc), "probe.json")
		Expect(err).NotTo(HaveOccurred())
		topo, err := topology.Load(reporttest.TopologyFile())
		Expect(err).NotTo(HaveOccurred())
		b := report.NewBuilder(scenarios.Default(), topo, report.Options{Roles: []string{scenarios.RoleDirector}})
		_, err = report.ReadJournals(b.Add, d.Journal)
		Expect(err).NotTo(HaveOccurred())
		want := b.Result()
		want.AttachProbe(pf.Results)
		for _, r := range want.Rows {
			Expect(byID[r.ID].Board).To(Equal(r.Board), r.ID)
		}
		Expect(res.Summary.Board).To(Equal(want.Summary.Board))

		By("a later result of the same row from the same host replaces the earlier; another host's is kept beside it")
		status, body = post(base, token, probeDoc(scn, report.ProbeResult{ID: rowRP8080, From: "reverse-proxy-internal", Verdict: "fail", Observed: "filtered", Reason: "no answer in 3s", Source: reporttest.ReverseProxy}))
		Expect(status).To(Equal(http.StatusOK), body)
		res, view = matrixOf(base, token)
		Expect(view.Rows[rowRP8080]).To(HaveLen(1))
		Expect(view.Results).To(Equal(3))
		for _, r := range res.Rows {
			if r.ID == rowRP8080 {
				Expect(r.Probe.Verdict).To(Equal("fail"))
				Expect(r.Board).To(Equal(report.BoardFailing), "the journal saw it ok, the prober now fails it: failing, as the report says")
			}
		}
		Expect(res.OK).To(BeFalse())
		status, _ = post(base, token, probeDoc(scn, report.ProbeResult{ID: rowRP8080, From: "reverse-proxy-internal", Verdict: "pass", Source: "127.0.50.12"}))
		Expect(status).To(Equal(http.StatusOK))
		res, view = matrixOf(base, token)
		Expect(view.Rows[rowRP8080]).To(HaveLen(2))
		for _, r := range res.Rows {
			if r.ID == rowRP8080 {
				Expect(r.Probes).To(HaveLen(2))
				Expect(r.Probe.Verdict).To(Equal("fail"), "the worst of the hosts, as report --probe with two files")
			}
		}
	})

	It("refuses posts without the bearer token, with a stream token, or to an admin without a token", func() {
		doc := probeDoc(scn, report.ProbeResult{ID: rowRP8080, Verdict: "pass"})
		status, body := post(base, "", doc)
		Expect(status).To(Equal(http.StatusUnauthorized))
		Expect(body).To(ContainSubstring("missing or wrong token"))
		status, _ = post(base, "wrong", doc)
		Expect(status).To(Equal(http.StatusUnauthorized))

		tr, _ := http.NewRequest("POST", base+"/api/stream-token", nil)
		tr.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(tr)
		Expect(err).NotTo(HaveOccurred())
		var st struct {
			StreamToken string `json:"stream_token"`
		}
		Expect(json.NewDecoder(resp.Body).Decode(&st)).To(Succeed())
		resp.Body.Close()
		req, _ := http.NewRequest("POST", base+"/api/probe?stream_token="+st.StreamToken, strings.NewReader(doc))
		resp, err = http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), "a stream token opens the event stream only")

		open, _ := startAdmin(admin.Options{})
		status, body = post("http://"+open.Addr().String(), "", doc)
		Expect(status).To(Equal(http.StatusForbidden))
		Expect(body).To(ContainSubstring("needs an admin with a token"))
		_, view := matrixOf(base, token)
		Expect(view.Results).To(BeZero(), "nothing refused was kept")
	})

	It("refuses another scenario, a row the table lacks, a body that is not the prober's JSON, and one over the size limit, saying what to fix", func() {
		status, body := post(base, token, probeDoc("hold-lab", report.ProbeResult{ID: rowRP8080, Verdict: "pass"}))
		Expect(status).To(Equal(http.StatusConflict))
		Expect(body).To(ContainSubstring(`the results are of scenario "hold-lab", this mock holds "` + scn + `"`))
		Expect(body).To(ContainSubstring("run probe with the mock's --scenario"))

		status, body = post(base, token, probeDoc(scn,
			report.ProbeResult{ID: rowRP8080, Verdict: "pass"},
			report.ProbeResult{ID: "reverse-proxy-internal->director tcp/9999 https", Verdict: "pass"}))
		Expect(status).To(Equal(http.StatusBadRequest))
		Expect(body).To(ContainSubstring(`has no row "reverse-proxy-internal->director tcp/9999 https"`))
		Expect(body).To(ContainSubstring("probe with the same scenario file as the mock (nothing of this post was kept)"))

		status, body = post(base, token, `{"scenario":`)
		Expect(status).To(Equal(http.StatusBadRequest))
		Expect(body).To(ContainSubstring("not the prober's JSON (run probe with --format json)"))
		status, body = post(base, token, `{"scenario":"`+scn+`","results":[{"verdict":"pass"}]}`)
		Expect(status).To(Equal(http.StatusBadRequest))
		Expect(body).To(ContainSubstring("result 0 has no id"))

		big := `{"scenario":"` + scn + `","results":[],"pad":"` + strings.Repeat("x", admin.MaxProbeBody) + `"}`
		status, body = post(base, token, big)
		Expect(status).To(Equal(http.StatusRequestEntityTooLarge))
		Expect(body).To(ContainSubstring("post fewer results at a time"))

		status, body = post(base, token, probeDoc(scn, report.ProbeResult{ID: rowRP8080, Verdict: "pass", Reason: strings.Repeat("r", admin.MaxProbeResult)}))
		Expect(status).To(Equal(http.StatusRequestEntityTooLarge))
		Expect(body).To(ContainSubstring(`the result of "` + rowRP8080 + `" is 16`))

		req, _ := http.NewRequest("POST", base+"/api/probe", bytes.NewBufferString(probeDoc(scn, report.ProbeResult{ID: rowRP8080, Verdict: "pass"})))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "text/yaml")
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusUnsupportedMediaType))

		_, view := matrixOf(base, token)
		Expect(view.Results).To(BeZero(), "nothing refused was kept")
	})
})
