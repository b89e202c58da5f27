package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// The HLB checks hold a pool's VIP to what the Lync HLB guidance asks of the load balancer in
// front of it. Each opens new connections (a new source port each) from the job's source and
// reads which member answered from the mock's identity: distribution (every member answers, and
// only members of the topology's pool), affinity-source (one source stays on one member) and
// affinity-cookie (a request carrying a member's MS-WSMAN cookie stays on that member). Every
// answer is also held against the NAT mode: a member that saw the connection addressed to the VIP
// itself got it by direct server return (DSR), which Lync does not support.

// CookieName is the cookie of Lync's web services cookie affinity (internal/listeners/affinity.go sets it).
const CookieName = "MS-WSMAN"

// HLBSeen is what an HLB check saw over its connections to a pool's VIP.
type HLBSeen struct {
	// Connections is how many connections were answered.
	Connections int `json:"connections"`
	// Members counts the answers of each member of the topology's pool (short names, zeros
	// included); Strangers those of members the pool does not have; Unnamed answers that named
	// no member at all (not mockdirector serve).
	Members   map[string]int `json:"members"`
	Strangers map[string]int `json:"strangers,omitempty"`
	Unnamed   int            `json:"unnamed,omitempty"`
	// Cookies is the MS-WSMAN value each member set (affinity-cookie); Followed counts, per
	// member whose cookie was sent, which members answered the requests carrying it.
	Cookies  map[string]string         `json:"cookies,omitempty"`
	Followed map[string]map[string]int `json:"followed,omitempty"`
	// CookieFaults are attributes of the cookie that Lync's has not (HttpOnly, an expiry).
	CookieFaults []string `json:"cookie_faults,omitempty"`
	// DSR names the members that saw a connection addressed to the VIP itself.
	DSR []string `json:"dsr,omitempty"`
	// SourcesSeen are the source addresses the members saw.
	SourcesSeen []string `json:"sources_seen,omitempty"`
	// Source is the address the prober sent from.
	Source string `json:"source,omitempty"`

	order []string // pool members in topology order
}

func newHLBSeen(j *Job) *HLBSeen {
	s := &HLBSeen{Members: map[string]int{}}
	if j.Pool != nil {
		for _, m := range j.Pool.Members {
			n := shortName(m.Name)
			s.Members[n] = 0
			s.order = append(s.order, n)
		}
	}
	if j.Source.IsValid() {
		s.Source = j.Source.String()
	}
	return s
}

// add counts one answer and returns the short name of the member that gave it ("" when none).
func (s *HLBSeen) add(j *Job, o Observation) string {
	s.Connections++
	if s.Source == "" {
		s.Source = wire.HostOnly(o.Source)
	}
	id := o.Identity
	if id == nil || id.Member == "" {
		s.Unnamed++
		return ""
	}
	if ip := id.SourceIP(); ip != "" && !slices.Contains(s.SourcesSeen, ip) {
		s.SourcesSeen = append(s.SourcesSeen, ip)
	}
	name := shortName(id.Member)
	if _, ok := s.Members[name]; ok {
		s.Members[name]++
	} else {
		if s.Strangers == nil {
			s.Strangers = map[string]int{}
		}
		s.Strangers[name]++
	}
	if j.VIP != "" && wire.HostOnly(id.Local) == j.VIP && !slices.Contains(s.DSR, name) {
		s.DSR = append(s.DSR, name)
	}
	return name
}

// shortName is a member's first label: dir01 for dir01.contoso.local.
func shortName(name string) string { return strings.SplitN(name, ".", 2)[0] }

// Rounds of the HLB checks: enough new connections that a round-robin or least-connections HLB
// reaches every member, and that a missing persistence shows.
func distributionRounds(j *Job) int { return max(8, 4*poolSize(j)) }
func affinityRounds(j *Job) int     { return max(6, 3*poolSize(j)) }

// cookieFollow is how many requests carry each member's cookie.
const cookieFollow = 4

func poolSize(j *Job) int {
	if j.Pool == nil {
		return 0
	}
	return len(j.Pool.Members)
}

// hlbBudget bounds an HLB check: each connection gets the timeout.
func hlbBudget(j *Job) time.Duration {
	n := distributionRounds(j)
	if j.Check == wire.CheckAffinityCookie {
		n += cookieFollow * max(1, poolSize(j))
	}
	return time.Duration(n+1) * j.Timeout
}

// checkDistribution opens new connections to the VIP and counts which member answered each.
func checkDistribution(ctx context.Context, j *Job) Observation {
	return hlbRounds(ctx, j, distributionRounds(j))
}

// checkAffinitySource sends requests from one source address, each on a new connection.
func checkAffinitySource(ctx context.Context, j *Job) Observation {
	return hlbRounds(ctx, j, affinityRounds(j))
}

func hlbRounds(ctx context.Context, j *Job, n int) Observation {
	seen := newHLBSeen(j)
	var first Observation
	for i := range n {
		a := hlbRound(ctx, j, "")
		if !a.o.OK {
			return roundFailed(a.o, i, n)
		}
		if i == 0 {
			first = a.o
		}
		seen.add(j, a.o)
	}
	first.HLB = seen
	return first
}

// checkAffinityCookie learns each member's MS-WSMAN cookie from answers to requests without
// one, then sends cookieFollow requests carrying each cookie, each on a new connection: the
// member that set it must answer them all.
func checkAffinityCookie(ctx context.Context, j *Job) Observation {
	seen := newHLBSeen(j)
	seen.Cookies, seen.Followed = map[string]string{}, map[string]map[string]int{}
	var first Observation
	n := distributionRounds(j)
	for i := range n {
		a := hlbRound(ctx, j, "")
		if !a.o.OK {
			return roundFailed(a.o, i, n)
		}
		if i == 0 {
			first = a.o
		}
		who := seen.add(j, a.o)
		if a.cookie == nil || who == "" {
			continue
		}
		if _, ok := seen.Cookies[who]; !ok {
			seen.Cookies[who] = a.cookie.Value
			seen.CookieFaults = append(seen.CookieFaults, cookieFaults(who, a.cookie)...)
		}
		if len(seen.Cookies) == len(seen.Members) {
			break
		}
	}
	for _, who := range sortedKeys(seen.Cookies) {
		got := map[string]int{}
		for i := range cookieFollow {
			a := hlbRound(ctx, j, seen.Cookies[who])
			if !a.o.OK {
				return roundFailed(a.o, seen.Connections+i, seen.Connections+cookieFollow)
			}
			name := seen.add(j, a.o)
			if name == "" {
				name = "(unnamed)"
			}
			got[name]++
		}
		seen.Followed[who] = got
	}
	first.HLB = seen
	return first
}

// cookieFaults names what differs from Lync's MS-WSMAN cookie: not HttpOnly, no expiry.
func cookieFaults(who string, c *http.Cookie) []string {
	var out []string
	if c.HttpOnly {
		out = append(out, fmt.Sprintf("%s's %s cookie is HttpOnly (Lync's is not: the clients read it)", who, CookieName))
	}
	if !c.Expires.IsZero() || c.MaxAge != 0 {
		out = append(out, fmt.Sprintf("%s's %s cookie has an expiry (Lync's has none: a session cookie)", who, CookieName))
	}
	return out
}

// roundFailed is a connection of an HLB check that did not get an answer: the first is judged as
// any check of the row would be; a later one says which it was.
func roundFailed(o Observation, i, n int) Observation {
	if i > 0 {
		o.Detail = fmt.Sprintf("connection %d of %d: %s (the earlier ones were answered: does the HLB send some connections to a member that is down?)", i+1, n, o.Detail)
	}
	return o
}

// hlbAnswer is one connection's answer, and the MS-WSMAN cookie it set.
type hlbAnswer struct {
	o      Observation
	cookie *http.Cookie
}

// hlbRound opens one new connection and runs the row protocol's exchange: a GET of the mock's
// well-known document over HTTP(S) (the identity with the local address the connection arrived
// on), SIP OPTIONS, the CLS banner.
func hlbRound(ctx context.Context, j *Job, cookie string) hlbAnswer {
	rctx, cancel := context.WithTimeout(ctx, j.Timeout)
	defer cancel()
	switch j.Row.Protocol {
	case scenarios.ProtoHTTP, scenarios.ProtoHTTPS:
		return hlbHTTP(rctx, j, cookie)
	}
	switch j.Row.Protocol {
	case scenarios.ProtoSIPMTLS:
		return hlbAnswer{o: checkSIPOptions(rctx, j)}
	case scenarios.ProtoCLSMTLS:
		return hlbAnswer{o: checkCLS(rctx, j)}
	}
	return hlbAnswer{o: Observation{Observed: wire.StateError, Code: wire.CodeUnsupported,
		Detail: fmt.Sprintf("check %s needs an answer that names its member; protocol %s has none", j.Check, j.Row.Protocol)}}
}

func hlbHTTP(ctx context.Context, j *Job, cookie string) hlbAnswer {
	var (
		c      net.Conn
		o      Observation
		scheme = "http"
	)
	if j.Row.Protocol == scenarios.ProtoHTTPS {
		scheme = "https"
		tc, ho := handshake(ctx, j, true)
		if tc == nil {
			return hlbAnswer{o: ho}
		}
		if ho.Unverified {
			tc.Close()
			ho.OK = false
			return hlbAnswer{o: ho}
		}
		c, o = tc, ho
	} else {
		if c, o = dial(ctx, j); c == nil {
			return hlbAnswer{o: o}
		}
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+j.ServerName+wire.WellKnownPath, nil)
	if err != nil {
		o.OK, o.Observed, o.Code, o.Detail = false, wire.StateError, wire.CodeError, "request: "+err.Error()
		return hlbAnswer{o: o}
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Close = true
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: cookie})
	}
	if err := req.Write(c); err != nil {
		o.OK, o.Observed, o.Code, o.Detail = false, wire.StateError, wire.CodeError, "sending the request: "+err.Error()
		return hlbAnswer{o: o}
	}
	res, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		o.OK, o.Observed, o.Code = false, wire.StateOpen, wire.CodeProtocol
		if isTimeout(err) {
			o.Code = wire.CodeTimeout
		}
		o.Detail = "connected, but no HTTP answer: " + err.Error()
		return hlbAnswer{o: o}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 256<<10))
	o.Observed = wire.AnswerState("http", res.StatusCode)
	o.Server = res.Header.Get("Server")
	o.Identity = httpIdentity(res.Header, body)
	o.OK = res.StatusCode >= 200 && res.StatusCode < 500
	o.Detail = fmt.Sprintf("GET %s answered %s", wire.WellKnownPath, res.Status)
	if !o.OK {
		o.Code = wire.CodeHTTPStatus
	}
	a := hlbAnswer{o: o}
	for _, ck := range res.Cookies() {
		if ck.Name == CookieName {
			a.cookie = ck
		}
	}
	return a
}

// judgeHLB holds what an HLB check saw against the pool.
func judgeHLB(j *Job, o Observation) verdictOf {
	s := o.HLB
	expects := fmt.Sprintf("%s expects %s -> %s %s", originText(j.Row.Origin), j.From, j.Row.To, hlbExpectText(j.Check))
	if why := interception(o); why != "" {
		return verdictOf{wire.VerdictFail, wire.CodeInterception, fmt.Sprintf("%s; %s", why, expects)}
	}
	if s.Unnamed == s.Connections {
		return verdictOf{wire.VerdictUnproven, wire.CodeNotMock, fmt.Sprintf("%d connections answered, but no answer names the member that gave it (not mockdirector serve): run mockdirector serve on the members to see the HLB's choices; %s", s.Connections, expects)}
	}
	var problems []finding
	if len(s.DSR) > 0 {
		problems = append(problems, finding{wire.CodeDSR, fmt.Sprintf("direct server return (DSR): %s got connections addressed to the VIP %s itself (the VIP on the member's loopback); Lync does not support DSR: put the HLB in NAT mode", strings.Join(s.DSR, ", "), j.VIP)})
	}
	if j.SeenAs != "" {
		for _, ip := range s.SourcesSeen {
			if ip != j.SeenAs {
				problems = append(problems, finding{wire.CodeSourceMismatch, fmt.Sprintf("the members saw source %s, not %s (%s)", ip, j.SeenAs, snatText(j, ip))})
			}
		}
		if len(s.SourcesSeen) == 0 && !j.SeenAsAuto {
			problems = append(problems, finding{wire.CodeSourceUnknown, fmt.Sprintf("the answers do not say which source they saw, so source_seen_as %s cannot be checked", j.SeenAs)})
		}
	}
	for _, name := range sortedKeys(s.Strangers) {
		problems = append(problems, finding{wire.CodeDistribution, fmt.Sprintf("%s answered %d of %d, which is not a member of the %s pool in the topology (a stale server in the HLB's pool?)", name, s.Strangers[name], s.Connections, j.Row.To)})
	}
	if s.Unnamed > 0 {
		problems = append(problems, finding{wire.CodeDistribution, fmt.Sprintf("%d of %d answers named no member (not mockdirector serve): something else is in the HLB's pool", s.Unnamed, s.Connections)})
	}
	share := s.shareText()
	var ok, unproven string // unproven: what passed, and why it proves nothing
	switch j.Check {
	case wire.CheckDistribution:
		for _, m := range s.order {
			if s.Members[m] == 0 {
				problems = append(problems, finding{wire.CodeDistribution, fmt.Sprintf("member %s never answers (%d new connections: %s): is it missing from the HLB's pool, or marked down by its monitor?", m, s.Connections, share)})
			}
		}
		ok = fmt.Sprintf("%d new connections spread over the pool: %s", s.Connections, share)
	case wire.CheckAffinitySource:
		if on := s.answering(); len(on) > 1 {
			problems = append(problems, finding{wire.CodeAffinity, fmt.Sprintf("no persistence: %d requests from %s (new source ports) landed on %s: the HLB keeps no source-address affinity (Microsoft's guidance for internal 80/443)", s.Connections, s.Source, share)})
		}
		if len(s.order) < 2 {
			return verdictOf{wire.VerdictUnproven, wire.CodeAffinity, fmt.Sprintf("the %s pool has %d member in the topology: one member cannot show persistence; %s", j.Row.To, len(s.order), expects)}
		}
		ok = fmt.Sprintf("%d requests from %s (new source ports) all answered by %s: source persistence holds", s.Connections, s.Source, strings.Join(s.answering(), ""))
		if up := s.poolAnswering(); len(up) < 2 {
			// One member answering every request is what source persistence looks like, and
			// just as much an HLB with no persistence whose pool has that one member up.
			unproven = fmt.Sprintf("%d requests from %s (new source ports) all answered by %s, but %s: %s", s.Connections, s.Source, strings.Join(up, ""), s.othersText(), onePoolText(up))
		}
	case wire.CheckAffinityCookie:
		if len(s.Cookies) == 0 {
			problems = append(problems, finding{wire.CodeAffinity, fmt.Sprintf("no answer set the %s cookie (%d requests without one; the mock sets it on each): does the HLB or a proxy strip Set-Cookie?", CookieName, s.Connections)})
		}
		for _, f := range s.CookieFaults {
			problems = append(problems, finding{wire.CodeAffinity, f})
		}
		var stayed []string
		for _, who := range sortedKeys(s.Followed) {
			got := s.Followed[who]
			if len(got) == 1 && got[who] > 0 {
				stayed = append(stayed, fmt.Sprintf("%s (%d)", who, got[who]))
				continue
			}
			problems = append(problems, finding{wire.CodeAffinity, fmt.Sprintf("no cookie persistence: requests carrying %s's %s cookie landed on %s: the HLB keeps no cookie affinity on %s", who, CookieName, countsText(got), CookieName)})
		}
		ok = fmt.Sprintf("requests carrying the %s cookie of %s each stayed on that member", CookieName, strings.Join(stayed, ", "))
		if len(s.Cookies) == 1 {
			// One member's cookie staying on it is also source persistence, or an HLB with no
			// persistence at all whose pool has that one member up.
			why := "one member's cookie staying on it cannot be told from source persistence: every member must set its cookie for the check to prove cookie persistence"
			if up := s.poolAnswering(); len(up) < 2 {
				why = onePoolText(up)
			}
			unproven = fmt.Sprintf("%s, but only %s's %s cookie was learnt: %s: %s", ok, strings.Join(sortedKeys(s.Cookies), ""), CookieName, s.othersText(), why)
		}
	}
	if len(problems) > 0 {
		return verdictOf{wire.VerdictFail, problems[0].code, fmt.Sprintf("%s; %s", joinFindings(problems), expects)}
	}
	if unproven != "" {
		return verdictOf{wire.VerdictUnproven, wire.CodeUnproven, fmt.Sprintf("%s%s; %s", unproven, seenSources(s), expects)}
	}
	return verdictOf{wire.VerdictPass, wire.CodeOK, ok + seenSources(s)}
}

// poolAnswering lists the members of the topology's pool that answered at least once.
func (s *HLBSeen) poolAnswering() []string {
	var out []string
	for _, m := range s.order {
		if s.Members[m] > 0 {
			out = append(out, m)
		}
	}
	return out
}

// othersText says what the pool's other members did in the check: "dir02 never answered (over
// 6 connections)", "dir02 answered 3 without setting the MS-WSMAN cookie", or, for a pool of one
// member, that there is no other.
func (s *HLBSeen) othersText() string {
	var never, bare []string
	for _, m := range s.order {
		_, cookie := s.Cookies[m]
		switch {
		case s.Members[m] == 0:
			never = append(never, m)
		case s.Cookies != nil && !cookie:
			bare = append(bare, fmt.Sprintf("%s answered %d without setting the %s cookie", m, s.Members[m], CookieName))
		}
	}
	var parts []string
	if len(never) > 0 {
		parts = append(parts, fmt.Sprintf("%s never answered (over %d connections)", strings.Join(never, ", "), s.Connections))
	}
	parts = append(parts, bare...)
	if len(parts) == 0 {
		return fmt.Sprintf("the pool has %d member in the topology", len(s.order))
	}
	return strings.Join(parts, "; ")
}

// onePoolText is why an affinity seen on the members up alone proves nothing, and what would.
func onePoolText(up []string) string {
	return fmt.Sprintf("persistence cannot be told from a one-member pool (only %s up): an HLB with no persistence whose other members are down, marked down by its monitor or missing from its pool "+
		"looks the same from one source; a distribution check to this VIP (from sources the HLB spreads over the members) shows whether every member answers", strings.Join(up, ", "))
}

// answering lists the members (and strangers) that answered at least once.
func (s *HLBSeen) answering() []string {
	var out []string
	for _, m := range s.order {
		if s.Members[m] > 0 {
			out = append(out, m)
		}
	}
	return append(out, sortedKeys(s.Strangers)...)
}

// shareText is "dir01 4/8 (50%), dir02 4/8 (50%)", the pool's members in topology order.
func (s *HLBSeen) shareText() string {
	var parts []string
	for _, m := range s.order {
		parts = append(parts, fmt.Sprintf("%s %d/%d (%d%%)", m, s.Members[m], s.Connections, pct(s.Members[m], s.Connections)))
	}
	for _, m := range sortedKeys(s.Strangers) {
		parts = append(parts, fmt.Sprintf("%s (not in the pool) %d/%d", m, s.Strangers[m], s.Connections))
	}
	return strings.Join(parts, ", ")
}

func seenSources(s *HLBSeen) string {
	if len(s.SourcesSeen) == 0 {
		return ""
	}
	return "; source seen " + strings.Join(s.SourcesSeen, ", ")
}

func pct(n, of int) int {
	if of == 0 {
		return 0
	}
	return (100*n + of/2) / of
}

func countsText(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s (%d)", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// snatText says why a destination saw another source: an HLB in SNAT mode when the address is
// the VIP (the HLB's own), else some SNAT or proxy on the path.
func snatText(j *Job, seen string) string {
	if j.VIP != "" && seen == j.VIP {
		return fmt.Sprintf("HLB in SNAT mode: the members see the HLB's address %s, not the client's", seen)
	}
	return "SNAT or a proxy in the path"
}

func hlbExpectText(c wire.Check) string {
	switch c {
	case wire.CheckDistribution:
		return "load balanced over every member of the pool"
	case wire.CheckAffinitySource:
		return "kept on one member per source address"
	case wire.CheckAffinityCookie:
		return "kept on the member named by the " + CookieName + " cookie"
	}
	return string(c)
}

// HLBRows turns the allowed rows whose destination pool has a VIP into the HLB checks that fit
// each (probe --hlb): internal 80/443 get affinity-source when the pool's persistence is source
// (or not stated: Microsoft's guidance), HTTP(S) rows get affinity-cookie when it is cookie, and
// every other row, and every HTTP(S) row of a cookie pool, gets distribution.
func HLBRows(rows []scenarios.Row, t *topology.Topology) []scenarios.Row {
	var out []scenarios.Row
	for _, r := range rows {
		p, ok := t.Pools[r.To]
		if !ok || p == nil || p.VIP == "" || !r.Allowed() || r.Transport != scenarios.TransportTCP || r.Protocol == scenarios.ProtoTCP ||
			r.Check != "" && r.Check != scenarios.DefaultCheck(r.Protocol) {
			continue
		}
		web := r.Protocol == scenarios.ProtoHTTP || r.Protocol == scenarios.ProtoHTTPS
		var checks []string
		switch {
		case p.Persistence == topology.PersistenceCookie && web:
			checks = []string{scenarios.CheckDistribution, scenarios.CheckAffinityCookie}
		case p.Persistence != topology.PersistenceNone && p.Persistence != topology.PersistenceCookie && (r.Port == 80 || r.Port == 443):
			checks = []string{scenarios.CheckAffinitySource}
		default:
			checks = []string{scenarios.CheckDistribution}
		}
		for _, c := range checks {
			h := r
			h.Check = c
			out = append(out, h)
		}
	}
	return out
}
