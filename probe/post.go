package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// DefaultPostInterval is how often probe --post sends the results that finished since the
// last post: live on a long run, one request a second at most.
const DefaultPostInterval = time.Second

// PostOptions configure posting results live to a mock's admin API (POST /api/probe).
type PostOptions struct {
	// URL is the admin's endpoint, https://dir01.contoso.local:9180/api/probe (http:// only
	// to a loopback admin).
	URL string
	// Token is the admin's bearer token.
	Token string
	// RootCAs verify an https admin (nil: the system roots); CAName names them in messages.
	RootCAs *x509.CertPool
	CAName  string
	// Scenario and Started head every posted document, as in probe --format json.
	Scenario string
	Started  time.Time
	// Prober is this machine's name, sent as wire.HeaderProbeHost.
	Prober string
	// Interval between posts (DefaultPostInterval when zero); Timeout per post (5 s when zero).
	Interval, Timeout time.Duration
	// OnError is called once, with the first failed post.
	OnError func(error)
}

// PostStats say how posting went.
type PostStats struct {
	// Posts and Results are the posts sent and the results in them; Failed the posts that
	// failed, First the first failure.
	Posts, Results, Failed int
	First                  error
}

// Poster sends results to a mock's admin as they finish: a failed post is reported (once) and
// never changes a verdict.
type Poster struct {
	o        PostOptions
	client   *http.Client
	mu       sync.Mutex
	pending  []Result
	stats    PostStats
	reported bool
	wake     chan struct{}
	done     chan struct{}
	stop     chan struct{}
}

// CheckPostURL refuses an endpoint that would send the token where it should not go: in the
// URL, or in clear text to a host that is not loopback.
func CheckPostURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("--post %q: give the admin's endpoint as https://HOST:PORT/api/probe", raw)
	}
	if u.User != nil || u.Query().Has("token") || u.Query().Has("stream_token") {
		return nil, fmt.Errorf("--post %s: the token does not go in the URL (logs and proxies keep URLs): use --post-token-file FILE or the environment", u.Redacted())
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("--post %s: the token would cross the network in clear; a non-loopback admin (serve --admin-allow-remote) is HTTPS: use https://%s%s", raw, u.Host, u.Path)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/api/probe"
	}
	return u, nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// NewPoster checks the options and starts posting every Interval.
func NewPoster(o PostOptions) (*Poster, error) {
	u, err := CheckPostURL(o.URL)
	if err != nil {
		return nil, err
	}
	o.URL = u.String()
	if o.Token == "" {
		return nil, errors.New("--post needs the admin's token: --post-token-file FILE or the environment (serve --admin writes it to mockdirector-admin.token next to its journal)")
	}
	if o.Interval <= 0 {
		o.Interval = DefaultPostInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		Proxy: nil, TLSHandshakeTimeout: o.Timeout, ResponseHeaderTimeout: o.Timeout, MaxIdleConns: 1}
	p := &Poster{o: o, client: &http.Client{Transport: tr, Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		wake: make(chan struct{}, 1), done: make(chan struct{}), stop: make(chan struct{})}
	go p.loop()
	return p, nil
}

// Add queues one finished result for the next post (a nil Poster posts nothing).
func (p *Poster) Add(r Result) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.pending = append(p.pending, r)
	p.mu.Unlock()
}

// Close posts what is left and returns how posting went.
func (p *Poster) Close() PostStats {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

func (p *Poster) loop() {
	defer close(p.done)
	t := time.NewTicker(p.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.flush()
		case <-p.stop:
			p.flush()
			return
		}
	}
}

// flush posts the pending results, if any.
func (p *Poster) flush() {
	p.mu.Lock()
	batch := p.pending
	p.pending = nil
	p.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	rep := &Report{Scenario: p.o.Scenario, Started: p.o.Started}
	for _, r := range batch {
		rep.Add(r)
	}
	err := p.post(rep)
	p.mu.Lock()
	p.stats.Posts++
	if err == nil {
		p.stats.Results += len(batch)
		p.mu.Unlock()
		return
	}
	p.stats.Failed++
	first := !p.reported
	if first {
		p.reported, p.stats.First = true, err
	}
	p.mu.Unlock()
	if first && p.o.OnError != nil {
		p.o.OnError(err)
	}
}

// post sends one document, the schema of probe --format json.
func (p *Poster) post(rep *Report) error {
	var body bytes.Buffer
	if err := (JSON{}).Write(&body, rep); err != nil {
		return fmt.Errorf("probe --post: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.URL, &body)
	if err != nil {
		return fmt.Errorf("probe --post: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.o.Token)
	if p.o.Prober != "" {
		req.Header.Set(wire.HeaderProbeHost, p.o.Prober)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return p.explain(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return p.refused(resp.StatusCode, strings.TrimSpace(string(msg)))
}

// PostError is a failed post: what happened and what to do about it.
type PostError struct {
	URL    string
	Status int // the admin's HTTP status; 0 when no answer came
	Reason string
	Fix    string
	Err    error
}

func (e *PostError) Error() string {
	s := "probe --post " + e.URL + ": " + e.Reason
	if e.Fix != "" {
		s += " (" + e.Fix + ")"
	}
	return s
}

func (e *PostError) Unwrap() error { return e.Err }

// refused explains an answer other than 200.
func (p *Poster) refused(status int, msg string) error {
	e := &PostError{URL: p.o.URL, Status: status, Reason: fmt.Sprintf("the admin answered %d: %s", status, msg)}
	switch status {
	case http.StatusUnauthorized:
		e.Fix = "wrong token: give the token of serve --admin (its --admin-token-file, or mockdirector-admin.token next to its journal) with --post-token-file"
	case http.StatusMisdirectedRequest:
		e.Fix = "the admin is not remote-enabled: it answers loopback names only; start serve with --admin-allow-remote and a token, or post through an SSH tunnel to 127.0.0.1"
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		e.Fix = "this admin has no POST /api/probe: post to a mock of the same mockdirector release, at /api/probe"
	case http.StatusBadRequest:
		if strings.Contains(msg, "HTTP request to an HTTPS server") {
			e.Fix = "the admin is HTTPS: post to https://"
		}
	}
	return e
}

// explain names the cause of a post that got no answer.
func (p *Poster) explain(err error) error {
	e := &PostError{URL: p.o.URL, Reason: err.Error(), Err: err}
	var host x509.HostnameError
	var unknown x509.UnknownAuthorityError
	var rec tls.RecordHeaderError
	u, _ := url.Parse(p.o.URL)
	switch {
	case errors.As(err, &host):
		names := host.Certificate.DNSNames
		for _, ip := range host.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		e.Reason = fmt.Sprintf("TLS name mismatch: the admin's certificate is for %s, not %s", strings.Join(names, ", "), u.Hostname())
		e.Fix = "post to one of the names the certificate holds (the member's FQDN or address)"
	case errors.As(err, &unknown):
		ca := p.o.CAName
		if ca == "" {
			ca = "the system roots"
		}
		e.Reason = "the admin's certificate does not chain to " + ca
		e.Fix = "give the CA of serve's certificates with --post-ca (default: the --certs CA)"
	case errors.As(err, &rec):
		e.Reason = "the admin does not speak TLS there"
		e.Fix = "a loopback admin without --admin-tls is plain HTTP: post to http://"
	case u.Scheme == "http" && (errors.Is(portableDialErr(err), syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		e.Reason = "the admin closed the connection (" + err.Error() + ")"
		e.Fix = "an HTTPS admin (serve --admin-tls, and every non-loopback admin) does that to plain HTTP: post to https://"
	case errors.Is(portableDialErr(err), syscall.ECONNREFUSED):
		e.Reason = "nothing listens at " + u.Host
		e.Fix = "is serve running with --admin " + u.Host + "? a non-loopback admin also needs --admin-allow-remote and a token"
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		e.Reason = fmt.Sprintf("no answer from %s in %s", u.Host, p.o.Timeout)
		e.Fix = "a firewall between this host and the admin drops it, or the host is wrong"
	}
	return e
}
