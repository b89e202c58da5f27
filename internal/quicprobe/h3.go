package quicprobe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// Error is a failed h3 check: the state of the QUIC path (refused, filtered, handshake-failed;
// open when the handshake finished and the request itself failed), its reason code and why.
type Error struct {
	State  wire.State
	Code   wire.Code
	Reason string
	Err    error
}

func (e *Error) Error() string { return "quicprobe: " + string(e.State) + ": " + e.Reason }
func (e *Error) Unwrap() error { return e.Err }

// StateOf is the QUIC state an h3 error stands for: the Error's State, else handshake-failed.
func StateOf(err error) wire.State {
	var e *Error
	if errors.As(err, &e) {
		return e.State
	}
	return wire.StateHandshakeFailed
}

// GetH3 sends GET rawURL over HTTP/3 from source ("" lets the kernel choose) within ctx's deadline
// (DefaultTimeout when it has none) and returns the status and, when a mockdirector answered, its
// identity: the JSON body on wire.WellKnownPath, else the X-MockDirector-* headers (nil with
// a nil error: something answered HTTP/3, but not a mockdirector). tlsConf
// must trust the server (RootCAs); ServerName defaults to the URL's host. Errors are *Error.
func GetH3(ctx context.Context, rawURL, source string, tlsConf *tls.Config) (int, *wire.Identity, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, nil, &Error{State: wire.StateHandshakeFailed, Code: wire.CodeError, Reason: "bad URL: " + err.Error(), Err: err}
	}
	// The socket is made here, on the caller's goroutine (so in the caller's network namespace),
	// and is the one the request's QUIC connection uses.
	hostport := u.Host
	if u.Port() == "" {
		hostport = net.JoinHostPort(u.Hostname(), "443")
	}
	first, err := dialConnected(ctx, hostport, source)
	if err != nil {
		return 0, nil, &Error{State: wire.StateHandshakeFailed, Code: wire.CodeError, Reason: err.Error(), Err: err}
	}
	var (
		mu   sync.Mutex
		last *connectedConn
	)
	tr := &http3.Transport{
		TLSClientConfig: tlsConf,
		QUICConfig:      clientConfig(ctx),
		Dial: func(ctx context.Context, addr string, tlsCfg *tls.Config, cfg *quic.Config) (*quic.Conn, error) {
			mu.Lock()
			pc := first
			first = nil
			mu.Unlock()
			if pc == nil {
				var err error
				if pc, err = dialConnected(ctx, addr, source); err != nil {
					return nil, err
				}
			}
			mu.Lock()
			last = pc
			mu.Unlock()
			c, err := quic.Dial(ctx, pc, pc.raddr, tlsCfg, cfg)
			if err != nil {
				pc.Close()
				return nil, err
			}
			// quic-go closes only sockets it opened itself: close ours with the connection.
			context.AfterFunc(c.Context(), func() { pc.Close() })
			return c, nil
		},
	}
	defer func() {
		tr.Close()
		mu.Lock()
		if first != nil {
			first.Close()
		}
		mu.Unlock()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, &Error{State: wire.StateHandshakeFailed, Code: wire.CodeError, Reason: "bad request: " + err.Error(), Err: err}
	}
	req.Header.Set("User-Agent", "mockdirector-probe (h3)")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		mu.Lock()
		pc := last
		mu.Unlock()
		if pc == nil {
			return 0, nil, &Error{State: wire.StateHandshakeFailed, Code: wire.CodeError, Reason: err.Error(), Err: err}
		}
		state, code, reason := classify(ctx, err, pc)
		return 0, nil, &Error{State: state, Code: code, Reason: reason, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, &Error{State: wire.StateOpen, Code: wire.CodeProtocol, Reason: "reading the body: " + err.Error(), Err: err}
	}
	return resp.StatusCode, identityOf(u, resp, body), nil
}

// identityOf reads who answered: the well-known JSON, else the identity headers; nil when the
// answer is not from a mockdirector.
func identityOf(u *url.URL, resp *http.Response, body []byte) *wire.Identity {
	if strings.EqualFold(u.Path, wire.WellKnownPath) {
		if id, ok := wire.DecodeJSON(body); ok {
			return id
		}
	}
	id, ok := wire.FromHeaders(resp.Header)
	if !ok {
		return nil
	}
	if resp.TLS != nil {
		id.TLSVersion = tls.VersionName(resp.TLS.Version)
		id.ALPN = resp.TLS.NegotiatedProtocol
	}
	return id
}
