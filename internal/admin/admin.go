// Package admin serves what a person watches while the real reverse proxy, Edge and clients
// connect through the firewall: the observed-vs-expected matrix (GET /api/matrix and a live page
// at /), the journal as a Server-Sent Events stream (GET /api/events), Prometheus metrics
// (GET /metrics) and GET /healthz. It listens on loopback unless told otherwise, with a token.
package admin

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// DefaultAddr is the address the issue names for the admin listener.
const DefaultAddr = "127.0.0.1:9180"

// Options configure the admin listener.
type Options struct {
	// Addr is host:port to bind. A host that is not a loopback address needs AllowRemote and Token.
	Addr string
	// AllowRemote permits a non-loopback Addr.
	AllowRemote bool
	// Token, when set, must come with every API request as "Authorization: Bearer TOKEN", never
	// in the URL (URLs end up in logs, history and Referer headers). The page and its script
	// are served without it (they hold no data); the page takes the token from the address's
	// fragment (/#token=TOKEN, which browsers never send) and sends the header. The event
	// stream, which a browser's EventSource cannot send headers with, takes a short-lived
	// ?stream_token= from POST /api/stream-token instead (StreamTokenTTL).
	Token string

	Scenario *scenarios.Scenario
	Topology *topology.Topology
	// Roles are the destination roles the matrix holds to the table (serve: its own role).
	Roles []string
	// Member, when set, is the one member whose profile decides which rows are served (serve:
	// its own member); empty: a row counts when any member of its pool serves it.
	Member string
	// Title names the instance on the page ("director dir01.contoso.local").
	Title string
	// Probe results shown beside the rows, if any (one file's; POST /api/probe adds more).
	Probe []report.ProbeResult
	// TLS, when set, serves the admin over HTTPS with it (serve: the member's certificate, for a
	// non-loopback admin, where the bearer token crosses the network).
	TLS *tls.Config
	Log *slog.Logger
}

// Server is a bound admin listener. It is a journal.Recorder: give it every event (server
// Options.Observers) and the matrix, metrics and event stream follow.
type Server struct {
	opts    Options
	builder *report.Builder
	metrics *metrics
	hub     *hub
	ln      net.Listener
	srv     *http.Server
	started time.Time
	streams *streamTokens
	posted  *posted
	hist    *history
	stop    chan struct{}
	once    sync.Once
}

// CheckAddr refuses a non-loopback bind unless both allowRemote and a token are given: the
// admin API shows who connects from where, which is not for everyone on the network.
func CheckAddr(addr string, allowRemote bool, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("admin: address %q is not host:port (for example %s): %w", addr, DefaultAddr, err)
	}
	if isLoopbackHost(host) {
		return nil
	}
	shown := host
	if shown == "" {
		shown = "every address"
	}
	if !allowRemote || token == "" {
		return fmt.Errorf("admin: %s is not a loopback address; binding it needs both --admin-allow-remote and --admin-token TOKEN (or --admin-token-file FILE, or $MOCKDIRECTOR_ADMIN_TOKEN; or use --admin 127.0.0.1:PORT and an SSH tunnel)", shown)
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.IsLoopback()
}

// Listen checks and binds the admin address; serve it with Serve.
func Listen(o Options) (*Server, error) {
	if err := CheckAddr(o.Addr, o.AllowRemote, o.Token); err != nil {
		return nil, err
	}
	if o.Scenario == nil {
		return nil, errors.New("admin: no scenario given (the caller chooses the port table, for example scenarios.Default())")
	}
	if o.Topology == nil {
		return nil, errors.New("admin: no topology given (the caller chooses the site, for example topology.Default())")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("admin: cannot bind %s: %w (pick another with --admin 127.0.0.1:PORT, or leave --admin out)", o.Addr, err)
	}
	s := &Server{opts: o, builder: report.NewBuilder(o.Scenario, o.Topology, report.Options{Roles: o.Roles, Member: o.Member}),
		hub: newHub(), ln: ln, started: time.Now(), streams: newStreamTokens(), posted: newPosted(o.Scenario),
		hist: &history{}, stop: make(chan struct{})}
	s.metrics = newMetrics(s.builder)
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(o.Log.Handler(), slog.LevelDebug)}
	return s, nil
}

// Record takes one live event: metrics and every event-stream subscriber at once, the matrix
// at once or, while the history loads (LoadHistory), after it.
func (s *Server) Record(e journal.Event) error {
	s.metrics.observe(e)
	s.hub.publish(e)
	if !s.hist.queue(e) {
		s.builder.Add(e)
	}
	return nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the page's address.
func (s *Server) URL() string {
	scheme := "http://"
	if s.opts.TLS != nil {
		scheme = "https://"
	}
	return scheme + s.ln.Addr().String() + "/"
}

// UseTLS serves the admin over HTTPS with cfg; call it before Serve.
func (s *Server) UseTLS(cfg *tls.Config) { s.opts.TLS = cfg }

// History is the state of the background load of the journal's earlier events.
func (s *Server) History() History { return s.hist.snapshot() }

// Matrix is the matrix as it stands, with the probe results of Options.Probe and those posted
// to /api/probe beside the rows, joined as report --probe joins probe files (one per source
// host). While the history loads it is not OK (part of the journal is not in it yet).
func (s *Server) Matrix() *report.Result {
	h := s.hist.snapshot() // before the result: a load that ends in between still counts as loading
	res := s.builder.Result()
	if len(s.opts.Probe) > 0 {
		res.AttachProbe(s.opts.Probe)
	}
	for _, b := range s.posted.batches() {
		res.AttachProbe(b)
	}
	if h.Loading {
		res.OK = false
	}
	return res
}

// Serve answers until ctx is done or Close is called.
func (s *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	ln := s.ln
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, s.opts.TLS)
	}
	err := s.srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("admin: %w", err)
}

// Close ends every event stream and closes the listener.
func (s *Server) Close() error {
	s.once.Do(func() { close(s.stop) })
	s.hub.close()
	err := s.srv.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// authorize checks the token and, on loopback, the Host header (a web page elsewhere cannot
// read the API through DNS rebinding: its requests carry its own host name). The page's static
// files need no token; the event stream also takes a short-lived stream token in its URL.
func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.opts.AllowRemote {
			host, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				host = r.Host
			}
			if !isLoopbackHost(host) {
				http.Error(w, "admin: Host "+r.Host+" refused: the admin API answers loopback names only", http.StatusMisdirectedRequest)
				return
			}
		}
		if s.opts.Token != "" && !isPageFile(r.URL.Path) {
			ok := bearerOK(r, s.opts.Token)
			if !ok && r.URL.Path == "/api/events" && r.Method == http.MethodGet {
				ok = s.streams.use(r.URL.Query().Get("stream_token"))
			}
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="mockdirector admin"`)
				msg := "admin: missing or wrong token (send Authorization: Bearer TOKEN; open the page as /#token=TOKEN)"
				if r.URL.Query().Has("token") {
					msg = "admin: a token in the URL is not accepted (it would end up in logs and history): send Authorization: Bearer TOKEN, or open the page as /#token=TOKEN"
				}
				http.Error(w, msg, http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bearerOK reports whether r carries "Authorization: Bearer TOKEN" with the admin's token.
func bearerOK(r *http.Request, token string) bool {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && token != "" && subtle.ConstantTimeCompare([]byte(h), []byte(token)) == 1
}

// isPageFile reports whether path is one of the page's static files, which hold no data.
func isPageFile(path string) bool {
	switch path {
	case "/", "/index.html", "/app.js", "/style.css":
		return true
	}
	return false
}
