// Package report holds the journal against the port table: for every allow row of the roles under
// test, was it seen working, from which addresses, with which client certificate, how often and
// by which member; and which traffic arrived that the table does not allow. One file per output
// format (table, json, junit, markdown) renders the same Result.
package report

import "time"

// States of an expected row, in the words every output and the live page use.
const (
	StateSeenOK  = "seen ok"
	StateNotSeen = "not seen yet"
	StateFailed  = "seen but handshake failed"
)

// Kinds of traffic the table does not allow.
const (
	// KindUnexpectedSource is traffic to a table port from an address outside the row's source
	// role (for example an internal client reaching 8080, which only the reverse proxy may use).
	KindUnexpectedSource = "unexpected source"
	// KindUnexpectedPort is traffic to a role and port the table has no allow row for.
	KindUnexpectedPort = "unexpected port"
)

// Result is the observed-vs-expected matrix.
type Result struct {
	Scenario string `json:"scenario"`
	Topology string `json:"topology"`
	// Roles are the destination roles held to the table.
	Roles []string `json:"roles"`
	// Events is how many journal events were read.
	Events int `json:"events"`
	// Generated is when the matrix was computed.
	Generated time.Time `json:"generated"`
	// Rows are the table's allow rows to Roles, in table order.
	Rows []Row `json:"rows"`
	// Unexpected is the traffic the table does not allow, one entry per kind, destination and source.
	Unexpected []Unexpected `json:"unexpected"`
	// ProbeOnly are prober results for rows that are not in Rows (deny rows, other roles).
	ProbeOnly []ProbeResult `json:"probe_only,omitempty"`
	// OK is true when every row was seen ok and nothing unexpected arrived.
	OK      bool    `json:"ok"`
	Summary Summary `json:"summary"`
}

// Summary counts rows by state.
type Summary struct {
	SeenOK     int `json:"seen_ok"`
	NotSeen    int `json:"not_seen_yet"`
	Failed     int `json:"seen_but_failed"`
	Unexpected int `json:"unexpected"`
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
	// ClientCerts are the subjects of client certificates seen.
	ClientCerts []string `json:"client_certs,omitempty"`
	// Members are the pool members that answered.
	Members []string `json:"members,omitempty"`
	// Count is the journal events of the row (handshakes and requests); Failures those that failed.
	Count      int        `json:"count"`
	Failures   int        `json:"failures"`
	LastReason string     `json:"last_reason,omitempty"`
	FirstSeen  *time.Time `json:"first_seen,omitempty"`
	LastSeen   *time.Time `json:"last_seen,omitempty"`
	// Probe is what the prober said about the same row, when --probe was given.
	Probe *ProbeResult `json:"probe,omitempty"`
}

// OK reports whether the row was seen working.
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
