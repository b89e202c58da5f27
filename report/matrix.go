package report

import (
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// MaxDistinct bounds the distinct addresses, certificate subjects and members kept per row, so
// a long-running mock's matrix stays small however many clients it sees.
const MaxDistinct = 32

// Options shapes a matrix.
type Options struct {
	// Roles are the destination roles held to the table. Empty: the roles the journal has events
	// for, or, for an empty journal, every role of the scenario.
	Roles []string
	// Member, when set, is the member of each role whose profile decides which rows it serves
	// (serve's admin page: its own member). Empty: a row is held to the table when any member
	// of its pool serves it (a `disabled:` override turns a row off for the members it names).
	Member string
}

// Matrix holds events (one journal, or several merged with journal.Merge) against the
// scenario's allow rows and the topology's source addresses.
func Matrix(events []journal.Event, scn *scenarios.Scenario, topo *topology.Topology) *Result {
	b := NewBuilder(scn, topo, Options{})
	for _, e := range events {
		b.Add(e)
	}
	return b.Result()
}

// Builder folds events into a matrix one at a time, so a live server can keep one up to date.
// It is safe for concurrent use.
type Builder struct {
	scn  *scenarios.Scenario
	topo *topology.Topology
	opts Options

	mu         sync.Mutex
	rows       []*acc
	byDest     map[dest][]int // allow rows by destination role and port
	unexpected map[uKey]*uAcc
	uOrder     []uKey
	seenRoles  map[string]bool
	events     int
}

// dest is where traffic went: a role's port on a transport ("tcp", "udp").
type dest struct {
	role      string
	port      int
	transport string
}

type uKey struct {
	kind, role, source, transport string
	port                          int
}

type acc struct {
	row                      scenarios.Row
	declared                 bool
	sources, certs, members  distinct
	count, failures, okCount int
	lastReason               string
	first, last              time.Time
}

type uAcc struct {
	u              Unexpected
	certs, members distinct
}

// NewBuilder starts an empty matrix of the scenario's allow rows.
func NewBuilder(scn *scenarios.Scenario, topo *topology.Topology, opts Options) *Builder {
	if scn == nil {
		scn = scenarios.Default()
	}
	if topo == nil {
		topo = topology.Default()
	}
	b := &Builder{scn: scn, topo: topo, opts: opts, byDest: map[dest][]int{}, unexpected: map[uKey]*uAcc{}, seenRoles: map[string]bool{}}
	for _, r := range scn.Rows {
		// A bare tcp row has no listener: nothing in a journal can prove it.
		if !r.Allowed() || r.Protocol == scenarios.ProtoTCP {
			continue
		}
		if !roleprofile.Served(scn, topo, r, opts.Member) {
			continue
		}
		_, declared := topo.Sources[r.From]
		d := dest{r.To, r.Port, baseTransport(r.Transport)}
		b.byDest[d] = append(b.byDest[d], len(b.rows))
		b.rows = append(b.rows, &acc{row: r, declared: declared || r.From == scenarios.RoleAny})
	}
	return b
}

// Record adds e; it makes a Builder a journal.Recorder.
func (b *Builder) Record(e journal.Event) error {
	b.Add(e)
	return nil
}

// Add folds one event into the matrix.
func (b *Builder) Add(e journal.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events++
	b.seenRoles[e.Role] = true
	if e.Outcome == journal.OutcomeConnectOnly {
		// A bare TCP connect (an HLB monitor, a scanner) proves no row and fails none.
		return
	}
	ip := remoteIP(e.Remote)
	cands := b.byDest[dest{e.Role, e.Port, baseTransport(string(e.Transport))}]
	if len(cands) == 0 {
		b.addUnexpected(KindUnexpectedPort, e, ip, nil, nil)
		return
	}
	var roles []string
	if ip.IsValid() {
		roles = b.topo.SourceRoleOf(ip)
	}
	var missed []string
	for _, i := range cands {
		a := b.rows[i]
		if a.row.From == scenarios.RoleAny || !a.declared || slices.Contains(roles, a.row.From) {
			a.add(e, ip)
			return
		}
		missed = append(missed, a.row.ID())
	}
	b.addUnexpected(KindUnexpectedSource, e, ip, roles, missed)
}

func (a *acc) add(e journal.Event, ip netip.Addr) {
	a.count++
	if e.Outcome == journal.OutcomeFailed {
		a.failures++
		a.lastReason = e.Reason
	} else {
		a.okCount++
	}
	if a.first.IsZero() || e.Time.Before(a.first) {
		a.first = e.Time
	}
	if e.Time.After(a.last) {
		a.last = e.Time
	}
	a.sources.add(addrString(ip, e.Remote))
	a.certs.add(certSubject(e))
	a.members.add(e.Member)
}

func (b *Builder) addUnexpected(kind string, e journal.Event, ip netip.Addr, roles, rows []string) {
	src := addrString(ip, e.Remote)
	k := uKey{kind, e.Role, src, baseTransport(string(e.Transport)), e.Port}
	u, ok := b.unexpected[k]
	if !ok {
		u = &uAcc{u: Unexpected{Kind: kind, To: e.Role, Port: e.Port, Transport: baseTransport(string(e.Transport)), Protocol: string(e.Protocol), Listener: e.Listener,
			Source: src, SourceRoles: roles, Rows: rows, Denied: b.denyRow(e, roles), FirstSeen: e.Time, LastSeen: e.Time}}
		b.unexpected[k] = u
		b.uOrder = append(b.uOrder, k)
	}
	u.u.Count++
	if e.Outcome == journal.OutcomeFailed {
		u.u.Failures++
		u.u.LastReason = e.Reason
	}
	if e.Time.Before(u.u.FirstSeen) {
		u.u.FirstSeen = e.Time
	}
	if e.Time.After(u.u.LastSeen) {
		u.u.LastSeen = e.Time
	}
	u.certs.add(certSubject(e))
	u.members.add(e.Member)
}

// denyRow finds the table's deny row for traffic from roles to the event's role and port.
func (b *Builder) denyRow(e journal.Event, roles []string) string {
	for _, r := range b.scn.Rows {
		if strings.HasPrefix(r.Expect, scenarios.ExpectDeny) && r.To == e.Role && r.Port == e.Port && baseTransport(r.Transport) == baseTransport(string(e.Transport)) &&
			(r.From == scenarios.RoleAny || slices.Contains(roles, r.From)) {
			return r.ID()
		}
	}
	return ""
}

// Result computes the matrix as it stands.
func (b *Builder) Result() *Result {
	b.mu.Lock()
	defer b.mu.Unlock()
	res := &Result{Scenario: b.scn.Name, Topology: b.topo.File, Events: b.events, Generated: time.Now().UTC(), Roles: b.roles()}
	for _, a := range b.rows {
		if !slices.Contains(res.Roles, a.row.To) {
			continue
		}
		r := Row{ID: a.row.ID(), From: a.row.From, To: a.row.To, Port: a.row.Port, Transport: baseTransport(a.row.Transport), Protocol: a.row.Protocol,
			Origin: a.row.Origin, Note: a.row.Note, SourcesDeclared: a.declared,
			Sources: a.sources.list(), SourcesMore: a.sources.more, ClientCerts: a.certs.list(), Members: a.members.list(),
			Count: a.count, Failures: a.failures, LastReason: a.lastReason}
		switch {
		case a.okCount > 0:
			r.State = StateSeenOK
			res.Summary.SeenOK++
		case a.failures > 0:
			r.State = StateFailed
			res.Summary.Failed++
		default:
			r.State = StateNotSeen
			res.Summary.NotSeen++
		}
		if a.count > 0 {
			f, l := a.first, a.last
			r.FirstSeen, r.LastSeen = &f, &l
		}
		res.Rows = append(res.Rows, r)
	}
	res.Unexpected = []Unexpected{}
	for _, k := range b.uOrder {
		ua := b.unexpected[k]
		if !slices.Contains(res.Roles, ua.u.To) {
			continue
		}
		u := ua.u
		u.ClientCerts, u.Members = ua.certs.list(), ua.members.list()
		res.Unexpected = append(res.Unexpected, u)
	}
	sort.SliceStable(res.Unexpected, func(i, j int) bool {
		a, c := res.Unexpected[i], res.Unexpected[j]
		if a.To != c.To {
			return a.To < c.To
		}
		if a.Port != c.Port {
			return a.Port < c.Port
		}
		return a.Source < c.Source
	})
	res.Summary.Unexpected = len(res.Unexpected)
	res.OK = res.Summary.NotSeen == 0 && res.Summary.Failed == 0 && len(res.Unexpected) == 0 && len(res.Rows) > 0
	return res
}

// roles resolves Options.Roles (see there). Caller holds mu.
func (b *Builder) roles() []string {
	if len(b.opts.Roles) > 0 {
		return slices.Clone(b.opts.Roles)
	}
	var out []string
	for _, a := range b.rows {
		if (len(b.seenRoles) == 0 || b.seenRoles[a.row.To]) && !slices.Contains(out, a.row.To) {
			out = append(out, a.row.To)
		}
	}
	return out
}

// distinct keeps up to MaxDistinct values in first-seen order and counts the rest.
type distinct struct {
	vals []string
	more int
}

func (d *distinct) add(v string) {
	if v == "" || slices.Contains(d.vals, v) {
		return
	}
	if len(d.vals) >= MaxDistinct {
		d.more++ // counts events beyond the cap, not distinct values: a bound, not a census
		return
	}
	d.vals = append(d.vals, v)
}

func (d *distinct) list() []string { return slices.Clone(d.vals) }

func remoteIP(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func addrString(ip netip.Addr, remote string) string {
	if ip.IsValid() {
		return ip.String()
	}
	if remote == "" {
		return "unknown"
	}
	return remote
}

func certSubject(e journal.Event) string {
	if e.TLS == nil || e.TLS.ClientCert == nil {
		return ""
	}
	s := e.TLS.ClientCert.Subject
	if !e.TLS.ClientCert.Verified {
		s += " (not verified)"
	}
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }

// baseTransport reduces a row's or an event's transport to tcp or udp ("udp/quic" is udp).
func baseTransport(t string) string {
	if t == "" {
		return "tcp"
	}
	b, _, _ := strings.Cut(t, "/")
	return b
}
