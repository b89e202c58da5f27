package report_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/report"
)

const chromiumPath = "/usr/bin/chromium"

// labTopology is the built-in loopback lab's topology (the one mockdirector lab uses).
func labTopology() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "topology", "lab.yaml")
}

// artifactsDir is the repository's artifacts/ (gitignored), where a copy of the screenshots goes.
func artifactsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "artifacts")
}

func sha256File(p string) string {
	sum := sha256.Sum256(must(os.ReadFile(p)))
	return hex.EncodeToString(sum[:])
}

// runLab runs `mockdirector lab` on loopback (real mocks on ports the kernel picks, the real
// prober) and returns the probe results and the journal it wrote.
func runLab(dir string) (probeFile, journalFile string) {
	probeFile, journalFile = filepath.Join(dir, "probe.json"), filepath.Join(dir, "lab.jsonl")
	cmd := exec.Command(binary, "lab", "--loopback", "--hold", "1s", "--timeout", "3s",
		"--journal", journalFile, "--format", "json", "-o", probeFile, "--no-color")
	if out, err := cmd.CombinedOutput(); err != nil {
		Fail("mockdirector lab: " + err.Error() + "\n" + string(out))
	}
	return probeFile, journalFile
}

// secondHost is another source host's probe results: a failed row the lab passed, and a deny
// row the prober could not prove.
const secondHost = `{"scenario":"lync2013-single-director","started":"2026-12-01T10:00:00Z","results":[
 {"id":"edge-internal->director tcp/5061 sip-mtls","from":"edge-internal","to":"director","port":5061,"protocol":"sip-mtls","check":"sip-options","source":"192.0.2.44","target":"192.0.2.10:5061",
  "expected":"allow","verdict":"fail","observed":"handshake-failed","reason":"TLS interception: the path presented CN=fw.example (issuer CN=Corp Inspect CA, SHA-256 ab12) but the mock serves SHA-256 cd34","code":"interception",
  "server_cert":{"subject":"CN=fw.example","sans":["fw.example"],"issuer":"CN=Corp Inspect CA","not_after":"2027-06-01T00:00:00Z","sha256":"ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"},
  "lint":[{"code":"untrusted-issuer","severity":"error","message":"issuer Corp Inspect CA is not the site's CA"}]},
 {"id":"edge-internal->director udp/443 udp-quic","from":"edge-internal","to":"director","port":443,"transport":"udp","protocol":"udp-quic","source":"192.0.2.44",
  "expected":"deny","verdict":"unproven","observed":"refused","reason":"refused: by a firewall or by the host; cannot tell without a listener there","code":"unproven"}]}`

var _ = Describe("evidence for the change board", Ordered, Label("chromium"), func() {
	var dir, probe1, probe2, journalFile, html string
	var res *report.Result

	BeforeAll(func() {
		if _, err := os.Stat(chromiumPath); err != nil {
			Skip("chromium is not installed at " + chromiumPath + " (apt-get install chromium)")
		}
		dir = GinkgoT().TempDir()
		probe1, journalFile = runLab(dir)
		probe2 = filepath.Join(dir, "edge-host.json")
		Expect(os.WriteFile(probe2, []byte(secondHost), 0o644)).To(Succeed())
		html = filepath.Join(dir, "evidence.html")
		out, exit := runReport("--journal", journalFile, "--config", labTopology(), "--probe", probe1, "--probe", probe2, "--format", "html", "-o", html)
		Expect(exit).To(Equal(1), "the second host's probe failed a row: "+out)
		res, _ = reportJSON("--journal", journalFile, "--config", labTopology(), "--probe", probe1, "--probe", probe2)
		Expect(res.Summary.ProbeFail).To(Equal(1))
		Expect(res.Summary.ProbeUnproven).To(Equal(1))
	})

	allIDs := func() []string {
		var ids []string
		for _, r := range res.Rows {
			ids = append(ids, r.ID)
		}
		for _, p := range res.ProbeOnly {
			ids = append(ids, p.ID)
		}
		return ids
	}

	It("writes one HTML file holding every row, both sides, and a manifest whose hashes match the inputs", func() {
		doc := string(must(os.ReadFile(html)))
		Expect(res.Rows).To(HaveLen(17), "14 allow rows of the table and 3 certificate requirement (cdp) rows")
		for _, id := range allIDs() {
			Expect(doc).To(ContainSubstring(`data-row="`+template(id)+`"`), id)
		}
		Expect(doc).To(ContainSubstring(template(res.Verdict())))
		Expect(doc).NotTo(MatchRegexp(`(?i)(src|href)="(https?:)?//`), "nothing may be fetched from a network")
		Expect(doc).NotTo(ContainSubstring("<link rel=\"stylesheet\""))
		Expect(doc).To(ContainSubstring("TLS interception: the path presented CN=fw.example"))
		Expect(doc).To(ContainSubstring("192.0.2.44"))
		Expect(doc).To(MatchRegexp(`firewall: rule \d+, comment `+regexp.QuoteMeta(template(`"edge-internal->director tcp/5061 sip-mtls"`))+`: accept tcp/5061 from`),
			"the failing row names the exported rule that should have matched")
		for _, f := range []string{journalFile, probe1, probe2, labTopology()} {
			Expect(doc).To(MatchRegexp(regexp.QuoteMeta(template(f))+`</code></td><td>\d+</td><td>[^<]*</td><td class="fp">`+sha256File(f)), f)
		}
	})

	It("opens offline in headless Chromium: no network request, the summary and the matrix on screen", func() {
		ctx := browser()
		var mu sync.Mutex
		var requested []string
		Expect(chromedp.Listen(ctx, func(ev any) {
			if e, ok := ev.(*network.EventRequestWillBeSent); ok {
				mu.Lock()
				requested = append(requested, e.Request.URL)
				mu.Unlock()
			}
		})).To(Succeed())
		url := "file://" + html
		Expect(chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#matrix tr[data-board="failing"]`)))).To(Succeed())
		verdict := must(chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#verdict`))))
		Expect(strings.TrimSpace(verdict)).To(HavePrefix("✘ NOT OK: 16 proven, 1 failing, 1 unproven, 76 not seen"))
		Expect(verdict).To(ContainSubstring(res.Verdict()))
		board := must(chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#board`))))
		Expect(board).To(ContainSubstring("rows failing"))
		shown := must(chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#matrix tbody tr")].map(r => r.dataset.row)`)))
		Expect(shown).To(ConsistOf(allIDs()))
		failing := must(chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#matrix tr[data-row="edge-internal->director tcp/5061 sip-mtls"]`))))
		Expect(failing).To(ContainSubstring("✘ FAILING"))
		Expect(failing).To(ContainSubstring("FAIL (handshake-failed): TLS interception"))
		Expect(failing).To(ContainSubstring("PASS (sip 200)"), "the lab host's result beside the second host's")
		Expect(failing).To(ContainSubstring("seen ok"), "and what the journal saw")

		png := must(chromedp.Run(ctx, chromedp.FullScreenshot(100)))
		shot := filepath.Join(GinkgoT().TempDir(), "evidence-html.png")
		Expect(os.WriteFile(shot, png, 0o644)).To(Succeed())
		keep(shot)
		AddReportEntry("screenshot", shot)

		mu.Lock()
		defer mu.Unlock()
		Expect(requested).NotTo(BeEmpty())
		for _, u := range requested {
			Expect(u).To(Equal(url), "the evidence fetched %s: it must open on an offline laptop", u)
		}
	})

	It("prints the same document to PDF on A4 and Letter: every row ID and the verdict line in its text", func() {
		if _, err := exec.LookPath("pdftotext"); err != nil {
			Skip("pdftotext is not installed (apt-get install poppler-utils)")
		}
		for paper, size := range map[string]string{"a4": "(A4)", "letter": "(letter)"} {
			out := filepath.Join(dir, "evidence-"+paper+".pdf")
			text, exit := runReport("--journal", journalFile, "--config", labTopology(), "--probe", probe1, "--probe", probe2, "--format", "pdf", "--paper", paper, "-o", out)
			Expect(exit).To(Equal(1), text)
			Expect(must(os.ReadFile(out))).To(HavePrefix("%PDF-"))
			info := string(must(exec.Command("pdfinfo", out).Output()))
			Expect(info).To(ContainSubstring(size))
			pages := regexp.MustCompile(`Pages:\s+(\d+)`).FindStringSubmatch(info)
			Expect(pages).To(HaveLen(2))
			Expect(strconv.Atoi(pages[1])).To(BeNumerically(">=", 5), "a page per section")
			flat := strings.Join(strings.Fields(string(must(exec.Command("pdftotext", out, "-").Output()))), " ")
			for _, id := range allIDs() {
				Expect(flat).To(ContainSubstring(id), paper)
			}
			Expect(flat).To(ContainSubstring("NOT OK: 17 of 17 rows seen ok"))
			Expect(flat).To(ContainSubstring(strings.Join(strings.Fields(res.BoardLine()), " ")))
			if paper == "a4" {
				png := filepath.Join(GinkgoT().TempDir(), "evidence-pdf")
				Expect(exec.Command("pdftoppm", "-r", "70", "-png", "-f", "2", "-l", "2", out, png).Run()).To(Succeed())
				matches := must(filepath.Glob(png + "*.png"))
				Expect(matches).To(HaveLen(1))
				keep(matches[0])
			}
		}
		By("a file that exists is not overwritten without --force")
		out := filepath.Join(dir, "evidence-a4.pdf")
		text, exit := runReport("--journal", journalFile, "--config", labTopology(), "--format", "pdf", "-o", out)
		Expect(exit).To(Equal(2))
		Expect(text).To(ContainSubstring("--force"))
	})
})

// template escapes s as html/template writes it into text and attributes.
func template(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}

// keep copies a screenshot into artifacts/ (gitignored) so a person can look at it.
func keep(p string) {
	if err := os.MkdirAll(artifactsDir(), 0o755); err == nil {
		os.WriteFile(filepath.Join(artifactsDir(), filepath.Base(p)), must(os.ReadFile(p)), 0o644)
	}
}

// browser starts a headless Chromium with a fresh profile for the spec and returns its context.
func browser() context.Context {
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(GinkgoT().TempDir()), chromedp.WindowSize(1300, 1000)}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	DeferCleanup(cancelA)
	ctx, cancelC := chromedp.NewContext(actx)
	DeferCleanup(cancelC)
	Expect(chromedp.Do(ctx)).To(Succeed()) // starts the browser; its lifetime is ctx, so no timeout on it
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	DeferCleanup(cancelT)
	return ctx
}
