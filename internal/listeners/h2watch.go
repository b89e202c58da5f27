package listeners

import (
	"crypto/tls"
	"log"
	"net"
	"strings"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// net/http's HTTP/2 server refuses a connection without calling the handler when the client's
// connection preface is not HTTP/2's, or when a frame breaks the protocol (a connection error:
// it sends GOAWAY and closes). It has no hook for either that names the connection, except the
// line it writes to http.Server.ErrorLog with the client's address; h2ErrorLog reads those two
// lines and journals the connection (kind http, outcome failed). A malformed request on one
// stream (a stream error, answered RST_STREAM while the connection goes on) is neither logged
// nor counted with the connection by net/http (only HTTP2Config.CountError, which names no
// connection, sees it): it is not journaled.

// h2Refusals are the ErrorLog lines of net/http's HTTP/2 server that journal a connection: the
// prefix before the client's address, and what it means.
var h2Refusals = []struct {
	prefix string
	code   wire.Code
	reason string
}{
	{"http2: server: error reading preface from client ", wire.CodeProtocol,
		"HTTP/2 negotiated (ALPN h2), but the client's connection preface is not HTTP/2's; closed without an answer"},
	{"http2: server connection error from ", wire.CodeMalformed,
		"HTTP/2 connection error: a frame net/http's HTTP/2 server refuses; answered GOAWAY and closed"},
}

// h2ErrorLog is the http.Server's ErrorLog: every line goes on to the mock's log (at debug, as
// before); the HTTP/2 refusals are journaled too.
type h2ErrorLog struct {
	w    *httpWatch
	next *log.Logger
}

func newH2ErrorLog(w *httpWatch, next *log.Logger) *log.Logger {
	return log.New(&h2ErrorLog{w: w, next: next}, "", 0)
}

func (l *h2ErrorLog) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	l.next.Print(line)
	for _, r := range h2Refusals {
		rest, ok := strings.CutPrefix(line, r.prefix)
		if !ok {
			continue
		}
		// "ADDR: ERROR": the address has no ": " (an IPv6 one is in brackets).
		remote, detail, _ := strings.Cut(rest, ": ")
		l.w.h2Refused(remote, r.code, r.reason+" ("+escapePrefix(detail, 80)+")")
	}
	return len(p), nil
}

// trackH2 notes an HTTP/2 connection by its client's address, for h2Refused.
func (w *httpWatch) trackH2(c net.Conn) {
	w.mu.Lock()
	w.h2[c.RemoteAddr().String()] = c
	w.mu.Unlock()
}

// h2Refused journals an HTTP/2 connection net/http refused.
func (w *httpWatch) h2Refused(remote string, code wire.Code, reason string) {
	w.mu.Lock()
	c := w.h2[remote]
	w.mu.Unlock()
	ev := baseEvent(w.spec, journal.KindHTTP, nil, nil)
	ev.Remote = remote
	if c != nil {
		ev.Local = c.LocalAddr().String()
		if tc, ok := c.(*tls.Conn); ok {
			ev.TLS = tlsInfo(tc.ConnectionState(), nil)
		}
	}
	ev.Outcome, ev.Code, ev.Reason = journal.OutcomeFailed, code, reason
	ev.HTTP = &journal.HTTPInfo{}
	_ = w.env.journal().Record(ev)
}
