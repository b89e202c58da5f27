package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/admin"
	"github.com/mockdirector/mockdirector/internal/report/reporttest"
	"github.com/mockdirector/mockdirector/internal/testdir"
)

const chromiumPath = "/usr/bin/chromium"

const rowCLS50001 = "any->director tcp/50001 cls-mtls"

// artifactsDir is the repository's artifacts/ (gitignored), where the screenshot goes.
func artifactsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "artifacts")
}

func rowSel(state, id string) string {
	return `#matrix tr.` + state + `[data-row="` + id + `"]`
}

var _ = Describe("the live page in headless Chromium", Label("chromium"), func() {
	It("shows the matrix, turns a row green as its traffic arrives, filters by port, and loads nothing from elsewhere", func() {
		if _, err := os.Stat(chromiumPath); err != nil {
			Skip("chromium is not installed at " + chromiumPath + " (apt-get install chromium)")
		}
		srv, d := startAdmin(admin.Options{Title: "director dir01.contoso.local"})
		base := "http://" + srv.Addr().String() + "/"

		By("traffic before the page opens: the Edge's SIP, an internal client on 8080, a certificate-less CLS handshake")
		status, err := reporttest.SIPOptions(reporttest.Edge, d.Addr("sip-mtls-5061"), d.CertDir, edgeCert)
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(HavePrefix("SIP/2.0 200"))
		code, err := reporttest.Curl(reporttest.InternalClient, "http://"+d.Addr("http-8080")+"/meet/")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		out, _ := reporttest.OpenSSL(reporttest.Stranger, d.Addr("cls-mtls-50002"), d.CertDir, "")
		Expect(out).To(ContainSubstring("CONNECTED"))
		code, err = reporttest.Curl(reporttest.InternalClient, "https://"+d.Addr("https-443")+"/autodiscover/autodiscoverservice.svc/root")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))

		opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
		opts = append(opts, chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.NoFirstRun, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(testdir.New()), chromedp.WindowSize(1600, 1000))
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancelA()
		ctx, cancelC := chromedp.NewContext(actx)
		defer cancelC()
		Expect(chromedp.Do(ctx)).To(Succeed()) // starts the browser; its lifetime is ctx, so no timeout on it
		ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
		defer cancelT()

		var mu sync.Mutex
		var requested []string
		Expect(chromedp.Listen(ctx, func(ev any) {
			if e, ok := ev.(*network.EventRequestWillBeSent); ok {
				mu.Lock()
				requested = append(requested, e.Request.URL)
				mu.Unlock()
			}
		})).To(Succeed())

		By("opening the page: rows seen, not seen, failed with the reason, and the unexpected source")
		text := func(sel string) string { return pageText(ctx, sel) }
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(base),
			chromedp.WaitVisible(chromedp.CSS(rowSel("seen-ok", rowEdgeSIP))),
			chromedp.WaitVisible(chromedp.CSS(rowSel("not-seen-yet", rowRP8080))),
			chromedp.WaitVisible(chromedp.CSS(`#conn.on`)),
		)).To(Succeed())
		Expect(text(rowSel("seen-ok", rowEdgeSIP) + ` td:nth-child(7)`)).To(Equal(reporttest.Edge))
		Expect(text(rowSel("seen-ok", rowEdgeSIP) + ` td:nth-child(8)`)).To(ContainSubstring("CN=edge-int.contoso.local"))
		Expect(text(rowSel("seen-but-handshake-failed", "any->director tcp/50002 cls-mtls") + ` td:nth-child(11)`)).To(ContainSubstring("no client certificate"))
		Expect(text(`#conn`)).To(Equal("live"))
		Expect(text(`#verdict`)).To(HavePrefix("NOT OK: 2 of 8 rows seen ok"))
		unexp := text(`#unexpected tbody`)
		Expect(unexp).To(ContainSubstring(reporttest.InternalClient))
		Expect(unexp).To(ContainSubstring("internal-clients->director tcp/8080 tcp"))

		By("the reverse proxy's traffic arriving while the page is open: the row turns green without a reload")
		code, err = reporttest.Curl(reporttest.ReverseProxy, "http://"+d.Addr("http-8080")+"/meet/")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		Expect(chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(rowSel("seen-ok", rowRP8080))))).To(Succeed())
		Expect(text(rowSel("seen-ok", rowRP8080) + ` td:nth-child(7)`)).To(Equal(reporttest.ReverseProxy))
		Expect(text(`#events`)).To(ContainSubstring(reporttest.ReverseProxy))
		Expect(text(`#verdict`)).To(HavePrefix("NOT OK: 3 of 8 rows seen ok"))

		By("filtering by port 8080")
		Expect(chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#f-port`), "8080"))).To(Succeed())
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`document.getElementById("f-port").dispatchEvent(new Event("change")), [...document.querySelectorAll("#matrix tbody tr")].map(r => r.dataset.row)`))
		Expect(err).NotTo(HaveOccurred())
		Expect(shown).To(Equal([]string{rowRP8080}))
		Expect(chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#f-port`), ""))).To(Succeed())
		links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`document.getElementById("f-port").dispatchEvent(new Event("change")), [...document.querySelectorAll("nav a")].map(a => a.getAttribute("href"))`))
		Expect(err).NotTo(HaveOccurred())
		Expect(links).To(ConsistOf("api/report?format=html", "api/report?format=json", "api/report?format=markdown", "api/report?format=junit"))
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#matrix tbody tr[data-row]").length`))
		Expect(err).NotTo(HaveOccurred())
		Expect(rows).To(Equal(8))

		By("loading the prober's results into the page: both sides of each row on one screen")
		probeFile := filepath.Join(testdir.New(), "probe.json")
		Expect(os.WriteFile(probeFile, []byte(`{"scenario":"lync2013-single-director","results":[
			{"id":"`+rowRP8080+`","verdict":"pass","observed":"http 200","reason":"answered"},
			{"id":"reverse-proxy-internal->director tcp/4443 https","verdict":"fail","observed":"filtered","reason":"no answer in 3s: a firewall drops it"}]}`), 0o644)).To(Succeed())
		Expect(chromedp.Do(ctx,
			chromedp.SetUploadFiles(chromedp.CSS(`#probe-file`), []string{probeFile}),
			chromedp.WaitVisible(chromedp.CSS(`body.has-probe`)),
		)).To(Succeed())
		Expect(text(rowSel("seen-ok", rowRP8080) + ` td:nth-child(12)`)).To(HavePrefix("pass (http 200): answered"))
		Expect(text(rowSel("not-seen-yet", "reverse-proxy-internal->director tcp/4443 https") + ` td:nth-child(12)`)).To(HavePrefix("fail (filtered)"))
		Expect(text(rowSel("seen-ok", rowRP8080)+` td:nth-child(12)`)).To(ContainSubstring("not joined by the server"), "a file read in the browser is not the report's join")
		Expect(text(`#probe-status`)).To(Equal("2 results, 2 beside rows"))

		By("history is not state: CLS 50001 seen ok, then failing (no client certificate): the page says failing now")
		reply, err := reporttest.CLSPing(reporttest.Edge, d.Addr("cls-mtls-50001"), d.CertDir, edgeCert)
		Expect(err).NotTo(HaveOccurred())
		Expect(reply).To(Equal("PONG h5"))
		Expect(chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(rowSel("seen-ok", rowCLS50001))))).To(Succeed())
		for range 2 {
			out, _ := reporttest.OpenSSL(reporttest.Stranger, d.Addr("cls-mtls-50001"), d.CertDir, "")
			Expect(out).To(ContainSubstring("CONNECTED"))
		}
		Expect(chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(rowSel("failing-now", rowCLS50001))))).To(Succeed())
		Eventually(func() string { return text(rowSel("failing-now", rowCLS50001) + ` td:nth-child(11)`) }).Should(
			MatchRegexp(`^failing now since \d\d:\d\d:\d\d \(2 failures, last: .*no client certificate`))
		Expect(text(rowSel("failing-now", rowCLS50001) + ` .state`)).To(Equal("failing now"))
		Expect(text(`#verdict`)).To(ContainSubstring("1 failing now"))

		By("the evidence download is the self-contained HTML")
		resp, body := get(base+"api/report?format=html", "")
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(resp.Header.Get("Content-Type")).To(HavePrefix("text/html"))
		Expect(body).To(ContainSubstring(`data-row="any-&gt;director tcp/50001 cls-mtls"`))
		Expect(body).To(ContainSubstring("failing now since"))

		By("a screenshot in artifacts/")
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.MkdirAll(artifactsDir(), 0o755)).To(Succeed())
		shot := filepath.Join(artifactsDir(), "live-matrix.png")
		Expect(os.WriteFile(shot, png, 0o644)).To(Succeed())
		AddReportEntry("screenshot", shot)

		mu.Lock()
		defer mu.Unlock()
		Expect(requested).NotTo(BeEmpty())
		for _, u := range requested {
			Expect(strings.HasPrefix(u, base)).To(BeTrue(), "the page fetched %s: it must work offline", u)
		}
	})
})

var _ = Describe("the live page with a token, in headless Chromium", Label("chromium"), func() {
	It("takes the token from the fragment, sends it only in headers, and goes live through a stream token", func() {
		if _, err := os.Stat(chromiumPath); err != nil {
			Skip("chromium is not installed at " + chromiumPath + " (apt-get install chromium)")
		}
		const token = "t0ken-not-in-any-url"
		srv, d := startAdmin(admin.Options{Title: "director dir01.contoso.local", Token: token})
		base := "http://" + srv.Addr().String() + "/"
		opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
		opts = append(opts, chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.NoFirstRun, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(GinkgoT().TempDir()))
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancelA()
		ctx, cancelC := chromedp.NewContext(actx)
		defer cancelC()
		Expect(chromedp.Do(ctx)).To(Succeed())
		ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
		defer cancelT()
		var mu sync.Mutex
		var requested []string
		Expect(chromedp.Listen(ctx, func(ev any) {
			if e, ok := ev.(*network.EventRequestWillBeSent); ok {
				mu.Lock()
				requested = append(requested, e.Request.URL)
				mu.Unlock()
			}
		})).To(Succeed())

		Expect(chromedp.Do(ctx,
			chromedp.Navigate(base+"#token="+token),
			chromedp.WaitVisible(chromedp.CSS(rowSel("not-seen-yet", rowRP8080))),
			chromedp.WaitVisible(chromedp.CSS(`#conn.on`)),
		)).To(Succeed())
		By("traffic arriving while the page is open reaches it through the stream")
		code, err := reporttest.Curl(reporttest.ReverseProxy, "http://"+d.Addr("http-8080")+"/meet/")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		Expect(chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(rowSel("seen-ok", rowRP8080))))).To(Succeed())
		loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
		Expect(err).NotTo(HaveOccurred())
		Expect(loc).NotTo(ContainSubstring(token), "the token is taken out of the address bar")

		mu.Lock()
		defer mu.Unlock()
		Expect(requested).To(ContainElement(ContainSubstring("api/events?replay=50&stream_token=")))
		for _, u := range requested {
			Expect(u).NotTo(ContainSubstring(token), "the token went into a URL: %s", u)
		}
	})
})

// pageText is the visible text of the element sel names (waiting for it), read in one evaluation: the page
// re-renders rows as events arrive, so a node found by one call may be gone by the next ("No
// node with given id found").
func pageText(ctx context.Context, sel string) string {
	GinkgoHelper()
	q, _ := json.Marshal(sel)
	var v *string
	// As chromedp.Text, it waits for the element to be there.
	Eventually(func() (*string, error) {
		var err error
		v, err = chromedp.Run(ctx, chromedp.Evaluate[*string](`(() => { const e = document.querySelector(`+string(q)+`); return e ? e.innerText : null })()`))
		return v, err
	}, 10*time.Second, 50*time.Millisecond).ShouldNot(BeNil(), "no element %s", sel)
	return strings.TrimSpace(*v)
}
