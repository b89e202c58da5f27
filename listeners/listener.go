// Package listeners binds and serves the ports of a role: one file per protocol. A Listener
// knows its row, binds, serves, turns every handshake and request into a journal Event before it
// answers, and closes cleanly. A Group binds all of a role's listeners or none.
package listeners

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
)

// Spec is one listener to bind: what the table says (role, protocol, port) and where it goes.
type Spec struct {
	Role     string `json:"role"`
	Member   string `json:"member"`
	Pool     string `json:"pool"`
	Name     string `json:"listener"`
	Protocol string `json:"protocol"`
	// Port is the table's port (what the journal and the report call it).
	Port int `json:"port"`
	// Addr is host:port to bind (after --bind, --port-offset and topology overrides).
	Addr string `json:"addr"`
	// ClientCert on HTTPS: "" (not asked), "request" or "require". SIP and CLS always require.
	ClientCert string `json:"client_cert,omitempty"`
	// HTTP3 also serves HTTP/3 on the same UDP port (HTTPS only).
	HTTP3 bool `json:"http3,omitempty"`
}

// Env is what every listener of a process shares.
type Env struct {
	// TLS is the server identity and the trust for client certificates.
	TLS *certs.Identity
	// Journal receives every event; nil discards.
	Journal journal.Recorder
	// Log receives operational messages; nil discards.
	Log *slog.Logger
}

func (e Env) journal() journal.Recorder {
	if e.Journal == nil {
		return journal.Discard
	}
	return e.Journal
}

func (e Env) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// Listener is one bound port.
type Listener interface {
	// Spec is what the listener stands for.
	Spec() Spec
	// Addr is the address actually bound (the real port when Spec asked for :0).
	Addr() net.Addr
	// Serve answers until ctx is done or Close is called; then it returns nil.
	Serve(ctx context.Context) error
	// Close stops accepting and closes open connections.
	Close() error
}

// ListenerName is how a listener is named: protocol and table port, "sip-mtls-5061".
func ListenerName(protocol string, port int) string {
	return protocol + "-" + strconv.Itoa(port)
}

// New binds the listener a spec describes.
func New(spec Spec, env Env) (Listener, error) {
	switch spec.Protocol {
	case scenarios.ProtoHTTP:
		return newHTTP(spec, env, false)
	case scenarios.ProtoHTTPS:
		if spec.HTTP3 {
			return newHTTPS3(spec, env) // h3.go: HTTP/3 on the same UDP port too
		}
		return newHTTP(spec, env, true)
	case ProtoUDPQUIC:
		return newQUIC(spec, env) // quic.go: the generic QUIC responder
	case scenarios.ProtoSIPMTLS:
		return newSIP(spec, env)
	case scenarios.ProtoCLSMTLS:
		return newCLS(spec, env)
	}
	return nil, fmt.Errorf("%s listener %s: protocol %q cannot be served", spec.Role, spec.Name, spec.Protocol)
}

// BindError is a listener that could not bind, with the advice a person needs.
type BindError struct {
	Spec Spec
	Err  error
	// UDP is set when the UDP socket (HTTP/3, a QUIC responder) failed, not the TCP one.
	UDP bool
}

func (e *BindError) Error() string {
	msg := fmt.Sprintf("%s listener %s cannot bind %s: %v", e.Spec.Role, e.Spec.Name, e.Spec.Addr, e.Err)
	_, portStr, _ := net.SplitHostPort(e.Spec.Addr)
	port, _ := strconv.Atoi(portStr)
	msg += bindAdvice(e.Err, port, e.UDP) // binderr.go: the fix, in the platform's words
	return msg
}

func (e *BindError) Unwrap() error { return e.Err }

func listenTCP(spec Spec) (net.Listener, error) {
	l, err := net.Listen("tcp", spec.Addr)
	if err != nil {
		return nil, &BindError{Spec: spec, Err: err}
	}
	return l, nil
}
