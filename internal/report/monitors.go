package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// Health monitors seen from the destination: connections that come from one source to one
// member's port at a regular interval and do nothing a client would (a bare connect, a TLS
// handshake without a request, SIP OPTIONS from a source that never registers) look like the
// HLB's health monitor. The report lists them per member and port, and calls out a member of an
// HLB pool (a pool with a VIP) that no monitor reaches and a monitor on another port than the one
// the guidance names (5061 for a Director or Front End pool, or the pool's monitor_port).

// Kinds of monitor traffic.
const (
	MonitorConnectOnly = string(wire.OutcomeConnectOnly)
	MonitorTLSOnly     = "tls-only"
	MonitorSIPOptions  = string(wire.CheckSIPOptions)
)

// monitorMin is how many regular connections make a monitor; monitorMinGap keeps bursts (a
// prober's back-to-back connections) out.
const (
	monitorMin    = 3
	monitorMinGap = 300 * time.Millisecond
)

// Monitor is one source that reaches a member's port the way a health monitor does.
type Monitor struct {
	Role      string    `json:"role"`
	Member    string    `json:"member"`
	Port      int       `json:"port"`
	Source    string    `json:"source"`
	Kind      string    `json:"kind"`
	Count     int       `json:"count"`
	IntervalS float64   `json:"interval_s"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Monitors is what the report says of the HLB's health monitors.
type Monitors struct {
	Seen []Monitor `json:"seen"`
	// Findings call out a member no monitor reaches and a monitor on the wrong port.
	Findings []string `json:"findings,omitempty"`
}

type monKey struct {
	role, member string
	port         int
	source, kind string
}

type monHandshake struct {
	key monKey
	at  time.Time
}

// monitorAcc gathers the events that may be a monitor's.
type monitorAcc struct {
	times      map[monKey][]time.Time
	handshakes map[string]monHandshake // by remote ip:port: a TLS handshake not (yet) followed by a request
	requested  map[string]bool
	registered map[string]bool // source addresses that sent REGISTER
	members    map[string]map[string]bool
}

func (m *monitorAcc) add(e journal.Event) {
	if m.times == nil {
		m.times, m.handshakes, m.requested, m.registered = map[monKey][]time.Time{}, map[string]monHandshake{}, map[string]bool{}, map[string]bool{}
		m.members = map[string]map[string]bool{}
	}
	if e.Transport != "" && e.Transport != journal.TransportTCP {
		return
	}
	if m.members[e.Role] == nil {
		m.members[e.Role] = map[string]bool{}
	}
	m.members[e.Role][shortMember(e.Member)] = true
	src := remoteIP(e.Remote)
	if !src.IsValid() {
		return
	}
	key := monKey{role: e.Role, member: shortMember(e.Member), port: e.Port, source: src.String()}
	switch {
	case e.Kind == journal.KindConnect && wire.Outcome(e.Outcome) == wire.OutcomeConnectOnly:
		key.kind = MonitorConnectOnly
		m.times[key] = append(m.times[key], e.Time)
	case e.Kind == journal.KindHandshake:
		// Ok or not: a monitor that resets right after its handshake (HAProxy's check-ssl)
		// fails the server's last write of it (TLS 1.3 session tickets).
		// The monitor's schedule is when it connected: the event's time is the end of the
		// handshake, late by however long a loaded server took over it.
		if !m.requested[e.Remote] {
			key.kind = MonitorTLSOnly
			m.handshakes[e.Remote] = monHandshake{key, e.Time.Add(-time.Duration(e.DurationMS * float64(time.Millisecond)))}
		}
	case e.Kind == journal.KindHTTP || e.Kind == journal.KindSIP || e.Kind == journal.KindCLS:
		m.requested[e.Remote] = true
		delete(m.handshakes, e.Remote)
		if e.SIP != nil && strings.EqualFold(e.SIP.Method, "REGISTER") {
			m.registered[key.source] = true
		}
		if e.SIP != nil && strings.EqualFold(e.SIP.Method, "OPTIONS") {
			key.kind = MonitorSIPOptions
			m.times[key] = append(m.times[key], e.Time)
		}
	}
}

// result finds the monitors among what was gathered and holds the HLB pools to them.
func (m *monitorAcc) result(topo *topology.Topology, roles []string) *Monitors {
	times := map[monKey][]time.Time{}
	for k, ts := range m.times {
		if k.kind == MonitorSIPOptions && m.registered[k.source] {
			continue // a client that registers: its OPTIONS are no monitor's
		}
		times[k] = append(times[k], ts...)
	}
	for _, h := range m.handshakes {
		times[h.key] = append(times[h.key], h.at)
	}
	out := &Monitors{Seen: []Monitor{}}
	for k, ts := range times {
		if mon, ok := regular(k, ts); ok {
			out.Seen = append(out.Seen, mon)
		}
	}
	sort.Slice(out.Seen, func(i, j int) bool {
		a, b := out.Seen[i], out.Seen[j]
		if a.Role != b.Role {
			return a.Role < b.Role
		}
		if a.Member != b.Member {
			return a.Member < b.Member
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		return a.Source+a.Kind < b.Source+b.Kind
	})
	out.Findings = m.findings(topo, roles, out.Seen)
	return out
}

// regular makes a monitor of a key's connections when there are enough of them, none closer
// than monitorMinGap, and most gaps within half of the median either way.
func regular(k monKey, ts []time.Time) (Monitor, bool) {
	if len(ts) < monitorMin {
		return Monitor{}, false
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	gaps := make([]time.Duration, 0, len(ts)-1)
	for i := 1; i < len(ts); i++ {
		gaps = append(gaps, ts[i].Sub(ts[i-1]))
	}
	sorted := slices.Clone(gaps)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	if median < monitorMinGap {
		return Monitor{}, false
	}
	near := 0
	for _, g := range gaps {
		if g >= median/2 && g <= median*3/2 {
			near++
		}
	}
	if near*4 < len(gaps)*3 {
		return Monitor{}, false
	}
	return Monitor{Role: k.role, Member: k.member, Port: k.port, Source: k.source, Kind: k.kind, Count: len(ts),
		IntervalS: float64(median.Milliseconds()) / 1000, FirstSeen: ts[0].UTC(), LastSeen: ts[len(ts)-1].UTC()}, true
}

// ExpectedMonitorPort is the port the HLB is expected to monitor a pool's members on: the pool's
// monitor_port, else 5061 for a Director or Front End pool (Microsoft's HLB guidance), else 0.
func ExpectedMonitorPort(role string, p *topology.Pool) int {
	if p != nil && p.MonitorPort != 0 {
		return p.MonitorPort
	}
	if role == scenarios.RoleDirector || role == scenarios.RoleFrontend {
		return 5061
	}
	return 0
}

func (m *monitorAcc) findings(topo *topology.Topology, roles []string, seen []Monitor) []string {
	var out []string
	for _, role := range roles {
		p := topo.Pools[role]
		if p == nil || p.VIP == "" || len(m.members[role]) == 0 {
			continue // no HLB in front of it, or no journal to tell
		}
		want := ExpectedMonitorPort(role, p)
		for _, mem := range p.Members {
			name := shortMember(mem.Name)
			var mine []Monitor
			for _, s := range seen {
				if s.Role == role && s.Member == name {
					mine = append(mine, s)
				}
			}
			switch {
			case !m.members[role][name]:
				out = append(out, fmt.Sprintf("no journal from %s (%s pool behind the VIP %s): cannot tell which monitors reach it", name, role, p.VIP))
			case len(mine) == 0:
				out = append(out, fmt.Sprintf("no HLB monitor reaches %s (%s pool behind the VIP %s): is it missing from the HLB's pool, or has its monitor no route?", name, role, p.VIP))
			}
			if want == 0 {
				continue
			}
			for _, s := range mine {
				if s.Port != want {
					out = append(out, fmt.Sprintf("monitor on %d not %d: %s checks %s on tcp/%d (%s) every %.1f s; the guidance monitors the %s pool on %d", s.Port, want, s.Source, name, s.Port, s.Kind, s.IntervalS, role, want))
				}
			}
		}
	}
	return out
}

// shortMember is a member's first label (dir01 for dir01.contoso.local).
func shortMember(name string) string { return strings.SplitN(name, ".", 2)[0] }

// writeMonitors prints the monitors and the findings for the table output.
func writeMonitors(w io.Writer, res *Result) error {
	if res.Monitors == nil || len(res.Monitors.Seen) == 0 && len(res.Monitors.Findings) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nHLB HEALTH MONITORS (seen from the destination: one source, a regular interval, nothing a client would do)")
	if len(res.Monitors.Seen) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "MEMBER\tPORT\tSOURCE\tKIND\tINTERVAL\tCOUNT\tLAST SEEN")
		for _, m := range res.Monitors.Seen {
			last := m.LastSeen
			fmt.Fprintf(tw, "%s %s\ttcp/%d\t%s\t%s\t%.1f s\t%d\t%s\n", m.Role, m.Member, m.Port, m.Source, m.Kind, m.IntervalS, m.Count, timeText(&last))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, f := range res.Monitors.Findings {
		fmt.Fprintln(w, "! "+f)
	}
	return nil
}
