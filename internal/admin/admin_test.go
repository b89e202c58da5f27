package admin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mockdirector/mockdirector/internal/admin"
	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/report/reporttest"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// The admin suite's Director binds 127.0.50.6 (the report suite uses .2 and .7).
const bindAddr = "127.0.50.6"

const (
	rowRP8080  = "reverse-proxy-internal->director tcp/8080 http"
	rowEdgeSIP = "edge-internal->director tcp/5061 sip-mtls"
	rowIC443   = "internal-clients->director tcp/443 https"
	edgeCert   = "edge01-int.contoso.local"
)

func get(url, token string) (*http.Response, string) {
	req, err := http.NewRequest("GET", url, nil)
	Expect(err).NotTo(HaveOccurred())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp, string(b)
}

// startAdmin binds an admin listener with a Director feeding it, both on bindAddr.
func startAdmin(o admin.Options) (*admin.Server, *reporttest.Director) {
	topo, err := topology.Load(reporttest.TopologyFile())
	Expect(err).NotTo(HaveOccurred())
	o.Topology, o.Scenario, o.Roles = topo, scenarios.Default(), []string{scenarios.RoleDirector}
	if o.Addr == "" {
		o.Addr = bindAddr + ":0"
	}
	srv, err := admin.Listen(o)
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 5*time.Second).Should(Receive(BeNil()))
	})
	dir := testdir.New()
	d, err := reporttest.StartDirector(reporttest.Options{Member: "dir01", Bind: bindAddr, Journal: filepath.Join(dir, "dir01.jsonl"),
		CertDir: filepath.Join(dir, "certs"), Observers: []journal.Recorder{srv}})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(d.Stop)
	return srv, d
}

// traffic sends a mix of every kind of event from several source addresses.
func traffic(d *reporttest.Director) {
	for range 3 {
		code, err := reporttest.Curl(reporttest.ReverseProxy, "http://"+d.Addr("http-8080")+"/meet/")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
	}
	code, err := reporttest.Curl(reporttest.InternalClient, "http://"+d.Addr("http-8080")+"/meet/")
	Expect(err).NotTo(HaveOccurred())
	Expect(code).To(Equal("200"))
	for range 2 {
		code, err = reporttest.Curl(reporttest.InternalClient, "https://"+d.Addr("https-443")+"/autodiscover/autodiscoverservice.svc/root")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
	}
	code, err = reporttest.Curl(reporttest.InternalClient, "https://"+d.Addr("https-443")+"/nowhere")
	Expect(err).NotTo(HaveOccurred())
	Expect(code).To(Equal("404"))
	out, err := reporttest.OpenSSL(reporttest.Edge, d.Addr("sip-mtls-5061"), d.CertDir, edgeCert)
	Expect(err).NotTo(HaveOccurred(), out)
	for range 2 {
		status, err := reporttest.SIPOptions(reporttest.Edge, d.Addr("sip-mtls-5061"), d.CertDir, edgeCert)
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(HavePrefix("SIP/2.0 200"))
	}
	out, _ = reporttest.OpenSSL(reporttest.Stranger, d.Addr("cls-mtls-50002"), d.CertDir, "")
	Expect(out).To(ContainSubstring("CONNECTED"))
	reply, err := reporttest.CLSPing(reporttest.Edge, d.Addr("cls-mtls-50001"), d.CertDir, edgeCert)
	Expect(err).NotTo(HaveOccurred())
	Expect(reply).To(Equal("PONG h5"))
}

func parseMetrics(text string) map[string]*dto.MetricFamily {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	Expect(err).NotTo(HaveOccurred(), text)
	return fams
}

// sum adds the counter (or histogram count) values of a family whose labels include match.
func sum(fams map[string]*dto.MetricFamily, name string, match map[string]string) int {
	f, ok := fams[name]
	if !ok {
		return 0
	}
	total := 0.0
next:
	for _, m := range f.Metric {
		for k, v := range match {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		}
	}
	return int(total)
}

var _ = Describe("admin API on a Director with real traffic", Ordered, func() {
	var (
		srv  *admin.Server
		dir1 *reporttest.Director
		base string
	)

	BeforeAll(func() {
		srv, dir1 = startAdmin(admin.Options{Title: "director dir01.contoso.local"})
		base = "http://" + srv.Addr().String()
		Expect(srv.Addr().String()).To(HavePrefix(bindAddr + ":"))
	})

	It("streams journal events as Server-Sent Events while they happen", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/events", nil)
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.Header.Get("Content-Type")).To(Equal("text/event-stream"))
		events := make(chan journal.Event, 16)
		go func() {
			defer GinkgoRecover()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					var e journal.Event
					Expect(json.Unmarshal([]byte(data), &e)).To(Succeed())
					events <- e
				}
			}
		}()
		Eventually(func() float64 {
			_, body := get(base+"/healthz", "")
			var h struct{ Subscribers float64 }
			json.Unmarshal([]byte(body), &h)
			return h.Subscribers
		}).Should(Equal(1.0))
		code, err := reporttest.Curl(reporttest.ReverseProxy, "http://"+dir1.Addr("http-8080")+"/meet/?sse=1")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		var e journal.Event
		Eventually(events, 5*time.Second).Should(Receive(&e))
		Expect(e.Kind).To(Equal(journal.KindHTTP))
		Expect(e.Remote).To(HavePrefix(reporttest.ReverseProxy + ":"))
		Expect(e.HTTP.Path).To(Equal("/meet/?sse=1"))
	})

	It("serves /metrics that the Prometheus text parser reads, with counters equal to the journal's line counts", func() {
		traffic(dir1)
		evs, err := journal.ReadFile(dir1.Journal)
		Expect(err).NotTo(HaveOccurred())
		raw, err := os.ReadFile(dir1.Journal)
		Expect(err).NotTo(HaveOccurred())
		Expect(bytes.Count(raw, []byte("\n"))).To(Equal(len(evs)), "every line a whole event")
		byKind := map[string]int{}
		failedHS, http8080, sipOptions, clsSessions := 0, 0, 0, 0
		for _, e := range evs {
			byKind[e.Kind+"/"+string(e.Outcome)]++
			if e.Kind == journal.KindHandshake && e.Outcome == journal.OutcomeFailed {
				failedHS++
			}
			if e.Kind == journal.KindHTTP && e.Listener == "http-8080" {
				http8080++
			}
			if e.Kind == journal.KindSIP && e.SIP.Method == "OPTIONS" && e.SIP.Status == 200 {
				sipOptions++
			}
			if e.Kind == journal.KindCLS && e.CLS.Command == "" && e.CLS.Reply == "" {
				clsSessions++ // the banner; the commands that follow have lines of their own
			}
		}
		Expect(byKind).To(HaveKey("handshake/failed"))
		Expect(byKind).To(HaveKey("sip/ok"))
		Expect(byKind).To(HaveKey("cls/ok"))

		// The scrape can race the last handshake's journal line; wait until the totals meet.
		var fams map[string]*dto.MetricFamily
		Eventually(func() int {
			resp, body := get(base+"/metrics", "")
			Expect(resp.StatusCode).To(Equal(200))
			fams = parseMetrics(body)
			return sum(fams, "mockdirector_events_total", nil)
		}).Should(Equal(reporttest.Lines(dir1.Journal)))
		evs, _ = journal.ReadFile(dir1.Journal)
		Expect(sum(fams, "mockdirector_events_total", nil)).To(Equal(len(evs)))
		for ko, n := range byKind {
			k, o, _ := strings.Cut(ko, "/")
			Expect(sum(fams, "mockdirector_events_total", map[string]string{"kind": k, "outcome": o})).To(Equal(n), ko)
		}
		Expect(sum(fams, "mockdirector_http_requests_total", map[string]string{"listener": "http-8080", "status": "200"})).To(Equal(http8080))
		Expect(sum(fams, "mockdirector_http_requests_total", map[string]string{"listener": "https-443", "status": "404"})).To(Equal(1))
		Expect(sum(fams, "mockdirector_sip_requests_total", map[string]string{"method": "OPTIONS", "status": "200"})).To(Equal(sipOptions))
		Expect(sipOptions).To(Equal(2))
		Expect(sum(fams, "mockdirector_tls_handshakes_total", map[string]string{"outcome": "failed"})).To(Equal(failedHS))
		Expect(sum(fams, "mockdirector_tls_handshake_failures_total", map[string]string{"listener": "cls-mtls-50002", "code": "no-client-cert"})).To(Equal(1))
		Expect(sum(fams, "mockdirector_tls_handshake_duration_seconds", nil)).To(Equal(byKind["handshake/ok"] + byKind["handshake/failed"]))
		Expect(sum(fams, "mockdirector_http_request_duration_seconds", nil)).To(Equal(byKind["http/ok"]))
		Expect(sum(fams, "mockdirector_connections_total", nil)).To(Equal(byKind["handshake/ok"] + byKind["handshake/failed"]))
		Expect(clsSessions).To(BeNumerically(">", 0))
		Expect(byKind["cls/ok"]).To(BeNumerically(">", clsSessions), "the CLS commands are journaled too")
		Expect(sum(fams, "mockdirector_cls_sessions_total", nil)).To(Equal(clsSessions))
		Expect(sum(fams, "mockdirector_row_seen_ok", map[string]string{"row": rowRP8080})).To(Equal(1))
		Expect(sum(fams, "mockdirector_row_seen_ok", map[string]string{"row": "reverse-proxy-internal->director tcp/4443 https"})).To(Equal(0))
		Expect(sum(fams, "mockdirector_unexpected", map[string]string{"kind": "unexpected source"})).To(Equal(1))
	})

	It("serves the matrix and the report downloads", func() {
		resp, body := get(base+"/api/matrix", "")
		Expect(resp.StatusCode).To(Equal(200))
		var res report.Result
		Expect(json.Unmarshal([]byte(body), &res)).To(Succeed())
		states := map[string]string{}
		for _, r := range res.Rows {
			states[r.ID] = r.State
		}
		Expect(states).To(HaveKeyWithValue(rowRP8080, report.StateSeenOK))
		Expect(states).To(HaveKeyWithValue(rowEdgeSIP, report.StateSeenOK))
		Expect(states).To(HaveKeyWithValue(rowIC443, report.StateSeenOK))
		Expect(states).To(HaveKeyWithValue("any->director tcp/50002 cls-mtls", report.StateFailed))
		Expect(states).To(HaveKeyWithValue("reverse-proxy-internal->director tcp/4443 https", report.StateNotSeen))
		Expect(res.Unexpected).To(HaveLen(1))
		Expect(res.Unexpected[0].Source).To(Equal(reporttest.InternalClient))

		resp, body = get(base+"/api/report?format=markdown", "")
		Expect(resp.Header.Get("Content-Disposition")).To(ContainSubstring("mockdirector-report.md"))
		Expect(body).To(ContainSubstring("| ✅ seen ok | `" + rowRP8080 + "`"))
		resp, _ = get(base+"/api/report?format=yaml", "")
		Expect(resp.StatusCode).To(Equal(400))
	})

	It("refuses a Host that is not a loopback name (DNS rebinding)", func() {
		req, _ := http.NewRequest("GET", base+"/api/matrix", nil)
		req.Host = "attacker.example:80"
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusMisdirectedRequest))
	})
})

var _ = Describe("admin listener safety", func() {
	It("refuses a non-loopback bind without --admin-allow-remote and a token", func() {
		_, err := admin.Listen(admin.Options{Addr: "192.0.2.10:9180"})
		Expect(err).To(MatchError(ContainSubstring("needs both --admin-allow-remote and --admin-token")))
		_, err = admin.Listen(admin.Options{Addr: "192.0.2.10:9180", AllowRemote: true})
		Expect(err).To(MatchError(ContainSubstring("needs both")))
		_, err = admin.Listen(admin.Options{Addr: "192.0.2.10:9180", Token: "t"})
		Expect(err).To(MatchError(ContainSubstring("needs both")))
		_, err = admin.Listen(admin.Options{Addr: ":9180"})
		Expect(err).To(MatchError(ContainSubstring("every address is not a loopback address")))
		By("with both, the check passes and the bind itself is tried (192.0.2.10 is on no interface)")
		_, err = admin.Listen(admin.Options{Addr: "192.0.2.10:9180", AllowRemote: true, Token: "t", Scenario: scenarios.Default(), Topology: topology.Default()})
		Expect(err).To(MatchError(ContainSubstring("cannot bind 192.0.2.10:9180")))
	})

	It("serve refuses it too, with exit 2, before binding any table port", func() {
		dir := testdir.New()
		cmd := exec.Command(binary, "serve", "--role", "director", "--config", reporttest.TopologyFile(), "--bind", bindAddr,
			"--ephemeral-ports", "--journal", filepath.Join(dir, "j.jsonl"), "--certs", filepath.Join(dir, "certs"), "--admin", "0.0.0.0:0")
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 10*time.Second).Should(gexec.Exit(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring("--admin-allow-remote and --admin-token"))
		Expect(filepath.Join(dir, "certs")).NotTo(BeADirectory(), "nothing was started")
	})

	It("stops serve with a message when the admin port is busy", func() {
		busy, err := net.Listen("tcp", bindAddr+":0")
		Expect(err).NotTo(HaveOccurred())
		defer busy.Close()
		dir := testdir.New()
		cmd := exec.Command(binary, "serve", "--role", "director", "--config", reporttest.TopologyFile(), "--bind", bindAddr,
			"--ephemeral-ports", "--journal", filepath.Join(dir, "j.jsonl"), "--certs", filepath.Join(dir, "certs"), "--admin", busy.Addr().String())
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 10*time.Second).Should(gexec.Exit(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring("cannot bind " + busy.Addr().String()))
		Expect(string(s.Err.Contents())).To(ContainSubstring("address already in use"))
	})

	It("asks every API endpoint for the token when one is set, in the header only", func() {
		srv, _ := startAdmin(admin.Options{Token: "s3cret"})
		base := "http://" + srv.Addr().String()
		for _, p := range []string{"/api/matrix", "/api/events", "/metrics", "/healthz", "/api/report", "/api/info"} {
			resp, _ := get(base+p, "")
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), p)
			Expect(resp.Header.Get("WWW-Authenticate")).To(HavePrefix("Bearer"))
			resp, _ = get(base+p, "wrong")
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), p)
			resp, body := get(base+p+"?token=s3cret", "")
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), "a token in the URL is refused: %s", p)
			Expect(body).To(ContainSubstring("a token in the URL is not accepted"))
		}
		resp, _ := get(base+"/healthz", "s3cret")
		Expect(resp.StatusCode).To(Equal(200))
		By("the page and its script hold no data: served without the token")
		for _, p := range []string{"/", "/app.js", "/style.css"} {
			resp, _ := get(base+p, "")
			Expect(resp.StatusCode).To(Equal(200), p)
		}
	})

	It("opens the event stream with a short-lived, single-use stream token, which only the bearer gets", func() {
		srv, _ := startAdmin(admin.Options{Token: "s3cret"})
		base := "http://" + srv.Addr().String()
		req, _ := http.NewRequest("POST", base+"/api/stream-token", nil)
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err = http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		var got struct {
			StreamToken string `json:"stream_token"`
			ExpiresInS  int    `json:"expires_in_s"`
		}
		Expect(json.NewDecoder(resp.Body).Decode(&got)).To(Succeed())
		resp.Body.Close()
		Expect(got.StreamToken).To(HaveLen(32))
		Expect(got.ExpiresInS).To(Equal(60))

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sreq, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/events?stream_token="+got.StreamToken, nil)
		sresp, err := http.DefaultClient.Do(sreq)
		Expect(err).NotTo(HaveOccurred())
		Expect(sresp.StatusCode).To(Equal(200))
		Expect(sresp.Header.Get("Content-Type")).To(HavePrefix("text/event-stream"))
		sresp.Body.Close()
		By("it is single-use: the same token, within its TTL, opens no second stream")
		resp, body := get(base+"/api/events?stream_token="+got.StreamToken, "")
		Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), body)
		By("a fresh one opens a stream again")
		resp, err = http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		Expect(json.NewDecoder(resp.Body).Decode(&got)).To(Succeed())
		resp.Body.Close()
		ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel2()
		sreq, _ = http.NewRequestWithContext(ctx2, "GET", base+"/api/events?stream_token="+got.StreamToken, nil)
		sresp, err = http.DefaultClient.Do(sreq)
		Expect(err).NotTo(HaveOccurred())
		Expect(sresp.StatusCode).To(Equal(200))
		sresp.Body.Close()
		By("it opens nothing else")
		resp, _ = get(base+"/api/matrix?stream_token="+got.StreamToken, "")
		Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
		resp, _ = get(base+"/api/events?stream_token=0123456789abcdef0123456789abcdef", "")
		Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
	})
})
