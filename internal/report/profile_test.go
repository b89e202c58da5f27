package report_test

import (
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/report/reporttest"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// memEvents keeps a server's events in memory.
type memEvents struct {
	mu  sync.Mutex
	evs []journal.Event
}

func (m *memEvents) Record(e journal.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evs = append(m.evs, e)
	return nil
}

func (m *memEvents) events() []journal.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]journal.Event(nil), m.evs...)
}

const rowIC80 = "internal-clients->director tcp/80 http"

var _ = Describe("the matrix holds each member to its own role profile", func() {
	It("drops a row a member-specific disabled override turns off, and a bare connect changes no row", func() {
		base, err := os.ReadFile(reporttest.TopologyFile())
		Expect(err).NotTo(HaveOccurred())
		yaml := append(base, []byte("\nlisteners:\n  - {role: director, member: dir02.contoso.local, port: 80, disabled: true}\n")...)
		topo, err := topology.Parse("site.yaml", yaml)
		Expect(err).NotTo(HaveOccurred())
		scn := scenarios.Default()

		rec := &memEvents{}
		site, err := mdtest.Start(mdtest.Options{Scenario: scn, Topology: topo, Roles: []string{scenarios.RoleDirector},
			Member: "dir02", Observers: []journal.Recorder{rec}, CertDir: filepath.Join(GinkgoT().TempDir(), "certs")})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(site.Close()).To(Succeed()) })
		inst := site.Members[0]
		Expect(inst.Addrs()).NotTo(HaveKey("http-80"), "serve honours the override")

		// An HLB's TCP monitor from an internal client's address: connect, close.
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.50.33")}}
		c, err := d.Dial("tcp", inst.Addrs()["https-443"].String())
		Expect(err).NotTo(HaveOccurred())
		c.Close()
		Eventually(rec.events).Should(ContainElement(HaveField("Outcome", journal.OutcomeConnectOnly)))

		matrix := func(member string) *report.Result {
			b := report.NewBuilder(scn, topo, report.Options{Roles: []string{scenarios.RoleDirector}, Member: member})
			for _, e := range rec.events() {
				b.Add(e)
			}
			return b.Result()
		}
		res := matrix("dir02.contoso.local")
		for _, r := range res.Rows {
			Expect(r.ID).NotTo(Equal(rowIC80), "dir02 does not serve port 80")
		}
		Expect(rowOf(res, rowIC443)).To(SatisfyAll(HaveField("State", report.StateNotSeen), HaveField("Failures", 0)),
			"a bare TCP connect neither proves nor fails the row")
		Expect(res.Unexpected).To(BeEmpty())

		Expect(rowOf(matrix(""), rowIC80).State).To(Equal(report.StateNotSeen), "the pool still serves 80 on dir01")
	})
})
