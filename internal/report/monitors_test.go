package report_test

import (
	"bytes"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("HLB health monitors seen from the destination", func() {
	topo := func() *topology.Topology {
		t, err := topology.Parse("hlb-site", []byte(`pools:
  director:
    fqdn: dir-pool.contoso.local
    vip: 203.0.113.10
    members:
      - {name: dir01.contoso.local, address: 203.0.113.21}
      - {name: dir02.contoso.local, address: 203.0.113.22}
      - {name: dir03.contoso.local, address: 203.0.113.23}
`))
		Expect(err).NotTo(HaveOccurred())
		return t
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ev := func(at time.Duration, member string, port int, remote, kind string, outcome wire.Outcome) journal.Event {
		return journal.Event{Time: t0.Add(at), Kind: kind, Role: scenarios.RoleDirector, Member: member + ".contoso.local", Port: port,
			Transport: journal.TransportTCP, Remote: remote, Outcome: outcome}
	}
	every := func(n int, d time.Duration, member string, port int, src, kind string, outcome wire.Outcome) []journal.Event {
		var out []journal.Event
		for i := range n {
			out = append(out, ev(time.Duration(i)*d, member, port, fmt.Sprintf("%s:%d", src, 40000+i), kind, outcome))
		}
		return out
	}

	It("lists per member and port the regular connect-only, TLS-only and OPTIONS-only sources, and calls out a member no monitor reaches and a monitor on the wrong port", func() {
		var evs []journal.Event
		evs = append(evs, every(5, 2*time.Second, "dir01", 5061, "203.0.113.10", journal.KindConnect, journal.OutcomeConnectOnly)...)
		evs = append(evs, every(4, 5*time.Second, "dir02", 443, "203.0.113.10", journal.KindHandshake, journal.OutcomeOK)...)
		evs[len(evs)-1].Outcome = journal.OutcomeFailed // reset right after the handshake: still the monitor
		// dir03 answers clients (a burst of a prober's requests, a registering SIP client) but no monitor.
		evs = append(evs, every(6, 10*time.Millisecond, "dir03", 5061, "203.0.113.10", journal.KindConnect, journal.OutcomeConnectOnly)...)
		for i, m := range []string{"OPTIONS", "REGISTER", "OPTIONS", "OPTIONS"} {
			e := ev(time.Duration(i)*3*time.Second, "dir03", 5061, fmt.Sprintf("192.0.2.10:%d", 41000+i), journal.KindSIP, journal.OutcomeOK)
			e.SIP = &journal.SIPInfo{Method: m, Status: 200}
			evs = append(evs, e)
		}
		res := report.Matrix(evs, scenarios.Default(), topo())
		Expect(res.Monitors).NotTo(BeNil())
		Expect(res.Monitors.Seen).To(HaveLen(2))
		Expect(res.Monitors.Seen[0]).To(SatisfyAll(HaveField("Member", "dir01"), HaveField("Port", 5061), HaveField("Source", "203.0.113.10"),
			HaveField("Kind", report.MonitorConnectOnly), HaveField("IntervalS", 2.0), HaveField("Count", 5), HaveField("LastSeen", t0.Add(8*time.Second))))
		Expect(res.Monitors.Seen[1]).To(SatisfyAll(HaveField("Member", "dir02"), HaveField("Port", 443), HaveField("Kind", report.MonitorTLSOnly), HaveField("IntervalS", 5.0)))
		Expect(res.Monitors.Findings).To(ConsistOf(
			ContainSubstring("monitor on 443 not 5061: 203.0.113.10 checks dir02 on tcp/443 (tls-only) every 5.0 s"),
			ContainSubstring("no HLB monitor reaches dir03 (director pool behind the VIP 203.0.113.10)"),
		))
		var b bytes.Buffer
		Expect(report.Table(&b, res)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("HLB HEALTH MONITORS"))
		Expect(b.String()).To(MatchRegexp(`director dir01\s+tcp/5061\s+203.0.113.10\s+connect-only\s+2.0 s\s+5`))
		Expect(b.String()).To(ContainSubstring("! no HLB monitor reaches dir03"))
	})

	It("times a TLS monitor by when it connected, not by when a loaded server finished the handshake", func() {
		var evs []journal.Event
		for i, took := range []time.Duration{20, 900, 30, 20, 850, 40, 20} {
			e := ev(time.Duration(i)*time.Second+took*time.Millisecond, "dir01", 5061, fmt.Sprintf("203.0.113.10:%d", 43000+i), journal.KindHandshake, journal.OutcomeOK)
			e.DurationMS = float64(took)
			evs = append(evs, e)
		}
		res := report.Matrix(evs, scenarios.Default(), topo())
		Expect(res.Monitors.Seen).To(ContainElement(SatisfyAll(HaveField("Member", "dir01"), HaveField("Kind", report.MonitorTLSOnly),
			HaveField("IntervalS", 1.0), HaveField("Count", 7))))
		Expect(res.Monitors.Findings).NotTo(ContainElement(ContainSubstring("no HLB monitor reaches dir01")))
	})

	It("counts a handshake followed by a request as a client, and OPTIONS from a source that also registers as a client's", func() {
		var evs []journal.Event
		for i := range 4 {
			remote := fmt.Sprintf("203.0.113.10:%d", 42000+i)
			evs = append(evs, ev(time.Duration(i)*2*time.Second, "dir01", 443, remote, journal.KindHandshake, journal.OutcomeOK))
			h := ev(time.Duration(i)*2*time.Second+time.Millisecond, "dir01", 443, remote, journal.KindHTTP, journal.OutcomeOK)
			h.HTTP = &journal.HTTPInfo{Method: "GET", Path: "/", Status: 200}
			evs = append(evs, h)
		}
		res := report.Matrix(evs, scenarios.Default(), topo())
		Expect(res.Monitors.Seen).To(BeEmpty())
		Expect(res.Monitors.Findings).To(ContainElement(ContainSubstring("no HLB monitor reaches dir01")))
		Expect(res.Monitors.Findings).To(ContainElement(ContainSubstring("no journal from dir02")))
	})
})
