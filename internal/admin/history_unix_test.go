//go:build unix

package admin_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/admin"
	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/report/reporttest"
	"github.com/mockdirector/mockdirector/internal/testdir"
)

var _ = Describe("the journal's history, loaded in the background", func() {
	It("answers on the admin and the table's ports while it still loads, says loading with the count so far, and folds the live events in after it", func() {
		const token = "h1story"
		srv, d := startAdmin(admin.Options{Token: token})
		base := "http://" + srv.Addr().String()

		// The history is a FIFO: the load cannot end before the test closes it, so "still
		// loading" is a state the test holds, not a race it hopes to win.
		fifo := filepath.Join(testdir.New(), "journal.jsonl")
		Expect(syscall.Mkfifo(fifo, 0o600)).To(Succeed())
		done := srv.LoadHistory([]string{fifo})
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		Expect(err).NotTo(HaveOccurred())
		defer w.Close()
		const earlier = 500
		start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		for i := range earlier {
			fmt.Fprintf(w, `{"time":%q,"kind":"handshake","role":"director","member":"dir01.contoso.local","listener":"cls-mtls-50001","protocol":"cls-mtls","port":50001,"transport":"tcp","remote":"127.0.50.11:%d","outcome":"ok"}`+"\n",
				start.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), 20000+i)
		}

		info := func() (loading bool, events int, text string) {
			resp, body := get(base+"/api/info", token)
			Expect(resp.StatusCode).To(Equal(200))
			var i struct {
				Loading bool
				History admin.History
				Text    string `json:"history_text"`
			}
			Expect(json.Unmarshal([]byte(body), &i)).To(Succeed())
			return i.Loading, i.History.Events, i.Text
		}
		Eventually(func() int { _, n, _ := info(); return n }).Should(Equal(earlier))
		loading, _, text := info()
		Expect(loading).To(BeTrue())
		Expect(text).To(Equal(fmt.Sprintf("loading history (%d events so far)", earlier)))

		By("the table's ports answer meanwhile, and their events wait for the history")
		code, err := reporttest.Curl(reporttest.ReverseProxy, "http://"+d.Addr("http-8080")+"/meet/")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal("200"))
		for range 2 {
			out, _ := reporttest.OpenSSL(reporttest.Stranger, d.Addr("cls-mtls-50001"), d.CertDir, "")
			Expect(out).To(ContainSubstring("CONNECTED"))
		}
		_, body := get(base+"/api/matrix", token)
		var m struct {
			report.Result
			History     admin.History `json:"history"`
			HistoryText string        `json:"history_text"`
		}
		Expect(json.Unmarshal([]byte(body), &m)).To(Succeed())
		Expect(m.History.Loading).To(BeTrue())
		Expect(m.OK).To(BeFalse(), "a matrix without its history is never OK")
		Expect(m.HistoryText).To(HavePrefix("loading history"))
		Eventually(func() int { return srv.History().Pending }).Should(BeNumerically(">=", 3))

		By("the history ends: every earlier event, then the live ones")
		Expect(w.Close()).To(Succeed())
		Eventually(done, 10*time.Second).Should(BeClosed())
		h := srv.History()
		Expect(h.Loading).To(BeFalse())
		Expect(h.Events).To(Equal(earlier))
		Expect(h.Error).To(BeEmpty())
		res := srv.Matrix()
		states := map[string]string{}
		for _, r := range res.Rows {
			states[r.ID] = r.State
		}
		Expect(states).To(HaveKeyWithValue(rowCLS50001, report.StateFailingNow), "seen ok in the history, failing since: the live failures came after it")
		Expect(states).To(HaveKeyWithValue(rowRP8080, report.StateSeenOK))
		Expect(res.Events).To(BeNumerically(">=", earlier+3))
		Eventually(func() bool { return srv.Matrix().Events-earlier == reporttest.Lines(d.Journal) }).Should(BeTrue(), "every live event once, none of them twice")
	})
})
