// Package journal holds the Event every listener produces and the append-only JSON Lines file
// they go to. Everything a person sees (report, metrics, the live page) is computed from Events.
package journal

import (
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// Event kinds.
const (
	KindHandshake = "handshake" // a TLS handshake finished or failed
	KindHTTP      = "http"      // an HTTP request was answered
	KindSIP       = "sip"       // a SIP request was answered
	KindCLS       = "cls"       // a CLS banner exchange finished
	KindConnect   = "connect"   // a TCP connection that sent nothing a listener could answer (connect-only, a plain-port connect)
	KindQUIC      = "quic"      // a QUIC responder answered its identity on a stream
	// KindGuard is a hit on a guard listener: something reached a port the table denies toward
	// this role (outcome ok: the guard answered; code guard). The report counts it as "a denied
	// path is open", with the source.
	KindGuard = "guard"
)

// Transports of an event: TransportTCP, and TransportUDPQUIC for QUIC (HTTP/3 and the udp-quic
// responder). They are wire's words.
const (
	TransportTCP     = wire.JournalTCP
	TransportUDPQUIC = wire.JournalUDPQUIC
)

// Outcomes of an event (wire's words): ok, failed, and connect-only (a TCP connection on a TLS
// port that closed or idled without a ClientHello: a health monitor or a scanner).
const (
	OutcomeOK          = wire.OutcomeOK
	OutcomeFailed      = wire.OutcomeFailed
	OutcomeConnectOnly = wire.OutcomeConnectOnly
)

// Event is one observation: who came from where, with which certificate, asking what.
type Event struct {
	Time      time.Time             `json:"time"`
	Kind      string                `json:"kind"`
	Role      string                `json:"role"`
	Member    string                `json:"member"`
	Listener  string                `json:"listener"`
	Protocol  wire.Protocol         `json:"protocol"`
	Port      int                   `json:"port"`
	Transport wire.JournalTransport `json:"transport"`
	Local     string                `json:"local"`
	Remote    string                `json:"remote"`
	TLS       *TLSInfo              `json:"tls,omitempty"`
	HTTP      *HTTPInfo             `json:"http,omitempty"`
	SIP       *SIPInfo              `json:"sip,omitempty"`
	CLS       *CLSInfo              `json:"cls,omitempty"`
	Outcome   wire.Outcome          `json:"outcome"`
	Reason    string                `json:"reason,omitempty"`
	// Code is the reason's stable class (no-client-cert, unknown-authority, connect-only,
	// guard ...): metrics, tables and the report group on it, never on the sentence.
	Code wire.Code `json:"code,omitempty"`
	// DurationMS is how long the step took (handshake, request), in milliseconds.
	DurationMS float64 `json:"duration_ms,omitempty"`
}

// TLSInfo is the TLS side of a connection.
type TLSInfo struct {
	Version    string    `json:"version,omitempty"`
	Cipher     string    `json:"cipher,omitempty"`
	SNI        string    `json:"sni,omitempty"`
	ALPN       string    `json:"alpn,omitempty"`
	ClientCert *CertInfo `json:"client_cert,omitempty"`
	// QUICVersion is the QUIC version of a QUIC connection ("v1", "v2"); empty on TCP.
	QUICVersion string `json:"quic_version,omitempty"`
}

// CertInfo names a peer certificate and whether it verified against the listener's trust.
type CertInfo = wire.CertInfo

// HTTPInfo is one HTTP request and its answer.
type HTTPInfo struct {
	Method        string `json:"method"`
	Path          string `json:"path"`
	Host          string `json:"host"`
	XForwardedFor string `json:"x_forwarded_for,omitempty"`
	UserAgent     string `json:"user_agent,omitempty"`
	Status        int    `json:"status"`
}

// SIPInfo is one SIP request and its answer.
type SIPInfo struct {
	Method string `json:"method"`
	CallID string `json:"call_id,omitempty"`
	From   string `json:"from,omitempty"`
	Via    string `json:"via,omitempty"`
	Status int    `json:"status,omitempty"`
}

// CLSInfo is the CLS banner exchange (the session's first event), or one command of the line
// protocol (PING, QUIT, or what the client sent instead) and the mock's answer.
type CLSInfo struct {
	Banner string `json:"banner"`
	Echoed int    `json:"echoed"`
	// Command is the client's line (cut to 64 bytes); Reply the mock's. Empty on the banner event.
	Command string `json:"command,omitempty"`
	Reply   string `json:"reply,omitempty"`
}

// Recorder takes events. Record returns once the event is safely handed over (for the file
// writer: written to the kernel), so a listener can answer after it.
type Recorder interface {
	Record(Event) error
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(Event) error

// Record calls f.
func (f RecorderFunc) Record(e Event) error { return f(e) }

// Tee records to every recorder in turn and returns the first error.
type Tee []Recorder

// Record records e everywhere.
func (t Tee) Record(e Event) error {
	var first error
	for _, r := range t {
		if err := r.Record(e); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Discard drops events.
var Discard Recorder = RecorderFunc(func(Event) error { return nil })
