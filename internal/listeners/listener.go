// Package listeners binds and serves the ports of a role: one file per protocol. A Listener
// knows its row, binds, serves, turns every handshake and request into a journal Event before it
// answers, and closes cleanly. A Group binds all of a role's listeners or none. Which listeners
// a role member has is decided elsewhere (internal/roleprofile); listeners import only the
// certificates, the journal and the wire vocabulary.
package listeners

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// Spec is one listener to bind: what the table says (role, protocol, port) and where it goes.
type Spec struct {
	Role     string        `json:"role"`
	Member   string        `json:"member"`
	Pool     string        `json:"pool"`
	Name     string        `json:"listener"`
	Protocol wire.Protocol `json:"protocol"`
	// Port is the table's port (what the journal and the report call it).
	Port int `json:"port"`
	// Addr is host:port to bind (after --bind, --port-offset and topology overrides).
	Addr string `json:"addr"`
	// ClientCert on HTTPS: "" (not asked), "request" or "require". SIP and CLS always require.
	ClientCert string `json:"client_cert,omitempty"`
	// HTTP3 also serves HTTP/3 on the same UDP port (HTTPS only).
	HTTP3 bool `json:"http3,omitempty"`
	// Guard makes the listener a guard on a port the table denies toward the role: it journals
	// every connection as a guard hit (kind guard, code guard) before anything else, then
	// answers in the port's protocol with the identity marked guard (a 403 on HTTP(S) and SIP,
	// the CLS banner with guard=true, the QUIC identity). It asks for no client certificate.
	Guard bool `json:"guard,omitempty"`
	// Profile is the wire profile (wireprofile.Names) the listener looks like on the wire: TLS
	// versions, suites in the host's order, curves, ALPN, the HTTP and SIP Server headers. ""
	// is wireprofile.Default (Lync Server 2013 on Windows Server 2012 R2).
	Profile string `json:"profile,omitempty"`
	// Peers, on a mutual TLS listener, are the only servers whose client certificates it takes
	// (see Peers); nil accepts any certificate that chains to the trusted CA and is not revoked
	// (the CLS ports, whose table source is "any", and a `known_peers: any` override).
	Peers *Peers `json:"peers,omitempty"`
}

// Transport is the spec's layer-4 transport: udp for a QUIC responder, else tcp.
func (s Spec) Transport() wire.Transport {
	if s.Protocol == wire.ProtoUDPQUIC {
		return wire.TransportUDP
	}
	return wire.TransportTCP
}

// Env is what every listener of a process shares.
type Env struct {
	// TLS is the server identity and the trust for client certificates.
	TLS *certs.Identity
	// Journal receives every event; nil discards.
	Journal journal.Recorder
	// Log receives operational messages; nil discards.
	Log *slog.Logger
	// Conns caps the open TCP connections of every listener that shares it, in total and per
	// source (server.Start makes one per process); nil caps nothing. Its Limits also set the
	// SIP timeouts (nil: the defaults).
	Conns *ConnLimiter
}

// limits are the process's limits, defaults filled in.
func (e Env) limits() Limits {
	if e.Conns == nil {
		return Limits{}.withDefaults()
	}
	return e.Conns.Limits()
}

// journal is where the listeners record: Env.Journal, with its failures logged (once a
// second, with a count) so that none is silent.
//
// It is called on every request: it returns a concrete value (no interface to allocate) and
// makes the logger only when a write fails.
func (e Env) journal() loggedRecorder {
	if e.Journal == nil {
		return loggedRecorder{r: journal.Discard}
	}
	return loggedRecorder{r: e.Journal, log: e.Log}
}

// certSHA256 is the SHA-256 fingerprint (hex) of the leaf certificate the listeners serve, so
// every identity they send names it (a prober shown another met a TLS interceptor).
func (e Env) certSHA256() string {
	if e.TLS == nil || len(e.TLS.Cert.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(e.TLS.Cert.Certificate[0])
	return hex.EncodeToString(sum[:])
}

// log is Env.Log with client bytes escaped and cut, and repeated messages rate-limited
// (logsafe.go).
func (e Env) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return safeLogger(e.Log)
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
func ListenerName(protocol wire.Protocol, port int) string {
	return string(protocol) + "-" + strconv.Itoa(port)
}

// GuardName is how a guard listener is named: "guard-https-444", "guard-udp-quic-443".
func GuardName(protocol wire.Protocol, port int) string {
	return "guard-" + ListenerName(protocol, port)
}

// New binds the listener a spec describes.
func New(spec Spec, env Env) (Listener, error) {
	if err := checkProfile(spec); err != nil {
		return nil, err
	}
	switch spec.Protocol {
	case wire.ProtoHTTP:
		return newHTTP(spec, env, false)
	case wire.ProtoHTTPS:
		if spec.HTTP3 && !spec.Guard {
			return newHTTPS3(spec, env) // h3.go: HTTP/3 on the same UDP port too
		}
		return newHTTP(spec, env, true)
	case wire.ProtoUDPQUIC:
		return newQUIC(spec, env) // quic.go: the generic QUIC responder
	case wire.ProtoSIPMTLS:
		return newSIP(spec, env)
	case wire.ProtoCLSMTLS:
		return newCLS(spec, env)
	}
	return nil, fmt.Errorf("%s listener %s: protocol %q cannot be served", spec.Role, spec.Name, spec.Protocol)
}

// ErrNoServerCert is what a TLS listener returns without a server certificate (Env.TLS nil);
// the command line adds how to get one.
var ErrNoServerCert = errors.New("no server certificate")

func noServerCert(spec Spec) error {
	return fmt.Errorf("%s listener %s: %w", spec.Role, spec.Name, ErrNoServerCert)
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

// listenTCP binds spec.Addr; a guard's socket journals every connection it accepts as a hit.
func listenTCP(spec Spec, env Env) (net.Listener, error) {
	l, err := net.Listen("tcp", spec.Addr)
	if err != nil {
		return nil, &BindError{Spec: spec, Err: err}
	}
	if env.Conns != nil {
		l = &limitListener{Listener: l, spec: spec, env: env}
	}
	if spec.Guard {
		return &guardListener{Listener: l, spec: spec, env: env}, nil
	}
	return l, nil
}
