package listeners

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// net/http answers some connections without calling the handler: a request line or header
// that does not parse (400), headers over MaxHeaderBytes (431), TLS sent to a plain port (400),
// a request cut by ReadHeaderTimeout (closed without an answer) or by the client. httpWatch sees
// each of them through ConnState and the connection under net/http, and journals it (kind http,
// outcome failed, with the status net/http sent), as well as a plain connection that sent
// nothing (kind connect, connect-only): every connection leaves a line.

// HTTPReadHeaderTimeout is how long a request's headers may take by default (net/http
// ReadHeaderTimeout; Limits.HTTPHeaderTimeout sets it).
const HTTPReadHeaderTimeout = 30 * time.Second

// HTTPMaxHeaderBytes bounds a request's headers (net/http MaxHeaderBytes, its default): far above
// the 64 KiB a Kerberos token of a user in many groups needs, so only a flood gets a 431.
const HTTPMaxHeaderBytes = http.DefaultMaxHeaderBytes

type watchKey struct{}

// httpWatch follows the connections of one HTTP(S) server.
type httpWatch struct {
	spec  Spec
	env   Env
	mu    sync.Mutex
	conns map[net.Conn]*watchState
	// h2 are the open HTTP/2 connections by client address (h2watch.go).
	h2 map[string]net.Conn
}

// watchState is one connection between net/http's state changes.
type watchState struct {
	// handled: the handler ran for the current request (reset when it was answered).
	handled atomic.Bool
	active  bool // bytes of a request arrived and no answer ended it yet
	ever    bool // any request bytes ever arrived
	// plain is the connection under net/http on a plain port (nil on TLS).
	plain *plainConn
	// tls is the raw connection under TLS (nil on a plain port), with its counts when the
	// current request began.
	tls                *trackedConn
	baseRead, baseWrit int64
	// local is the connection's local address, formatted once for the identity of each of its
	// requests (net/http hands the handler a net.Addr, formatted anew on every call).
	local string
}

// mark notes the raw counts a TLS connection has before its next request.
func (ws *watchState) mark() {
	if ws.tls != nil {
		ws.baseRead, ws.baseWrit = ws.tls.read.Load(), ws.tls.writes.Load()
		ws.tls.timedOut.Store(false)
	}
}

func newHTTPWatch(spec Spec, env Env) *httpWatch {
	return &httpWatch{spec: spec, env: env, conns: map[net.Conn]*watchState{}, h2: map[string]net.Conn{}}
}

// connContext is http.Server.ConnContext: it makes the connection's state (before StateNew).
func (w *httpWatch) connContext(ctx context.Context, c net.Conn) context.Context {
	ws := &watchState{local: c.LocalAddr().String()}
	switch cc := c.(type) {
	case *plainConn:
		ws.plain = cc
		cc.ws, cc.headerTimeout = ws, w.env.limits().HTTPHeaderTimeout
	case *tls.Conn:
		if cc.ConnectionState().NegotiatedProtocol == "h2" {
			w.trackH2(c) // HTTP/2 answers its own errors in frames; what it refuses, h2watch.go sees
		} else if tc, ok := cc.NetConn().(*trackedConn); ok {
			ws.tls = tc
			ws.mark()
		}
	}
	w.mu.Lock()
	w.conns[c] = ws
	w.mu.Unlock()
	return context.WithValue(ctx, watchKey{}, ws)
}

// handler marks the request as reaching the handler.
func (w *httpWatch) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if ws, ok := r.Context().Value(watchKey{}).(*watchState); ok {
			ws.handled.Store(true)
		}
		next.ServeHTTP(rw, r)
	})
}

// connState is http.Server.ConnState.
func (w *httpWatch) connState(c net.Conn, st http.ConnState) {
	w.mu.Lock()
	ws := w.conns[c]
	if ws == nil {
		w.mu.Unlock()
		return
	}
	var gone bool
	switch st {
	case http.StateActive:
		ws.active, ws.ever = true, true
	case http.StateIdle:
		// The request was answered: the next one starts from nothing.
		ws.active = false
		ws.handled.Store(false)
		if ws.plain != nil {
			ws.plain.nextRequest()
		}
		ws.mark()
	case http.StateClosed, http.StateHijacked:
		delete(w.conns, c)
		if len(w.h2) > 0 {
			if h, ok := w.h2[c.RemoteAddr().String()]; ok && h == c {
				delete(w.h2, c.RemoteAddr().String())
			}
		}
		gone = st == http.StateClosed
	}
	w.mu.Unlock()
	if !gone {
		return
	}
	switch {
	case !ws.ever && ws.plain != nil:
		w.connectOnly(c)
	case ws.plain != nil && !ws.handled.Load() && (ws.active || ws.plain.pending()):
		// (A request read from net/http's buffer after a keep-alive answer goes from idle
		// straight to closed: the bytes read say it came.)
		w.refused(c, ws.plain)
	case ws.tls != nil && !ws.handled.Load():
		w.refusedTLS(c, ws)
	}
}

// refusedTLS journals a request on HTTPS that net/http answered (or dropped) without the
// handler. Under TLS the mock cannot read what net/http wrote, so it goes by the raw
// connection: net/http writes its error answer and then the close_notify alert (two writes;
// a connection closed without an answer has only the alert), after more than MaxHeaderBytes
// only for a 431; a read that hit its deadline is ReadHeaderTimeout.
func (w *httpWatch) refusedTLS(c net.Conn, ws *watchState) {
	read := ws.tls.read.Load() - ws.baseRead
	answered := ws.tls.writes.Load()-ws.baseWrit >= 2
	if !ws.active && !answered {
		return // nothing but the client's close_notify after the last answer
	}
	ev := baseEvent(w.spec, journal.KindHTTP, c.LocalAddr(), c.RemoteAddr())
	ev.Outcome, ev.Code = journal.OutcomeFailed, wire.CodeMalformed
	ev.HTTP = &journal.HTTPInfo{}
	if tc, ok := c.(*tls.Conn); ok {
		st := tc.ConnectionState()
		ev.TLS = tlsInfo(st, nil)
	}
	switch {
	case answered && read > HTTPMaxHeaderBytes:
		ev.HTTP.Status = http.StatusRequestHeaderFieldsTooLarge
		ev.Reason = fmt.Sprintf("request headers over %d bytes; answered 431 Request Header Fields Too Large", HTTPMaxHeaderBytes)
	case answered:
		ev.HTTP.Status = http.StatusBadRequest
		ev.Reason = "not an HTTP request net/http can parse (a request line or header); answered 400 Bad Request (or 417/501 for an Expect or Transfer-Encoding it does not support: under TLS the mock does not see which)"
	case ws.tls.timedOut.Load():
		ev.Code = wire.CodeTimeout
		ev.Reason = fmt.Sprintf("request headers not complete in %s; closed without an answer", w.env.limits().HTTPHeaderTimeout)
	default:
		ev.Reason = "incomplete request: the client closed in the middle of it; closed without an answer"
	}
	_ = w.env.journal().Record(ev)
}

// connectOnly journals a plain connection that closed without sending a request: an HLB's TCP
// monitor or a scanner, seen apart from the requests.
func (w *httpWatch) connectOnly(c net.Conn) {
	ev := baseEvent(w.spec, journal.KindConnect, c.LocalAddr(), c.RemoteAddr())
	ev.Outcome, ev.Code = journal.OutcomeConnectOnly, wire.CodeConnectOnly
	ev.Reason = "no HTTP request: a TCP health monitor or a scanner (closed without sending one)"
	_ = w.env.journal().Record(ev)
}

// refused journals a request net/http answered (or dropped) without the handler.
func (w *httpWatch) refused(c net.Conn, pc *plainConn) {
	first, n, answer, timedOut, eof := pc.request()
	ev := baseEvent(w.spec, journal.KindHTTP, c.LocalAddr(), c.RemoteAddr())
	ev.Outcome = journal.OutcomeFailed
	ev.HTTP = &journal.HTTPInfo{}
	status, line := answerStatus(answer)
	ev.HTTP.Status = status
	if m, p, ok := requestLine(first); ok {
		ev.HTTP.Method, ev.HTTP.Path = m, p
	}
	switch {
	case looksLikeTLS(first):
		ev.Code = wire.CodeProtocol
		ev.Reason = "TLS on a plain HTTP port (a ClientHello arrived: the client wants https://, or the HTTPS port)"
	case timedOut:
		ev.Code = wire.CodeTimeout
		ev.Reason = fmt.Sprintf("request headers not complete in %s (%d bytes arrived)", w.env.limits().HTTPHeaderTimeout, n)
	case eof:
		ev.Code = wire.CodeMalformed
		ev.Reason = fmt.Sprintf("incomplete request: the client closed after %d bytes", n)
	case status == http.StatusRequestHeaderFieldsTooLarge:
		ev.Code = wire.CodeMalformed
		ev.Reason = fmt.Sprintf("request headers over %d bytes", HTTPMaxHeaderBytes)
	case status == http.StatusBadRequest:
		ev.Code = wire.CodeMalformed
		ev.Reason = "not an HTTP request net/http can parse: first bytes " + escapePrefix(string(first), 32)
	case status != 0:
		ev.Code = wire.CodeMalformed
		ev.Reason = "refused by net/http before the handler (an Expect or Transfer-Encoding it does not support): first bytes " + escapePrefix(string(first), 32)
	default:
		ev.Code = wire.CodeMalformed
		ev.Reason = fmt.Sprintf("incomplete request: the client closed after %d bytes", n)
	}
	if status != 0 {
		ev.Reason += "; answered " + line
	} else {
		ev.Reason += "; closed without an answer"
	}
	_ = w.env.journal().Record(ev)
}

// answerStatus reads the status of what net/http wrote ("HTTP/1.1 431 Request ...").
func answerStatus(b []byte) (int, string) {
	line, _, _ := bytes.Cut(b, []byte("\r\n"))
	_, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(rest) < 3 {
		return 0, ""
	}
	n, err := strconv.Atoi(string(rest[:3]))
	if err != nil {
		return 0, ""
	}
	return n, string(rest)
}

// requestLine reads the method and target of a request's first bytes, when they look like one.
func requestLine(b []byte) (method, path string, ok bool) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 2 || !isToken(string(f[0])) {
		return "", "", false
	}
	return string(f[0]), strconv.QuoteToASCII(string(f[1]))[1 : len(strconv.QuoteToASCII(string(f[1])))-1], true
}

// looksLikeTLS reports whether the bytes start a TLS handshake record.
func looksLikeTLS(b []byte) bool {
	return len(b) >= 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04
}

// plainListener wraps the connections of a plain HTTP port (see plainConn).
type plainListener struct {
	net.Listener
}

func (l plainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &plainConn{Conn: c}, nil
}

// plainKeep is how much of a request's start and of net/http's answer a plainConn keeps.
const plainKeep = 128

// plainConn is a plain HTTP connection as net/http sees it: it keeps the first bytes of the
// request being read and of what is written, and answers 408 to a request whose headers time
// out (net/http closes without a word).
type plainConn struct {
	net.Conn
	ws            *watchState
	headerTimeout time.Duration

	mu       sync.Mutex
	first    []byte // the current request's first bytes
	n        int    // bytes of the current request read
	answer   []byte // the first bytes written since the request began
	timedOut bool
	eof      bool // the client closed (or reset) the connection
	// after is what was read since the last write (nAfter bytes): the next request's start.
	after  []byte
	nAfter int
}

// nextRequest forgets the answered request: what was read after its answer was written (net/http
// reads a byte in the background while it answers) and from now on is the next one's.
func (c *plainConn) nextRequest() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.first = append(c.first[:0], c.after...)
	c.n, c.answer, c.timedOut, c.eof = c.nAfter, c.answer[:0], false, false
}

// request is what the current request sent and got.
func (c *plainConn) request() (first []byte, n int, answer []byte, timedOut, eof bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.first...), c.n, append([]byte(nil), c.answer...), c.timedOut, c.eof
}

// pending reports whether bytes arrived since the last answer.
func (c *plainConn) pending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n > 0
}

func (c *plainConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	if n > 0 {
		if room := plainKeep - len(c.first); room > 0 {
			c.first = append(c.first, b[:min(n, room)]...)
		}
		if room := plainKeep - len(c.after); room > 0 {
			c.after = append(c.after, b[:min(n, room)]...)
		}
		c.n += n
		c.nAfter += n
	}
	var ne net.Error
	if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
		c.eof = true
	}
	// A timeout with part of a request read, the handler not reached: ReadHeaderTimeout.
	// (net/http's background read during a handler ends on a deadline too; handled rules it out.)
	partial := c.n > 0 && c.ws != nil && !c.ws.handled.Load()
	if err != nil && errors.As(err, &ne) && ne.Timeout() && partial && !c.timedOut {
		c.timedOut = true
		c.mu.Unlock()
		c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.Write([]byte("HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" +
			"408 Request Timeout: headers not complete in " + c.headerTimeout.String() + "\n"))
		return n, err
	}
	c.mu.Unlock()
	return n, err
}

func (c *plainConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.after, c.nAfter = c.after[:0], 0
	if c.ws != nil && !c.ws.handled.Load() {
		if room := plainKeep - len(c.answer); room > 0 {
			c.answer = append(c.answer, b[:min(len(b), room)]...)
		}
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}
