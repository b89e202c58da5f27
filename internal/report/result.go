// Package report holds the journal against the port table: for every allow row of the roles under
// test, was it seen working, from which addresses, with which client certificate, how often and
// by which member; and which traffic arrived that the table does not allow. One file per output
// format (table, json, junit, markdown) renders the same Result.
package report

import (
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// States of an expected row, in the words every output and the live page use.
const (
	StateSeenOK  = "seen ok"
	StateNotSeen = "not seen yet"
	StateFailed  = "seen but handshake failed"
	// StateFailingNow is a row that was seen ok and whose events since the last ok all failed:
	// history says ok, the state now is failing.
	StateFailingNow = "failing now"
)

// Kinds of traffic the table does not allow.
const (
	// KindUnexpectedSource is traffic to a table port from an address outside the row's source
	// role (for example an internal client reaching 8080, which only the reverse proxy may use).
	KindUnexpectedSource = "unexpected source"
	// KindUnexpectedPort is traffic to a role and port the table has no allow row for.
	KindUnexpectedPort = "unexpected port"
	// KindDeniedOpen is a hit on a guard listener: traffic reached a port the table denies
	// toward the role, so a denied path is open.
	KindDeniedOpen = "unexpected: a denied path is open"
)

// Result is the observed-vs-expected matrix.
type Result struct {
	Scenario string `json:"scenario"`
	Topology string `json:"topology"`
	// Roles are the destination roles held to the table.
	Roles []string `json:"roles"`
	// Events is how many journal events were judged.
	Events int `json:"events"`
	// Since is the --since cut-off; Older counts the events before it, not judged.
	Since *time.Time `json:"since,omitempty"`
	Older int        `json:"older,omitempty"`
	// Missing are the roles held to the table that no journal event came from: their rows
	// cannot be judged, and the matrix is not OK.
	Missing []Missing `json:"missing,omitempty"`
	// Inputs are the files read (journals, probe results, scenario, topology) with their
	// SHA-256 and, for a journal, its unreadable lines.
	Inputs []Input `json:"inputs,omitempty"`
	// Run says who made the report, where and with which build.
	Run *Run `json:"run,omitempty"`
	// Generated is when the matrix was computed.
	Generated time.Time `json:"generated"`
	// Rows are the table's allow rows to Roles, in table order.
	Rows []Row `json:"rows"`
	// Unexpected is the traffic the table does not allow, one entry per kind, destination and source.
	Unexpected []Unexpected `json:"unexpected"`
	// ProbeOnly are prober results for rows that are not in Rows (deny rows, other roles).
	ProbeOnly []ProbeResult `json:"probe_only,omitempty"`
	// OK is true when every role held to the table has events, every row was seen ok and is
	// not failing now, nothing unexpected arrived and no prober result failed.
	OK      bool    `json:"ok"`
	Summary Summary `json:"summary"`
	// Monitors are the HLB health monitors seen from the destination (monitors.go).
	Monitors *Monitors `json:"monitors,omitempty"`
}

// Summary counts rows by state.
type Summary struct {
	SeenOK     int `json:"seen_ok"`
	NotSeen    int `json:"not_seen_yet"`
	Failed     int `json:"seen_but_failed"`
	Unexpected int `json:"unexpected"`
	FailingNow int `json:"failing_now"`
	Missing    int `json:"missing_roles"`
	// ConnectOnly counts TCP connects without a ClientHello (health monitors, scanners): they
	// prove no row and fail none.
	ConnectOnly int `json:"connect_only"`
	// BadLines counts journal lines that could not be read (named in Inputs).
	BadLines int `json:"bad_lines"`
	// Probe counts the prober's verdicts when --probe was given.
	ProbePass     int `json:"probe_pass,omitempty"`
	ProbeFail     int `json:"probe_fail,omitempty"`
	ProbeUnproven int `json:"probe_unproven,omitempty"`
	ProbeSkip     int `json:"probe_skip,omitempty"`
	// Board is the summary of every row, both sides together (see Row.Board).
	Board Board `json:"board"`
}

// Board counts the rows of the matrix and the probe-only rows by their combined verdict: what
// a change board reads first.
type Board struct {
	Proven   int `json:"proven"`
	Failing  int `json:"failing"`
	Unproven int `json:"unproven"`
	NotSeen  int `json:"not_seen"`
}

// Combined verdicts of a row (both sides), in Board's order.
const (
	BoardProven   = "proven"
	BoardFailing  = "failing"
	BoardUnproven = string(wire.VerdictUnproven)
	BoardNotSeen  = "not seen"
)

// Missing is a role held to the table with no journal event.
type Missing struct {
	Role    string   `json:"role"`
	Members []string `json:"members,omitempty"`
}

// Line is the sentence every output shows for it.
func (m Missing) Line() string {
	who := "no member named in the topology"
	if len(m.Members) > 0 {
		who = strings.Join(m.Members, ", ")
	}
	return "no journal from " + m.Role + " (" + who + "): its rows cannot be judged"
}

// Input is one file the report read.
type Input struct {
	// Kind is journal, probe, scenario or topology.
	Kind   string `json:"kind"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	// Events is the journal events read (journal), or the results (probe).
	Events int `json:"events,omitempty"`
	// BadLines are the journal's unreadable lines as file:line (a line cut by a crash, corruption).
	BadLines []string `json:"bad_lines,omitempty"`
	// Host is the source host of a probe file (its results' source address), when it says.
	Host string `json:"host,omitempty"`
}

// Run is who made the report, where and with which build.
type Run struct {
	User    string `json:"user"`
	Host    string `json:"host"`
	Version string `json:"version"`
	Command string `json:"command,omitempty"`
}

// Row is one allow row of the table and what the journal says about it.
type Row struct {
	ID        string `json:"id"`
	From      string `json:"from"`
	To        string `json:"to"`
	Port      int    `json:"port"`
	Transport string `json:"transport"`
	Protocol  string `json:"protocol"`
	Origin    string `json:"origin,omitempty"`
	Note      string `json:"note,omitempty"`
	State     string `json:"state"`
	// SourcesDeclared is false when the topology names no address for From: then every source
	// counts for the row and none can be unexpected.
	SourcesDeclared bool `json:"sources_declared"`
	// Sources are the addresses seen, at most MaxDistinct; SourcesMore counts the events from
	// addresses beyond those.
	Sources     []string `json:"sources,omitempty"`
	SourcesMore int      `json:"sources_more,omitempty"`
	// ClientCerts are the subjects of client certificates seen; ClientCertInfo their issuer,
	// serial and SHA-256 (at most MaxDistinct).
	ClientCerts    []string        `json:"client_certs,omitempty"`
	ClientCertInfo []wire.CertInfo `json:"client_cert_info,omitempty"`
	// Members are the pool members that answered.
	Members []string `json:"members,omitempty"`
	// Count is the journal events of the row (handshakes and requests); Failures those that failed.
	Count      int        `json:"count"`
	Failures   int        `json:"failures"`
	LastReason string     `json:"last_reason,omitempty"`
	FirstSeen  *time.Time `json:"first_seen,omitempty"`
	LastSeen   *time.Time `json:"last_seen,omitempty"`
	// FailingSince, FailingNow and FailingReason describe a row failing now: the first failure
	// after the last ok event, how many since, and the last reason.
	FailingSince  *time.Time `json:"failing_since,omitempty"`
	FailingNow    int        `json:"failing_now,omitempty"`
	FailingReason string     `json:"failing_reason,omitempty"`
	// ConnectOnly counts TCP connects to the row's port without a ClientHello: a health
	// monitor or a scanner. They leave the state alone.
	ConnectOnly int `json:"connect_only,omitempty"`
	// Probe is what the prober said about the same row, when --probe was given (the worst of
	// several files); Probes holds every result when more than one file had the row.
	Probe  *ProbeResult  `json:"probe,omitempty"`
	Probes []ProbeResult `json:"probes,omitempty"`
	// Board is the row's combined verdict (proven, failing, unproven, not seen).
	Board string `json:"board"`
	// FirewallRule is, on a failing row, the rule of the exported rule set that should have
	// matched (see AttachRules).
	FirewallRule string `json:"firewall_rule,omitempty"`
}

// OK reports whether the row was seen working and is not failing now.
func (r Row) OK() bool { return r.State == StateSeenOK }

// Unexpected is traffic the table does not allow, grouped by kind, destination and source address.
type Unexpected struct {
	Kind string `json:"kind"`
	To   string `json:"to"`
	Port int    `json:"port"`
	// Transport is tcp or udp.
	Transport string `json:"transport"`
	Protocol  string `json:"protocol"`
	Listener  string `json:"listener"`
	Source    string `json:"source"`
	// SourceRoles are the roles the topology puts Source in (none: an address it does not name).
	SourceRoles []string `json:"source_roles,omitempty"`
	// Rows are the allow rows to this port whose source role does not hold Source.
	Rows []string `json:"rows,omitempty"`
	// AllowedFrom are the source roles of Rows.
	AllowedFrom []string `json:"allowed_from,omitempty"`
	// Denied is the table's deny row that names exactly this traffic, if there is one.
	Denied      string    `json:"denied,omitempty"`
	ClientCerts []string  `json:"client_certs,omitempty"`
	Members     []string  `json:"members,omitempty"`
	Count       int       `json:"count"`
	Failures    int       `json:"failures"`
	LastReason  string    `json:"last_reason,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
}

// Name is a one-line identity of the entry: "unexpected source 127.0.2.10 -> director tcp/8080 http".
func (u Unexpected) Name() string {
	return u.Kind + " " + u.Source + " -> " + u.To + " " + u.Transport + "/" + itoa(u.Port) + " " + u.Protocol
}

// tally counts rows, verdicts and the combined board, and sets OK.
func (res *Result) tally() {
	s := &res.Summary
	connect, bad := s.ConnectOnly, s.BadLines
	*s = Summary{ConnectOnly: connect, BadLines: bad}
	for i := range res.Rows {
		r := &res.Rows[i]
		switch r.State {
		case StateSeenOK:
			s.SeenOK++
		case StateFailed:
			s.Failed++
		case StateFailingNow:
			s.FailingNow++
		default:
			s.NotSeen++
		}
		r.Board = boardOf(r.State, r.Probe)
		s.countProbe(r.Probe)
		s.Board.add(r.Board)
	}
	for i := range res.ProbeOnly {
		p := &res.ProbeOnly[i]
		s.countProbe(p)
		s.Board.add(boardOf("", p))
	}
	s.Unexpected = len(res.Unexpected)
	s.Missing = len(res.Missing)
	res.OK = s.NotSeen == 0 && s.Failed == 0 && s.FailingNow == 0 && s.Unexpected == 0 && s.Missing == 0 && s.ProbeFail == 0 && len(res.Rows) > 0
}

func (s *Summary) countProbe(p *ProbeResult) {
	if p == nil {
		return
	}
	switch wire.Verdict(p.Verdict) {
	case wire.VerdictPass:
		s.ProbePass++
	case wire.VerdictFail:
		s.ProbeFail++
	case wire.VerdictUnproven:
		s.ProbeUnproven++
	default:
		s.ProbeSkip++
	}
}

func (b *Board) add(v string) {
	switch v {
	case BoardProven:
		b.Proven++
	case BoardFailing:
		b.Failing++
	case BoardUnproven:
		b.Unproven++
	default:
		b.NotSeen++
	}
}

// boardOf combines the journal's state of a row (empty: the journal does not hold the row, as
// for a deny row) with the prober's verdict. Failing on either side is failing; a row the
// journal holds is proven only when the journal saw it ok (and the prober, if it ran, passed).
func boardOf(state string, p *ProbeResult) string {
	verdict := wire.Verdict("")
	if p != nil {
		verdict = wire.Verdict(p.Verdict)
	}
	switch {
	case state == StateFailed || state == StateFailingNow || verdict == wire.VerdictFail:
		return BoardFailing
	case verdict == wire.VerdictUnproven:
		return BoardUnproven
	case state == StateSeenOK:
		return BoardProven
	case state == "" && verdict == wire.VerdictPass:
		return BoardProven
	}
	return BoardNotSeen
}
