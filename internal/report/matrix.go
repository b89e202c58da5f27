package report

import (
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// MaxDistinct bounds the distinct addresses, certificate subjects and members kept per row, so
// a long-running mock's matrix stays small however many clients it sees.
const MaxDistinct = 32

// Options shapes a matrix.
type Options struct {
	// Roles are the destination roles held to the table. Empty: every role of the scenario the
	// topology has a pool for (every role of the scenario when it names none). A role held to the
	// table without an event makes the matrix not OK (see Result.Missing).
	Roles []string
	// Member, when set, is the member of each role whose profile decides which rows it serves
	// (serve's admin page: its own member). Empty: a row is held to the table when any member
	// of its pool serves it (a `disabled:` override turns a row off for the members it names).
	Member string
	// Since, when set, judges only events at or after it; older ones are counted in Result.Older.
	Since time.Time
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
	older      int
	connects   int
	// mon gathers what looks like the HLB's health monitors (monitors.go).
	mon monitorAcc
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
	certInfos                []wire.CertInfo
	count, failures, okCount int
	connectOnly              int
	lastReason               string
	first, last              time.Time
	lastOK                   time.Time
	// The run of failures after the last ok event: the row's state now.
	runSince  time.Time
	runCount  int
	runReason string
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
		d := dest{r.To, r.Port, rowTransport(r.Transport)}
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
	if !b.opts.Since.IsZero() && e.Time.Before(b.opts.Since) {
		b.older++
		return
	}
	b.events++
	b.seenRoles[e.Role] = true
	b.mon.add(e)
	ip := remoteIP(e.Remote)
	tr := eventTransport(string(e.Transport))
	if e.Kind == journal.KindGuard {
		b.addUnexpected(KindDeniedOpen, e, ip, b.topoRoles(ip), nil)
		return
	}
	cands := b.byDest[dest{e.Role, e.Port, tr}]
	if wire.Outcome(e.Outcome) == wire.OutcomeConnectOnly {
		// A bare TCP connect (an HLB monitor, a scanner) proves no row and fails none.
		b.connects++
		if len(cands) > 0 {
			b.rows[cands[0]].connectOnly++
		}
		return
	}
	if len(cands) == 0 {
		b.addUnexpected(KindUnexpectedPort, e, ip, nil, nil)
		return
	}
	roles := b.topoRoles(ip)
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

func (b *Builder) topoRoles(ip netip.Addr) []string {
	if !ip.IsValid() {
		return nil
	}
	return b.topo.SourceRoleOf(ip)
}

func (a *acc) add(e journal.Event, ip netip.Addr) {
	a.count++
	if wire.Outcome(e.Outcome) == wire.OutcomeFailed {
		a.failures++
		a.lastReason = e.Reason
		if !e.Time.Before(a.lastOK) {
			if a.runCount == 0 || e.Time.Before(a.runSince) {
				a.runSince = e.Time
			}
			a.runCount++
			a.runReason = e.Reason
		}
	} else {
		a.okCount++
		if !e.Time.Before(a.lastOK) {
			a.lastOK = e.Time
			if !a.runSince.After(e.Time) {
				a.runCount, a.runReason, a.runSince = 0, "", time.Time{}
			}
		}
	}
	if a.first.IsZero() || e.Time.Before(a.first) {
		a.first = e.Time
	}
	if e.Time.After(a.last) {
		a.last = e.Time
	}
	a.sources.add(addrString(ip, e.Remote))
	a.certs.add(certSubject(e))
	if e.TLS != nil && e.TLS.ClientCert != nil {
		a.addCert(*e.TLS.ClientCert)
	}
	a.members.add(e.Member)
}

func (b *Builder) addUnexpected(kind string, e journal.Event, ip netip.Addr, roles, rows []string) {
	src := addrString(ip, e.Remote)
	tr := eventTransport(string(e.Transport))
	k := uKey{kind, e.Role, src, tr, e.Port}
	u, ok := b.unexpected[k]
	if !ok {
		u = &uAcc{u: Unexpected{Kind: kind, To: e.Role, Port: e.Port, Transport: tr, Protocol: string(e.Protocol), Listener: e.Listener,
			Source: src, SourceRoles: roles, Rows: rows, AllowedFrom: b.allowedFrom(rows), Denied: b.denyRow(e, roles), FirstSeen: e.Time, LastSeen: e.Time}}
		b.unexpected[k] = u
		b.uOrder = append(b.uOrder, k)
	}
	u.u.Count++
	if wire.Outcome(e.Outcome) == wire.OutcomeFailed {
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

// allowedFrom is the source roles of the allow rows named by id (Unexpected.Rows).
func (b *Builder) allowedFrom(ids []string) []string {
	var out []string
	for _, a := range b.rows {
		if slices.Contains(ids, a.row.ID()) && !slices.Contains(out, a.row.From) {
			out = append(out, a.row.From)
		}
	}
	return out
}

// denyRow finds the table's deny row for traffic from roles to the event's role and port.
func (b *Builder) denyRow(e journal.Event, roles []string) string {
	for _, r := range b.scn.Rows {
		if wire.Expect(r.Expect).Denied() && r.To == e.Role && r.Port == e.Port && rowTransport(r.Transport) == eventTransport(string(e.Transport)) &&
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
	res := &Result{Scenario: b.scn.Name, Topology: b.topo.File, Events: b.events, Older: b.older, Generated: time.Now().UTC(), Roles: b.roles()}
	if !b.opts.Since.IsZero() {
		since := b.opts.Since.UTC()
		res.Since = &since
	}
	for _, a := range b.rows {
		if !slices.Contains(res.Roles, a.row.To) {
			continue
		}
		res.Rows = append(res.Rows, a.result())
	}
	for _, role := range res.Roles {
		if !b.seenRoles[role] {
			res.Missing = append(res.Missing, Missing{Role: role, Members: b.memberNames(role)})
		}
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
	res.Summary.ConnectOnly = b.connects
	res.Monitors = b.mon.result(b.topo, res.Roles)
	res.tally()
	return res
}

func (a *acc) result() Row {
	r := Row{ID: a.row.ID(), From: a.row.From, To: a.row.To, Port: a.row.Port, Transport: rowTransport(a.row.Transport), Protocol: a.row.Protocol,
		Origin: a.row.Origin, Note: a.row.Note, SourcesDeclared: a.declared,
		Sources: a.sources.list(), SourcesMore: a.sources.more, ClientCerts: a.certs.list(), ClientCertInfo: slices.Clone(a.certInfos), Members: a.members.list(),
		Count: a.count, Failures: a.failures, LastReason: a.lastReason, ConnectOnly: a.connectOnly}
	switch {
	case a.okCount > 0 && a.runCount > 0:
		r.State = StateFailingNow
		since := a.runSince
		r.FailingSince, r.FailingNow, r.FailingReason = &since, a.runCount, a.runReason
	case a.okCount > 0:
		r.State = StateSeenOK
	case a.failures > 0:
		r.State = StateFailed
	default:
		r.State = StateNotSeen
	}
	if a.count > 0 {
		f, l := a.first, a.last
		r.FirstSeen, r.LastSeen = &f, &l
	}
	return r
}

// addCert keeps a client certificate's details (subject, issuer, serial, SHA-256), at most
// MaxDistinct of them.
func (a *acc) addCert(c wire.CertInfo) {
	for _, have := range a.certInfos {
		if have.Subject == c.Subject && have.Serial == c.Serial && have.Issuer == c.Issuer {
			return
		}
	}
	if len(a.certInfos) < MaxDistinct {
		a.certInfos = append(a.certInfos, c)
	}
}

// memberNames are the topology's members of role, for the "no journal from" line.
func (b *Builder) memberNames(role string) []string {
	p, ok := b.topo.Pools[role]
	if !ok || p == nil {
		return nil
	}
	var out []string
	for _, m := range p.Members {
		out = append(out, m.Name)
	}
	return out
}

// roles resolves Options.Roles (see there). Caller holds mu.
func (b *Builder) roles() []string {
	if len(b.opts.Roles) > 0 {
		return slices.Clone(b.opts.Roles)
	}
	var out []string
	for _, a := range b.rows {
		if _, pool := b.topo.Pools[a.row.To]; (pool || len(b.topo.Pools) == 0) && !slices.Contains(out, a.row.To) {
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

// eventTransport is the row transport (tcp, udp) a journal event's transport belongs to.
func eventTransport(t string) string {
	if t == "" {
		return string(wire.TransportTCP)
	}
	return string(wire.JournalTransport(t).Base())
}

// rowTransport is a table row's transport, tcp when the row leaves it out.
func rowTransport(t string) string {
	if t == "" {
		return string(wire.TransportTCP)
	}
	return t
}
