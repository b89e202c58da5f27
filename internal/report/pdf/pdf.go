// Package pdf prints an HTML document to PDF with headless Chromium (chromedp's PrintToPDF):
// the change board's copy of the report's HTML evidence.
package pdf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

var papers = map[string]chromedp.PaperSize{"a4": chromedp.PaperA4, "letter": chromedp.PaperLetter}

// Papers are the paper names Options.Paper takes.
var Papers = []string{"a4", "letter"}

// DefaultChromium is where Debian's chromium package puts the browser.
const DefaultChromium = "/usr/bin/chromium"

// Options shape a print.
type Options struct {
	// Paper is a4 (default) or letter.
	Paper string
	// Chromium is the browser binary; empty: DefaultChromium, else chromium or
	// chromium-browser on PATH.
	Chromium string
	// Timeout bounds the whole print (default 60 s).
	Timeout time.Duration
}

// Print renders html (a self-contained document: nothing is fetched) in a fresh headless
// Chromium with its own temporary profile and returns the PDF.
func Print(ctx context.Context, html []byte, o Options) ([]byte, error) {
	paper := o.Paper
	if paper == "" {
		paper = "a4"
	}
	size, ok := papers[paper]
	if !ok {
		return nil, fmt.Errorf("pdf: paper %q: use a4 or letter", paper)
	}
	bin, err := chromium(o.Chromium)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	profile, err := os.MkdirTemp("", "mockdirector-pdf-")
	if err != nil {
		return nil, fmt.Errorf("pdf: a browser profile: %w", err)
	}
	defer os.RemoveAll(profile)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
	}
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx); err != nil { // starts the browser; its lifetime is bctx, so no timeout on it
		return nil, fmt.Errorf("pdf: starting %s: %w", bin, err)
	}
	tctx, cancelT := context.WithTimeout(bctx, o.Timeout)
	defer cancelT()
	// A file of its own in the profile: a file:// page fetches nothing, and the document is
	// whole before the print (a data: URL of a large report is slower and size-bound).
	doc := filepath.Join(profile, "evidence.html")
	if err := os.WriteFile(doc, html, 0o600); err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	if err := chromedp.Do(tctx, chromedp.Navigate("file://"+doc), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		return nil, fmt.Errorf("pdf: opening the document in %s: %w", bin, err)
	}
	out, err := chromedp.Run(tctx, chromedp.PrintToPDF(
		chromedp.PDFPaper(size), chromedp.PDFMargins(0.45, 0.4, 0.5, 0.4), chromedp.PDFPrintBackground(),
		chromedp.PDFHeaderTemplate(`<span></span>`),
		chromedp.PDFFooterTemplate(`<div style="font-size:8px;width:100%;text-align:center;font-family:sans-serif"><span class="title"></span> · page <span class="pageNumber"></span> of <span class="totalPages"></span></div>`),
	))
	if err != nil {
		return nil, fmt.Errorf("pdf: printing in %s: %w", bin, err)
	}
	return out, nil
}

func chromium(bin string) (string, error) {
	if bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("pdf: chromium %s: %w", bin, err)
		}
		return bin, nil
	}
	if _, err := os.Stat(DefaultChromium); err == nil {
		return DefaultChromium, nil
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("pdf: no Chromium found at " + DefaultChromium + " or on PATH (Debian: apt-get install chromium)")
}
