package admin_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/testdir"
)

var _ = Describe("serve --admin", func() {
	It("starts the matrix from the journal's earlier lines, counts only live events in /metrics, and prints the page's address", func() {
		dir := testdir.New()
		jpath := filepath.Join(dir, "j.jsonl")
		// A line from an earlier run: the Edge was seen yesterday.
		Expect(os.WriteFile(jpath, []byte(`{"time":"2026-11-24T10:00:00Z","kind":"sip","role":"director","member":"dir01.contoso.local","listener":"sip-mtls-5061","protocol":"sip-mtls","port":5061,"transport":"tcp","remote":"127.0.50.11:5555","outcome":"ok","sip":{"method":"OPTIONS","status":200}}`+"\n"), 0o644)).To(Succeed())

		m := &servedMock{dir: dir, journal: jpath, certDir: filepath.Join(dir, "certs")}
		m.launch()
		s, adminAddr := m.s, m.adminAddr
		base := "http://" + adminAddr

		By("a loopback admin given no token makes one, 0600 next to the journal, and prints it once")
		tokenFile := filepath.Join(dir, "mockdirector-admin.token")
		st, err := os.Stat(tokenFile)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		raw, err := os.ReadFile(tokenFile)
		Expect(err).NotTo(HaveOccurred())
		token := strings.TrimSpace(string(raw))
		Expect(token).To(HaveLen(48))
		Expect(string(s.Out.Contents())).To(ContainSubstring("live matrix http://" + adminAddr + "/#token=" + token))
		Expect(string(s.Out.Contents())).To(ContainSubstring("admin token written to " + tokenFile + " (0600)"))
		resp, _ := get(base+"/api/matrix", "")
		Expect(resp.StatusCode).To(Equal(401))
		By("the journal it appends to is 0600")
		st, err = os.Stat(jpath)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		Expect(string(s.Out.Contents())).To(ContainSubstring("was readable by other users (mode 0644): now 0600"))
		st, err = os.Stat(filepath.Join(dir, "certs"))
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o700)), "the certificate directory")

		By("the history loads in the background; the info endpoint says when it is done")
		Eventually(func() bool {
			_, body := get(base+"/api/info", token)
			var info struct{ Loading bool }
			Expect(json.Unmarshal([]byte(body), &info)).To(Succeed())
			return info.Loading
		}, 10*time.Second).Should(BeFalse())
		_, body := get(base+"/api/matrix", token)
		var res report.Result
		Expect(json.Unmarshal([]byte(body), &res)).To(Succeed())
		Expect(res.Events).To(Equal(1))
		for _, r := range res.Rows {
			if r.ID == rowEdgeSIP {
				Expect(r.State).To(Equal(report.StateSeenOK))
			}
		}
		_, body = get(base+"/metrics", token)
		Expect(sum(parseMetrics(body), "mockdirector_events_total", nil)).To(Equal(0), "counters start at process start")
		Expect(sum(parseMetrics(body), "mockdirector_row_seen_ok", map[string]string{"row": rowEdgeSIP})).To(Equal(1))
	})
})
