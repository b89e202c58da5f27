package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

// Limits of POST /api/probe.
const (
	// MaxProbeBody is the largest probe document accepted: a whole run of the built-in table
	// with every chain and lint finding is well under 1 MiB.
	MaxProbeBody = 8 << 20
	// MaxProbeHosts is how many source hosts the admin holds results from; a post from one
	// more is refused (507) rather than forgetting another host's evidence.
	MaxProbeHosts = 64
	// MaxProbeResult is the largest one result may be as the admin holds it (a real one is
	// 1-3 KiB): with the table's rows and MaxProbeHosts, what the admin holds stays bounded.
	MaxProbeResult = 16 << 10
)

// Posted is one probe result as the admin holds it: the latest result of a row from one source
// host, with who posted it and when.
type Posted struct {
	Result report.ProbeResult `json:"result"`
	// Host is the source host: the address the result was sent from, else the poster's address.
	Host string `json:"host"`
	// Role is the role the prober acted as (the result's "from").
	Role string `json:"role"`
	// PostedFrom is the address the POST came from; Prober the machine name it gave, if any.
	PostedFrom string    `json:"posted_from"`
	Prober     string    `json:"prober,omitempty"`
	Received   time.Time `json:"received"`
}

// PostedView is what /api/matrix says about the posted results beside the matrix: per row id,
// the latest result of every source host (the matrix's rows carry the same results, joined by
// the report's AttachProbe, and the combined board).
type PostedView struct {
	Results int                 `json:"results"`
	Hosts   []string            `json:"hosts,omitempty"`
	Rows    map[string][]Posted `json:"rows,omitempty"`
}

// posted holds the results posted to /api/probe: the latest per row per source host, bounded
// by the table's rows times MaxProbeHosts.
type posted struct {
	mu    sync.Mutex
	known map[string]bool // row ids a post may name
	hosts map[string]map[string]Posted
	order []string // hosts in order of first post
}

func newPosted(scn *scenarios.Scenario) *posted {
	p := &posted{known: map[string]bool{}, hosts: map[string]map[string]Posted{}}
	for _, r := range scn.Rows {
		p.known[r.ID()] = true
		if !r.Allowed() {
			continue
		}
		// probe --hlb runs an allowed row with an HLB check: its id names the check.
		for _, c := range scenarios.HLBChecks {
			hr := r
			hr.Check = c
			p.known[hr.ID()] = true
		}
	}
	return p
}

// add stores the results; it refuses (without storing any) a post that would hold more hosts
// than MaxProbeHosts.
func (p *posted) add(items []Posted) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var fresh []string
	for _, it := range items {
		if _, ok := p.hosts[it.Host]; !ok && !slices.Contains(fresh, it.Host) {
			fresh = append(fresh, it.Host)
		}
	}
	if len(p.hosts)+len(fresh) > MaxProbeHosts {
		return fmt.Errorf("admin: already holding probe results from %d source hosts (at most %d): restart serve to start over", len(p.hosts), MaxProbeHosts)
	}
	for _, it := range items {
		rows, ok := p.hosts[it.Host]
		if !ok {
			rows = map[string]Posted{}
			p.hosts[it.Host] = rows
			p.order = append(p.order, it.Host)
		}
		rows[it.Result.ID] = it
	}
	return nil
}

// batches are the held results, one slice per source host in order of first post, each sorted
// by row id: what the matrix attaches, one probe file per host as report --probe does.
func (p *posted) batches() [][]report.ProbeResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out [][]report.ProbeResult
	for _, h := range p.order {
		rows := p.hosts[h]
		ids := make([]string, 0, len(rows))
		for id := range rows {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		b := make([]report.ProbeResult, 0, len(ids))
		for _, id := range ids {
			b = append(b, rows[id].Result)
		}
		out = append(out, b)
	}
	return out
}

func (p *posted) view() *PostedView {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.hosts) == 0 {
		return nil
	}
	v := &PostedView{Hosts: slices.Clone(p.order), Rows: map[string][]Posted{}}
	for _, h := range p.order {
		for id, it := range p.hosts[h] {
			v.Rows[id] = append(v.Rows[id], it)
			v.Results++
		}
	}
	return v
}

// probeAck is the answer to a post, and the "probe" event of the stream.
type probeAck struct {
	Accepted int      `json:"accepted"`
	Hosts    []string `json:"hosts"`
	Rows     []string `json:"rows"`
	// Verdicts counts the accepted results by verdict.
	Verdicts map[string]int `json:"verdicts"`
}

// postProbe answers POST /api/probe: the body is the prober's JSON document (probe --format
// json, decoded by report.DecodeProbe, the decoder of report --probe). It needs the bearer
// token (a stream token does not open it, and an admin without a token takes no posts).
func (s *Server) postProbe(w http.ResponseWriter, r *http.Request) {
	if s.opts.Token == "" {
		http.Error(w, "admin: posting probe results needs an admin with a token (serve --admin gives a loopback admin one; give --admin-token-file FILE)", http.StatusForbidden)
		return
	}
	if !bearerOK(r, s.opts.Token) {
		// The stream token authorizes GET /api/events only; authorize let it through for no path else.
		w.Header().Set("WWW-Authenticate", `Bearer realm="mockdirector admin"`)
		http.Error(w, "admin: POST /api/probe needs Authorization: Bearer TOKEN", http.StatusUnauthorized)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		http.Error(w, "admin: POST /api/probe takes application/json (the document of probe --format json), not "+ct, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxProbeBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, fmt.Sprintf("admin: the probe document is over %d MiB: post fewer results at a time (probe --post sends them as they finish)", MaxProbeBody>>20), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "admin: reading the probe document: "+err.Error(), http.StatusBadRequest)
		return
	}
	remote := r.RemoteAddr
	pf, err := report.DecodeProbe(body, "POST /api/probe from "+remote)
	if err != nil {
		http.Error(w, "admin: "+err.Error(), http.StatusBadRequest)
		return
	}
	if pf.Scenario != s.opts.Scenario.Name {
		http.Error(w, fmt.Sprintf("admin: the results are of scenario %q, this mock holds %q: run probe with the mock's --scenario, or post to a mock of %q", pf.Scenario, s.opts.Scenario.Name, pf.Scenario), http.StatusConflict)
		return
	}
	if len(pf.Results) == 0 {
		http.Error(w, "admin: the probe document has no results", http.StatusBadRequest)
		return
	}
	var unknown []string
	for _, res := range pf.Results {
		if b, _ := json.Marshal(res); len(b) > MaxProbeResult {
			http.Error(w, fmt.Sprintf("admin: the result of %q is %d bytes, over %d KiB: is this the prober's JSON? (nothing of this post was kept)", res.ID, len(b), MaxProbeResult>>10), http.StatusRequestEntityTooLarge)
			return
		}
		if !s.posted.known[res.ID] && !slices.Contains(unknown, res.ID) {
			unknown = append(unknown, res.ID)
		}
	}
	if len(unknown) > 0 {
		shown := unknown[:min(len(unknown), 5)]
		more := ""
		if n := len(unknown) - len(shown); n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		what := "row"
		if len(unknown) > 1 {
			what = "rows"
		}
		http.Error(w, fmt.Sprintf("admin: scenario %q of this mock (%s) has no %s \"%s\"%s: probe with the same scenario file as the mock (nothing of this post was kept)", s.opts.Scenario.Name, s.opts.Scenario.File, what, strings.Join(shown, `", "`), more), http.StatusBadRequest)
		return
	}
	peer := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		peer = h
	}
	now := time.Now().UTC()
	ack := probeAck{Verdicts: map[string]int{}}
	items := make([]Posted, 0, len(pf.Results))
	for _, res := range pf.Results {
		host := res.Source // the address the prober sent from, with its port
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" {
			host = peer
		}
		prober := r.Header.Get(wire.HeaderProbeHost)
		if len(prober) > 255 {
			prober = prober[:255]
		}
		items = append(items, Posted{Result: res, Host: host, Role: res.From, PostedFrom: remote, Prober: prober, Received: now})
		if !slices.Contains(ack.Hosts, host) {
			ack.Hosts = append(ack.Hosts, host)
		}
		ack.Rows = append(ack.Rows, res.ID)
		ack.Verdicts[res.Verdict]++
	}
	if err := s.posted.add(items); err != nil {
		http.Error(w, err.Error(), http.StatusInsufficientStorage)
		return
	}
	ack.Accepted = len(items)
	s.opts.Log.Info("admin: probe results posted", "from", remote, "hosts", ack.Hosts, "results", ack.Accepted)
	s.hub.publishProbe(ack)
	writeJSON(w, ack)
}
