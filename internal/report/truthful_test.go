package report_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/report/reporttest"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// lab50Source is the address a row's source role sends from in testdata/lab50.yaml.
func lab50Source(role string) string {
	switch role {
	case scenarios.RoleDirector:
		return "127.0.50.2"
	case scenarios.RoleFrontend:
		return "127.0.50.3"
	case scenarios.RoleEdgeInternal:
		return reporttest.Edge
	case scenarios.RoleReverseProxy:
		return reporttest.ReverseProxy
	case scenarios.RoleInternalClient:
		return reporttest.InternalClient
	}
	return reporttest.Stranger
}

// ev is one journal event, made through its JSON form so it does not depend on how
// journal.Event types its fields.
func ev(role string, port int, proto, remote, outcome string, t time.Time) journal.Event {
	line := must(json.Marshal(map[string]any{"time": t, "kind": journal.KindHandshake, "role": role, "member": role + "01",
		"listener": fmt.Sprintf("%s-%d", proto, port), "protocol": proto, "port": port, "transport": "tcp",
		"remote": remote + ":40000", "outcome": outcome}))
	var e journal.Event
	Expect(json.Unmarshal(line, &e)).To(Succeed())
	return e
}

// answeredRows is an ok event for every allow row of the seed table to roles, from its source.
func answeredRows(t time.Time, roles ...string) []journal.Event {
	var out []journal.Event
	for _, r := range scenarios.Default().Rows {
		if !r.Allowed() || r.Protocol == scenarios.ProtoTCP || !strings.Contains(strings.Join(roles, ","), r.To) {
			continue
		}
		out = append(out, ev(r.To, r.Port, r.Protocol, lab50Source(r.From), string(wire.OutcomeOK), t))
	}
	return out
}

func writeJournal(dir, name string, evs []journal.Event, extra ...string) string {
	var b strings.Builder
	for _, e := range evs {
		line, err := json.Marshal(e)
		Expect(err).NotTo(HaveOccurred())
		b.Write(line)
		b.WriteByte('\n')
	}
	for _, x := range extra {
		b.WriteString(x)
	}
	p := filepath.Join(dir, name)
	Expect(os.WriteFile(p, []byte(b.String()), 0o644)).To(Succeed())
	return p
}

var _ = Describe("a truthful report", func() {
	var dir, topo string
	BeforeEach(func() {
		dir, topo = GinkgoT().TempDir(), reporttest.TopologyFile()
	})

	It("names a role of the topology with no journal, and is not OK (the Director -> Edge traffic that never arrived)", func() {
		now := time.Now()
		dirJ := writeJournal(dir, "dir01.jsonl", answeredRows(now, "director"))
		feJ := writeJournal(dir, "fe01.jsonl", answeredRows(now, "frontend"))
		edgeJ := writeJournal(dir, "edge01.jsonl", nil)

		out, exit := runReport("--journal", dirJ, "--journal", feJ, "--journal", edgeJ, "--config", topo)
		Expect(exit).To(Equal(1), out)
		Expect(out).To(ContainSubstring("no journal from edge-internal (edge01-int.contoso.local): its rows cannot be judged"))
		Expect(out).To(ContainSubstring("NOT OK: 12 of 14 rows seen ok, 2 not seen yet"))
		Expect(out).To(ContainSubstring("1 role without a journal"))

		By("held to the roles that did send, the same journals pass")
		out, exit = runReport("--journal", dirJ, "--journal", feJ, "--journal", edgeJ, "--config", topo, "--role", "director", "--role", "frontend")
		Expect(exit).To(Equal(0), out)
		Expect(out).To(ContainSubstring("OK: 12 of 12 rows seen ok"))

		By("an explicit --role without an event is named too")
		out, exit = runReport("--journal", dirJ, "--config", topo, "--role", "director", "--role", "edge-internal")
		Expect(exit).To(Equal(1), out)
		Expect(out).To(ContainSubstring("no journal from edge-internal (edge01-int.contoso.local)"))
	})

	It("refuses a file that is not a journal with exit 2, naming the file and its first line", func() {
		out, exit := runReport("--journal", topo, "--config", topo)
		Expect(exit).To(Equal(2), out)
		Expect(out).To(ContainSubstring(topo + ":1: not a journal"))
		Expect(out).To(ContainSubstring("# The report"))
	})

	It("counts a corrupt line in the middle and names it file:line", func() {
		now := time.Now()
		evs := answeredRows(now, "director")
		j := writeJournal(dir, "dir01.jsonl", evs[:2], "{\"time\":\"garbage\n", "this is not json\n")
		Expect(os.WriteFile(j, append(must(os.ReadFile(j)), must(json.Marshal(evs[2]))...), 0o644)).To(Succeed())
		Expect(os.WriteFile(j, append(must(os.ReadFile(j)), '\n'), 0o644)).To(Succeed())
		out, exit := runReport("--journal", j, "--config", topo, "--role", "director")
		Expect(exit).To(Equal(1))
		Expect(out).To(ContainSubstring(j + ":3"))
		Expect(out).To(ContainSubstring(j + ":4"))
		Expect(out).To(ContainSubstring("2 unreadable journal lines"))
		res, _ := reportJSON("--journal", j, "--config", topo, "--role", "director")
		Expect(res.Events).To(Equal(3))
		Expect(res.Summary.BadLines).To(Equal(2))
		Expect(res.Inputs[0].BadLines).To(Equal([]string{j + ":3", j + ":4"}))
	})

	It("takes --config, and --topology as its old name", func() {
		j := writeJournal(dir, "dir01.jsonl", answeredRows(time.Now(), "director"))
		a, exit := reportJSON("--journal", j, "--config", topo, "--role", "director")
		Expect(exit).To(Equal(0))
		b, _ := reportJSON("--journal", j, "--topology", topo, "--role", "director")
		Expect(b.Topology).To(Equal(a.Topology))
		Expect(b.Rows).To(Equal(a.Rows))
		out, exit := runReport("--journal", j, "--topology", topo, "--config", reporttest.ScenarioFile("extra-port.yaml"))
		Expect(exit).To(Equal(2))
		Expect(out).To(ContainSubstring("give one"))
	})

	It("judges only recent events with --since", func() {
		now := time.Now()
		old := now.Add(-2 * time.Hour)
		evs := append(answeredRows(old, "director"), ev("director", 5061, "sip-mtls", reporttest.Edge, string(wire.OutcomeFailed), old.Add(time.Minute)))
		evs = append(evs, ev("director", 8080, "http", reporttest.ReverseProxy, string(wire.OutcomeOK), now.Add(-time.Minute)))
		j := writeJournal(dir, "dir01.jsonl", evs)
		all, _ := reportJSON("--journal", j, "--config", topo, "--role", "director")
		Expect(rowOf(all, rowEdgeSIP).State).To(Equal(report.StateFailingNow))
		recent, exit := reportJSON("--journal", j, "--config", topo, "--role", "director", "--since", "1h")
		Expect(exit).To(Equal(1))
		Expect(recent.Events).To(Equal(1))
		Expect(recent.Older).To(Equal(len(evs) - 1))
		Expect(rowOf(recent, rowRP8080).State).To(Equal(report.StateSeenOK))
		Expect(rowOf(recent, rowEdgeSIP).State).To(Equal(report.StateNotSeen), "an old failure is not judged")
		out, _ := runReport("--journal", j, "--config", topo, "--role", "director", "--since", "1h")
		Expect(out).To(MatchRegexp(`judging events since \S+ only; \d+ older events not judged`))
	})
})

var _ = Describe("history and state", func() {
	topo := func() *topology.Topology { return must(topology.Load(reporttest.TopologyFile())) }

	It("says failing now since HH:MM:SS when a row seen ok starts failing, and seen ok again once it recovers", func() {
		t0 := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
		b := report.NewBuilder(scenarios.Default(), topo(), report.Options{Roles: []string{"director"}})
		b.Add(ev("director", 5061, "sip-mtls", reporttest.Edge, string(wire.OutcomeOK), t0))
		for i := range 89 {
			e := ev("director", 5061, "sip-mtls", reporttest.Edge, string(wire.OutcomeFailed), t0.Add(time.Duration(2*60+11+i)*time.Second))
			e.Reason = "client certificate rejected: unknown authority"
			b.Add(e)
		}
		r := rowOfRes(b.Result(), rowEdgeSIP)
		Expect(r.State).To(Equal(report.StateFailingNow))
		Expect(r.Detail()).To(HavePrefix("failing now since 14:02:11 (89 failures, last: client certificate rejected: unknown authority)"))
		Expect(b.Result().OK).To(BeFalse())
		Expect(b.Result().Summary.FailingNow).To(Equal(1))

		b.Add(ev("director", 5061, "sip-mtls", reporttest.Edge, string(wire.OutcomeOK), t0.Add(time.Hour)))
		Expect(rowOfRes(b.Result(), rowEdgeSIP).State).To(Equal(report.StateSeenOK))
	})

	It("shows TCP connects without a ClientHello apart, leaving the row's state alone", func() {
		b := report.NewBuilder(scenarios.Default(), topo(), report.Options{Roles: []string{"director"}})
		now := time.Now()
		for range 3 {
			b.Add(ev("director", 5061, "sip-mtls", "127.0.50.250", string(wire.OutcomeConnectOnly), now))
		}
		res := b.Result()
		r := rowOfRes(res, rowEdgeSIP)
		Expect(r.State).To(Equal(report.StateNotSeen), "an HLB monitor is not a failed handshake")
		Expect(r.ConnectOnly).To(Equal(3))
		Expect(r.Detail()).To(ContainSubstring("3 TCP connects without a ClientHello: health monitors or scanners"))
		Expect(res.Summary.ConnectOnly).To(Equal(3))
		Expect(res.Unexpected).To(BeEmpty())
		Expect(res.Notes()).To(ContainElement(ContainSubstring("3 TCP connects without a ClientHello: health monitors or scanners")))

		b.Add(ev("director", 5061, "sip-mtls", reporttest.Edge, string(wire.OutcomeOK), now))
		Expect(rowOfRes(b.Result(), rowEdgeSIP).State).To(Equal(report.StateSeenOK))
	})

	It("counts a guard hit as unexpected: a denied path is open, with the source", func() {
		b := report.NewBuilder(scenarios.Default(), topo(), report.Options{Roles: []string{"director"}})
		e := ev("director", 444, "tcp", reporttest.ReverseProxy, string(wire.OutcomeOK), time.Now())
		e.Kind, e.Listener = "guard", "guard-444"
		b.Add(e)
		res := b.Result()
		Expect(res.Unexpected).To(HaveLen(1))
		u := res.Unexpected[0]
		Expect(u.Kind).To(Equal(report.KindDeniedOpen))
		Expect(u.Kind).To(Equal("unexpected: a denied path is open"))
		Expect(u.Source).To(Equal(reporttest.ReverseProxy))
		Expect(u.Denied).To(Equal("reverse-proxy-internal->director tcp/444 tcp"))
		Expect(u.Detail()).To(ContainSubstring("a guard listener answered " + reporttest.ReverseProxy + " (reverse-proxy-internal)"))
		Expect(res.OK).To(BeFalse())
	})

	It("names the allowed source roles from the rows, not from their IDs", func() {
		b := report.NewBuilder(scenarios.Default(), topo(), report.Options{Roles: []string{"director"}})
		b.Add(ev("director", 8080, "http", reporttest.InternalClient, string(wire.OutcomeOK), time.Now()))
		u := b.Result().Unexpected[0]
		Expect(u.AllowedFrom).To(Equal([]string{scenarios.RoleReverseProxy}))
	})
})

func rowOfRes(res *report.Result, id string) report.Row { return rowOf(res, id) }

func must[T any](v T, err error) T {
	GinkgoHelper()
	Expect(err).NotTo(HaveOccurred())
	return v
}
