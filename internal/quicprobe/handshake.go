// Package quicprobe holds the prober's UDP checks: a QUIC handshake (udp-quic) and an HTTP/3
// request (h3). A QUIC handshake gives a definitive answer where plain UDP probing cannot:
// open (the handshake finished), refused (an ICMP port unreachable reached the socket),
// filtered (no answer at all in time) or handshake-failed (something answered, but no QUIC
// handshake with a certificate we trust and a common ALPN came of it). The states are wire's.
package quicprobe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// DefaultTimeout bounds a check whose context has no deadline.
const DefaultTimeout = 5 * time.Second

// Outcome is what a QUIC handshake check saw.
type Outcome struct {
	// State is open, filtered, refused or handshake-failed; error when the context was
	// cancelled before the check ended (an interrupted run proves nothing).
	State wire.State `json:"state"`
	// Reason says why, in a few words (empty when open and the identity answered); Code is
	// its class.
	Reason string    `json:"reason,omitempty"`
	Code   wire.Code `json:"code,omitempty"`
	// Version is the QUIC version negotiated ("v1"), ALPN the application protocol.
	Version string `json:"version,omitempty"`
	ALPN    string `json:"alpn,omitempty"`
	// TLSVersion and ServerCert describe the server side of the handshake.
	TLSVersion string `json:"tls_version,omitempty"`
	ServerCert string `json:"server_cert,omitempty"`
	// Identity is what a mockdirector QUIC responder answered on its identity stream (nil when
	// the ALPN was not QUICALPN or the stream failed: see Reason).
	Identity *wire.Identity `json:"identity,omitempty"`
	// Local is the address the probe sent from.
	Local string `json:"local,omitempty"`
	// Duration is how long the check took.
	Duration time.Duration `json:"duration"`
}

// Handshake runs a QUIC handshake to target (host:port) from source ("" lets the kernel choose;
// "ip" or "ip:port") within ctx's deadline (DefaultTimeout when it has none). tlsConf must name
// the server (ServerName) and trust its CA (RootCAs); empty NextProtos offers QUICALPN. When the
// negotiated ALPN is QUICALPN the responder's identity is read from one stream.
func Handshake(ctx context.Context, target, source string, tlsConf *tls.Config) Outcome {
	start := time.Now()
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	conf := tlsConf.Clone()
	if conf == nil {
		conf = &tls.Config{}
	}
	if len(conf.NextProtos) == 0 {
		conf.NextProtos = []string{wire.QUICALPN}
	}
	pc, err := dialConnected(ctx, target, source)
	if err != nil {
		return Outcome{State: wire.StateHandshakeFailed, Code: wire.CodeError, Reason: err.Error(), Duration: time.Since(start)}
	}
	defer pc.Close()
	out := Outcome{Local: pc.LocalAddr().String()}
	c, err := quic.Dial(ctx, pc, pc.raddr, conf, clientConfig(ctx))
	if err != nil {
		out.State, out.Code, out.Reason = classify(ctx, err, pc)
		out.Duration = time.Since(start)
		return out
	}
	st := c.ConnectionState()
	out.State = wire.StateOpen
	out.Version = st.Version.String()
	out.ALPN = st.TLS.NegotiatedProtocol
	out.TLSVersion = tls.VersionName(st.TLS.Version)
	if len(st.TLS.PeerCertificates) > 0 {
		out.ServerCert = st.TLS.PeerCertificates[0].Subject.String()
	}
	// In TLS 1.3 the client finishes before the server has judged its certificate: a server that
	// refuses it closes the connection right after. The first thing the server sends on the
	// application's behalf (the identity answer, HTTP/3's control stream) confirms it did not.
	switch out.ALPN {
	case wire.QUICALPN:
		id, err := readIdentity(ctx, c)
		if err != nil {
			out.Reason = "handshake done, identity not read: " + err.Error()
		}
		out.Identity = id
	case "h3":
		if _, err := c.AcceptUniStream(ctx); err != nil && ctx.Err() == nil {
			out.Reason = "handshake done, no HTTP/3 control stream: " + err.Error()
		}
	}
	if cause := context.Cause(c.Context()); cause != nil && c.Context().Err() != nil {
		out.State, out.Code, out.Reason = classify(ctx, cause, pc)
		out.Reason = "after the handshake: " + out.Reason
		out.Identity = nil
	}
	c.CloseWithError(0, "")
	out.Duration = time.Since(start)
	return out
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// clientConfig lets the handshake run as long as ctx allows (quic-go's default is 5 s).
func clientConfig(ctx context.Context) *quic.Config {
	conf := &quic.Config{MaxIdleTimeout: 30 * time.Second}
	if dl, ok := ctx.Deadline(); ok {
		conf.HandshakeIdleTimeout = max(time.Until(dl), time.Millisecond)
	}
	return conf
}

// readIdentity asks a QUIC responder who it is: one line out, one JSON line back.
func readIdentity(ctx context.Context, c *quic.Conn) (*wire.Identity, error) {
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening a stream: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		st.SetDeadline(dl)
	}
	if _, err := io.WriteString(st, wire.QUICIdentityRequest); err != nil {
		return nil, fmt.Errorf("writing the request: %w", err)
	}
	st.Close()
	line, err := bufio.NewReader(io.LimitReader(st, 64<<10)).ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	id, ok := wire.ParseQUICLine(line)
	if !ok {
		return nil, fmt.Errorf("the answer is not a mockdirector identity: %q", truncate(line, 60))
	}
	return id, nil
}

// truncate shortens b for a message.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}

// classify turns a failed dial into a state, a reason code and a reason.
func classify(ctx context.Context, err error, pc *connectedConn) (wire.State, wire.Code, string) {
	if pc.refused.Load() {
		return wire.StateRefused, wire.CodeRefused, "ICMP port unreachable (nothing listens on that UDP port, or a firewall rejects)"
	}
	var (
		idle   *quic.IdleTimeoutError
		hs     *quic.HandshakeTimeoutError
		te     *quic.TransportError
		ae     *quic.ApplicationError
		vn     *quic.VersionNegotiationError
		reset  *quic.StatelessResetError
		ua     x509.UnknownAuthorityError
		hn     x509.HostnameError
		ci     x509.CertificateInvalidError
		answer = pc.received.Load()
	)
	// A cancelled context (the run interrupted, SIGINT) ended the handshake, not the path: no
	// answer seen proves no drop, so it is an error (the check did not run to its end), never
	// filtered, which a deny row would pass on. Checked before the timeouts, on ctx as well as
	// err (quic-go may report the cancellation as another error); an ICMP refusal already seen
	// stays one. The deadline is the check's own and stays a timeout.
	if errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
		return wire.StateError, wire.CodeError, fmt.Sprintf("cancelled before the handshake finished (%d datagrams came back): the run was interrupted, nothing is proven", answer)
	}
	timedOut := errors.As(err, &idle) || errors.As(err, &hs) || errors.Is(err, context.DeadlineExceeded)
	switch {
	case timedOut && answer == 0:
		return wire.StateFiltered, wire.CodeFiltered, "no answer in time (dropped on the way, or nothing answers QUIC there)"
	case timedOut:
		return wire.StateHandshakeFailed, wire.CodeTimeout, fmt.Sprintf("handshake not finished in time (%d datagrams came back)", answer)
	case errors.As(err, &ua):
		return wire.StateHandshakeFailed, wire.CodeUnknownAuthority, "server certificate from an unknown authority: " + err.Error()
	case errors.As(err, &hn):
		return wire.StateHandshakeFailed, wire.CodeWrongName, "server certificate does not name the server: " + err.Error()
	case errors.As(err, &ci):
		return wire.StateHandshakeFailed, wire.CodeHandshake, "server certificate invalid: " + err.Error()
	case errors.As(err, &vn):
		return wire.StateHandshakeFailed, wire.CodeProtocol, "no common QUIC version: " + err.Error()
	case errors.As(err, &reset):
		return wire.StateHandshakeFailed, wire.CodeHandshake, "stateless reset (the server knows no such connection)"
	case errors.As(err, &te):
		if te.Remote && te.ErrorCode.IsCryptoError() {
			switch alert := uint8(te.ErrorCode - 0x100); alert {
			case 120: // no_application_protocol
				return wire.StateHandshakeFailed, wire.CodeProtocol, "no common ALPN (the server speaks another application protocol): " + te.Error()
			case 42, 43, 44, 45, 46, 48, 116: // bad, unsupported, revoked, expired, unknown certificate; unknown_ca; certificate_required
				return wire.StateHandshakeFailed, wire.CodeNoClientCert, "server refused the client certificate: " + te.Error()
			}
		}
		who := "server"
		if !te.Remote {
			who = "probe"
		}
		return wire.StateHandshakeFailed, wire.CodeHandshake, fmt.Sprintf("%s closed the handshake: %s", who, te.Error())
	case errors.As(err, &ae):
		return wire.StateHandshakeFailed, wire.CodeHandshake, "server closed the connection: " + ae.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && answer == 0 {
		return wire.StateFiltered, wire.CodeFiltered, "no answer in time"
	}
	return wire.StateHandshakeFailed, wire.CodeHandshake, err.Error()
}
