package pdf_test

import (
	"context"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/report/pdf"
)

var _ = Describe("Print", func() {
	It("refuses a paper it does not know and a browser that is not there, naming them", func() {
		_, err := pdf.Print(context.Background(), []byte("<p>x"), pdf.Options{Paper: "a5"})
		Expect(err).To(MatchError(ContainSubstring(`paper "a5": use a4 or letter`)))
		_, err = pdf.Print(context.Background(), []byte("<p>x"), pdf.Options{Chromium: "/nonexistent/chromium"})
		Expect(err).To(MatchError(ContainSubstring("/nonexistent/chromium")))
	})

	It("prints a document to a PDF in a fresh headless Chromium", Label("chromium"), func() {
		if _, err := os.Stat(pdf.DefaultChromium); err != nil {
			Skip("chromium is not installed at " + pdf.DefaultChromium)
		}
		out, err := pdf.Print(context.Background(), []byte(`<!doctype html><title>t</title><p>row one</p>`), pdf.Options{Paper: "letter"})
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(HavePrefix("%PDF-"))
	})
})
