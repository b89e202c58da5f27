package admin_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/internal/admin"
	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/report/reporttest"
	"github.com/mockdirector/mockdirector/internal/testdir"
)

// servedMock is a serve --admin started from the binary on bindAddr.
type servedMock struct {
	s                     *gexec.Session
	dir, journal, certDir string
	adminAddr             string
	// targets are where serve bound the table's ports, its --ports-file lines: one probe
	// --target value each.
	targets []string
}

// startServe runs serve --role director --member dir01 on bindAddr with --admin on bindAddr.
func startServe(extra ...string) *servedMock {
	m := &servedMock{dir: testdir.New()}
	m.journal, m.certDir = filepath.Join(m.dir, "j.jsonl"), filepath.Join(m.dir, "certs")
	m.launch(append([]string{"--member", "dir01.contoso.local"}, extra...)...)
	return m
}

// liveMatrix is the admin address in serve's "live matrix URL" line.
var liveMatrix = regexp.MustCompile(`live matrix https?://([^/\s]+)/`)

// launch runs serve --role director on bindAddr with m's journal and certificates, every table
// port and the admin (--admin bindAddr:0) on ports the kernel picks, so runs on one host never
// collide; it waits until serve is ready and reads where it bound them: the table's ports
// from --ports-file, the admin from the address serve prints. serve is stopped (exit 0) when
// the spec ends.
func (m *servedMock) launch(extra ...string) {
	ports := filepath.Join(m.dir, "ports")
	args := append([]string{"serve", "--role", "director", "--config", reporttest.TopologyFile(), "--bind", bindAddr,
		"--ephemeral-ports", "--ports-file", ports, "--journal", m.journal, "--certs", m.certDir, "--admin", bindAddr + ":0"}, extra...)
	s, err := gexec.Start(exec.Command(binary, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	m.s = s
	DeferCleanup(func() {
		s.Terminate()
		Eventually(s, 10*time.Second).Should(gexec.Exit(0))
	})
	Eventually(s.Out, 20*time.Second).Should(gbytes.Say("ready;"), "serve did not get ready: %s", s.Err.Contents())
	found := liveMatrix.FindSubmatch(s.Out.Contents())
	Expect(found).NotTo(BeNil(), "serve printed no live matrix address: %s", s.Out.Contents())
	m.adminAddr = string(found[1])
	Expect(m.adminAddr).To(HavePrefix(bindAddr+":"), "the admin is on the address --admin names")
	data, err := os.ReadFile(ports)
	Expect(err).NotTo(HaveOccurred())
	m.targets = strings.Fields(string(data))
	Expect(m.targets).NotTo(BeEmpty(), "serve's --ports-file is empty")
}

func (m *servedMock) tokenFile() string { return filepath.Join(m.dir, "mockdirector-admin.token") }

func (m *servedMock) token() string {
	b, err := os.ReadFile(m.tokenFile())
	Expect(err).NotTo(HaveOccurred())
	return strings.TrimSpace(string(b))
}

// probeRun runs the probe binary as the reverse proxy against m's Director rows, at the
// addresses serve bound them.
func (m *servedMock) probeRun(extra ...string) *gexec.Session {
	args := []string{"probe", "--as", "reverse-proxy-internal", "--config", reporttest.TopologyFile(),
		"--certs", m.certDir, "--only", "reverse-proxy-internal->director", "--skip-deny", "--timeout", "3s", "--no-color"}
	for _, t := range m.targets {
		args = append(args, "--target", t)
	}
	args = append(args, extra...)
	s, err := gexec.Start(exec.Command(binary, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	Eventually(s, 60*time.Second).Should(gexec.Exit())
	return s
}

var _ = Describe("probe --post to a running mock's admin, watched in headless Chromium", Label("chromium"), func() {
	It("shows the posted verdicts beside the journal's, without a reload, as report --probe says them", func() {
		if _, err := os.Stat(chromiumPath); err != nil {
			Skip("chromium is not installed at " + chromiumPath + " (apt-get install chromium)")
		}
		m := startServe()
		token := m.token()
		base := "http://" + m.adminAddr + "/"

		opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
		opts = append(opts, chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.NoFirstRun, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(testdir.New()), chromedp.WindowSize(1600, 1000))
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancelA()
		ctx, cancelC := chromedp.NewContext(actx)
		defer cancelC()
		Expect(chromedp.Do(ctx)).To(Succeed())
		ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
		defer cancelT()
		text := func(sel string) string { return pageText(ctx, sel) }

		By("the page open before any traffic: nothing seen, no probe column")
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(base+"#token="+token),
			chromedp.WaitVisible(chromedp.CSS(rowSel("not-seen-yet", rowRP8080))),
			chromedp.WaitVisible(chromedp.CSS(`#conn.on`)),
		)).To(Succeed())
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__sameDocument = true`))
		Expect(err).NotTo(HaveOccurred())

		By("a real probe as the reverse proxy, posting as it goes")
		out := filepath.Join(m.dir, "probe.json")
		p := m.probeRun("--format", "json", "-o", out, "--post", "http://"+m.adminAddr+"/api/probe", "--post-token-file", m.tokenFile())
		Expect(p.ExitCode()).To(Equal(0), string(p.Out.Contents()))
		Expect(string(p.Err.Contents())).NotTo(ContainSubstring("warning"), "every post went through")

		By("both sides of each row on the page, without a reload")
		for _, id := range []string{rowRP8080, rowRP4443} {
			Expect(chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(rowSel("seen-ok", id)+` td.probe[data-verdict="pass"]`)))).To(Succeed(), id)
			Expect(text(rowSel("seen-ok", id)+` td:nth-child(7)`)).To(Equal(reporttest.ReverseProxy), "the journal's side: the source it saw")
			cell := text(rowSel("seen-ok", id) + ` td:nth-child(12)`)
			Expect(cell).To(HavePrefix("pass ("))
			Expect(cell).To(MatchRegexp(`from ` + strings.ReplaceAll(reporttest.ReverseProxy, ".", `\.`) + ` \(reverse-proxy-internal\) on .+, posted \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ`))
		}
		same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__sameDocument === true`))
		Expect(err).NotTo(HaveOccurred())
		Expect(same).To(BeTrue(), "the page was not reloaded")
		Expect(text(`#events`)).To(ContainSubstring("probe results posted from " + reporttest.ReverseProxy))

		By("the page's combined verdict per row is report --probe's over the same journal and results")
		boards, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](
			`Object.fromEntries([...document.querySelectorAll("#matrix tbody tr[data-row]")].map(r => [r.dataset.row, r.querySelector("td.board").dataset.board || ""]))`))
		Expect(err).NotTo(HaveOccurred())
		rep := exec.Command(binary, "report", "--config", reporttest.TopologyFile(), "--role", "director", "--journal", m.journal, "--probe", out, "--format", "json")
		raw, _ := rep.Output() // exit 1: rows of the table not seen; the JSON is on stdout all the same
		var want report.Result
		Expect(json.Unmarshal(raw, &want)).To(Succeed(), string(raw))
		Expect(want.Rows).NotTo(BeEmpty())
		for _, r := range want.Rows {
			if r.Probe == nil {
				continue // rows the probe did not run are "not seen" on both; the page shows no verdict
			}
			Expect(boards).To(HaveKeyWithValue(r.ID, r.Board), r.ID)
		}
		Expect(boards).To(HaveKeyWithValue(rowRP8080, report.BoardProven))

		By("a screenshot in artifacts/")
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.MkdirAll(artifactsDir(), 0o755)).To(Succeed())
		shot := filepath.Join(artifactsDir(), "live-matrix-posted.png")
		Expect(os.WriteFile(shot, png, 0o644)).To(Succeed())
		AddReportEntry("screenshot", shot)
	})
})

var _ = Describe("probe --post refused", func() {
	It("a wrong token and a row the table lacks are refused by the admin; the probe says so once and keeps its verdicts and exit code", func() {
		m := startServe()
		wrong := filepath.Join(m.dir, "wrong.token")
		Expect(os.WriteFile(wrong, []byte("not-the-token\n"), 0o600)).To(Succeed())
		plain := m.probeRun()
		Expect(plain.ExitCode()).To(Equal(0))

		By("a wrong token")
		s := m.probeRun("--post", "http://"+m.adminAddr+"/api/probe", "--post-token-file", wrong)
		Expect(s.ExitCode()).To(Equal(plain.ExitCode()))
		errText := string(s.Err.Contents())
		Expect(strings.Count(errText, "the admin answered 401")).To(Equal(1), errText)
		Expect(errText).To(ContainSubstring("wrong token: give the token of serve --admin"))
		Expect(errText).To(ContainSubstring("the verdicts and the exit code are not affected"))
		Expect(string(s.Out.Contents())).To(ContainSubstring("pass"))

		By("a row the mock's table lacks (a scenario of the same name with one row more)")
		seed, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "lync2013-single-director.yaml"))
		Expect(err).NotTo(HaveOccurred())
		wider := filepath.Join(m.dir, "wider.yaml")
		Expect(os.WriteFile(wider, append(seed, []byte("  - {from: reverse-proxy-internal, to: director, port: 8443, protocol: https}\n")...), 0o644)).To(Succeed())
		base := m.probeRun("--scenario", wider)
		s = m.probeRun("--scenario", wider, "--post", "http://"+m.adminAddr+"/api/probe", "--post-token-file", m.tokenFile())
		Expect(s.ExitCode()).To(Equal(base.ExitCode()))
		errText = string(s.Err.Contents())
		Expect(errText).To(ContainSubstring("the admin answered 400"))
		Expect(errText).To(ContainSubstring(`has no rows "reverse-proxy-internal->director tcp/8443 https"`))
		Expect(strings.Count(errText, "the admin answered")).To(Equal(1), errText)

		By("nothing refused reached the matrix")
		_, body := get("http://"+m.adminAddr+"/api/matrix", m.token())
		Expect(body).NotTo(ContainSubstring(`"posted"`))

		By("flags that would leak the token are refused before anything runs")
		s = m.probeRun("--post", "http://"+m.adminAddr+"/api/probe?token=x", "--post-token-file", m.tokenFile())
		Expect(s.ExitCode()).To(Equal(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring("the token does not go in the URL"))
		s = m.probeRun("--post", "http://192.0.2.10:9180/api/probe", "--post-token-file", m.tokenFile())
		Expect(s.ExitCode()).To(Equal(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring("the token would cross the network in clear"))
	})
})

var _ = Describe("probe --post to an HTTPS admin (serve --admin-tls, as a non-loopback admin always is)", func() {
	It("verifies the admin's certificate against the --certs CA, and names a TLS name mismatch with the fix", func() {
		By("a topology whose Director member is at the address serve binds: its certificate names it")
		lab, err := os.ReadFile(reporttest.TopologyFile())
		Expect(err).NotTo(HaveOccurred())
		site := filepath.Join(testdir.New(), "site.yaml")
		Expect(os.WriteFile(site, bytes.Replace(lab, []byte("address: 127.0.50.2}"), []byte("address: "+bindAddr+"}"), 1), 0o644)).To(Succeed())
		m := startServe("--config", site, "--admin-tls")
		Expect(string(m.s.Out.Contents())).To(ContainSubstring("live matrix https://" + m.adminAddr + "/"))
		s := m.probeRun("--config", site, "--post", "https://"+m.adminAddr+"/api/probe", "--post-token-file", m.tokenFile())
		Expect(s.ExitCode()).To(Equal(0))
		Expect(string(s.Err.Contents())).NotTo(ContainSubstring("warning"))

		pool, err := caPoolOf(filepath.Join(m.certDir, "ca.crt"))
		Expect(err).NotTo(HaveOccurred())
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		req, _ := http.NewRequest("GET", "https://"+m.adminAddr+"/api/matrix", nil)
		req.Header.Set("Authorization", "Bearer "+m.token())
		resp, err := c.Do(req)
		Expect(err).NotTo(HaveOccurred())
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var v struct{ Posted admin.PostedView }
		Expect(json.Unmarshal(body, &v)).To(Succeed())
		Expect(v.Posted.Rows).To(HaveKey(rowRP8080))

		By("plain HTTP to it is refused with the fix")
		s = m.probeRun("--config", site, "--post", "http://"+m.adminAddr+"/api/probe", "--post-token-file", m.tokenFile())
		Expect(s.ExitCode()).To(Equal(0))
		Expect(string(s.Err.Contents())).To(MatchRegexp(`(the admin is HTTPS|an HTTPS admin .* does that to plain HTTP): post to https://`))

		By("a Director whose certificate does not name the address posted to")
		m2 := startServe("--admin-tls")
		s = m2.probeRun("--post", "https://"+m2.adminAddr+"/api/probe", "--post-token-file", m2.tokenFile())
		Expect(s.ExitCode()).To(Equal(0), "a failed post changes no exit code")
		errText := string(s.Err.Contents())
		Expect(errText).To(ContainSubstring("TLS name mismatch: the admin's certificate is for dir-pool.contoso.local, dir01.contoso.local"))
		Expect(errText).To(ContainSubstring("not " + bindAddr))
		Expect(errText).To(ContainSubstring("post to one of the names the certificate holds"))
		Expect(strings.Count(errText, "warning:")).To(Equal(1), errText)
	})
})

func caPoolOf(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	return pool, nil
}
