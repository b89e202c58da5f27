package listeners

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// The generic QUIC responder proves a UDP path with a real handshake, on any UDP port a topology
// names (transport udp-quic): plain UDP probing cannot tell "open and silent" from "filtered",
// a QUIC handshake can. After the handshake the client opens one bidirectional stream and sends
// a line (anything, at most QUICMaxLine bytes, wire.QUICIdentityRequest by convention); the responder answers
// the Identity as one JSON line and closes the stream. Garbage datagrams are dropped by quic-go.
const (
	// QUICALPN is the application protocol the responder negotiates (wire.QUICALPN).
	QUICALPN = wire.QUICALPN
	// QUICMaxLine bounds the request line on the identity stream.
	QUICMaxLine = 1024
	// QUICIdleTimeout closes a QUIC connection that sends nothing for this long.
	QUICIdleTimeout = 30 * time.Second
	// QUICStreamTimeout bounds waiting for, reading and answering the identity stream.
	QUICStreamTimeout = 10 * time.Second
)

// quicConfig is the quic-go configuration of every mock QUIC listener: handshakes are bounded
// like TLS ones, few streams per connection (a prober needs one, a browser a handful).
func quicConfig() *quic.Config {
	return &quic.Config{
		HandshakeIdleTimeout:  HandshakeTimeout,
		MaxIdleTimeout:        QUICIdleTimeout,
		MaxIncomingStreams:    100,
		MaxIncomingUniStreams: 10,
	}
}

// quicSocket is the UDP socket and quic-go transport a QUIC listener serves on.
type quicSocket struct {
	udp  *net.UDPConn
	tr   *quic.Transport
	once sync.Once
	err  error
}

// listenQUIC binds spec.Addr over UDP (or addr when not empty) and wraps it in a quic-go transport.
func listenQUIC(spec Spec, addr string) (*quicSocket, error) {
	if addr == "" {
		addr = spec.Addr
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, &BindError{Spec: spec, Err: err}
	}
	udp, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, &BindError{Spec: spec, Err: fmt.Errorf("udp: %w", err), UDP: true}
	}
	return &quicSocket{udp: udp, tr: &quic.Transport{Conn: udp}}, nil
}

// Close closes every QUIC connection and the socket; later calls return the first result.
func (s *quicSocket) Close() error {
	s.once.Do(func() {
		s.err = s.tr.Close()
		if e := s.udp.Close(); e != nil && !errors.Is(e, net.ErrClosed) && s.err == nil {
			s.err = e
		}
	})
	return s.err
}

// quicTLS is the server TLS configuration of a QUIC listener: the listener's certificate, the
// ALPNs it speaks and a client certificate asked for and verified by us for the journal (and
// required when spec.ClientCert is "require"). Handshakes refused for want of a common ALPN or
// of an acceptable client certificate are journaled here, since quic-go refuses them without the
// listener ever seeing a connection.
func quicTLS(spec Spec, env Env, alpn []string) *tls.Config {
	conf := env.TLS.ServerConfig(false)
	conf.ClientAuth = tls.RequestClientCert
	conf.NextProtos = alpn
	roots := env.TLS.Roots
	conf.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		var local, remote net.Addr
		if hello.Conn != nil {
			local, remote = hello.Conn.LocalAddr(), hello.Conn.RemoteAddr()
		}
		if spec.Guard {
			// A ClientHello on a guard is the hit: the path is open, whatever follows.
			ev := quicEvent(spec, journal.KindGuard, local, remote)
			ev.TLS = &journal.TLSInfo{SNI: hello.ServerName, ALPN: strings.Join(hello.SupportedProtos, ",")}
			if err := recordGuardHit(spec, env, ev); err != nil {
				return nil, fmt.Errorf("journal write failed: %w", err)
			}
		}
		refuse := func(code wire.Code, reason string, peer *journal.CertInfo) {
			if spec.Guard {
				return // journaled as the hit already
			}
			ev := quicEvent(spec, journal.KindHandshake, local, remote)
			ev.Outcome, ev.Code, ev.Reason = journal.OutcomeFailed, code, reason
			ev.TLS = &journal.TLSInfo{SNI: hello.ServerName, ClientCert: peer}
			_ = env.journal().Record(ev)
		}
		if !slices.ContainsFunc(hello.SupportedProtos, func(p string) bool { return slices.Contains(alpn, p) }) {
			refuse(wire.CodeHandshake, fmt.Sprintf("no common ALPN: client offered [%s], this listener speaks [%s]",
				strings.Join(hello.SupportedProtos, " "), strings.Join(alpn, " ")), nil)
			return nil, nil // crypto/tls sends no_application_protocol
		}
		if spec.ClientCert != "require" || spec.Guard {
			return nil, nil
		}
		c := conf.Clone()
		c.GetConfigForClient = nil
		c.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			peer, leaf, err := verifyClient(raw, roots, env.limits().MinClientRSABits)
			if err != nil {
				code, why := certProblem(err, leaf)
				if code != wire.CodeNoClientCert {
					why = "client certificate refused: " + why
				}
				refuse(code, why, peer)
			}
			return err
		}
		return c, nil
	}
	return conf
}

// quicEvent is baseEvent for QUIC.
func quicEvent(spec Spec, kind string, local, remote net.Addr) journal.Event {
	ev := baseEvent(spec, kind, local, remote)
	ev.Transport = journal.TransportUDPQUIC
	return ev
}

// quicTLSInfo is the journal's TLS side of a QUIC connection, with the client certificate (if
// any) verified against the listener's trust.
func quicTLSInfo(st quic.ConnectionState, env Env) (*journal.TLSInfo, wire.Code, string) {
	var peer *journal.CertInfo
	var code wire.Code
	var reason string
	if certs := st.TLS.PeerCertificates; len(certs) > 0 && env.TLS != nil {
		var raw [][]byte
		for _, c := range certs {
			raw = append(raw, c.Raw)
		}
		var leaf *x509.Certificate
		var err error
		peer, leaf, err = verifyClient(raw, env.TLS.Roots, env.limits().MinClientRSABits)
		if err != nil {
			code, reason = certProblem(err, leaf)
			reason = "client certificate not verified: " + reason
		}
	}
	info := tlsInfo(st.TLS, peer)
	info.QUICVersion = st.Version.String()
	return info, code, reason
}

// journalQUICHandshake records a finished QUIC handshake (a guard's hit is journaled at its
// ClientHello instead).
func journalQUICHandshake(spec Spec, env Env, c *quic.Conn) error {
	if spec.Guard {
		return nil
	}
	ev := quicEvent(spec, journal.KindHandshake, c.LocalAddr(), c.RemoteAddr())
	ev.Outcome = journal.OutcomeOK
	ev.TLS, ev.Code, ev.Reason = quicTLSInfo(c.ConnectionState(), env)
	return env.journal().Record(ev)
}

// quicListener is the generic QUIC responder (transport udp-quic).
type quicListener struct {
	spec Spec
	env  Env
	sock *quicSocket
	ln   *quic.Listener
	once sync.Once
	wg   sync.WaitGroup
	// quit ends the sessions' waits when the listener drains.
	quit     context.Context
	stopQuit context.CancelFunc
	closing  atomic.Bool
	// certSHA256 is the served leaf's fingerprint, in every identity.
	certSHA256 string
}

func newQUIC(spec Spec, env Env) (Listener, error) {
	if env.TLS == nil {
		return nil, noServerCert(spec)
	}
	sock, err := listenQUIC(spec, "")
	if err != nil {
		return nil, err
	}
	ln, err := sock.tr.Listen(quicTLS(spec, env, []string{QUICALPN}), quicConfig())
	if err != nil {
		sock.Close()
		return nil, fmt.Errorf("%s listener %s: quic: %w", spec.Role, spec.Name, err)
	}
	quit, stopQuit := context.WithCancel(context.Background())
	return &quicListener{spec: spec, env: env, sock: sock, ln: ln, quit: quit, stopQuit: stopQuit, certSHA256: env.certSHA256()}, nil
}

func (l *quicListener) Spec() Spec     { return l.spec }
func (l *quicListener) Addr() net.Addr { return l.sock.udp.LocalAddr() }

// Close stops accepting and closes every connection and the socket at once.
func (l *quicListener) Close() error {
	var err error
	l.once.Do(func() {
		l.closing.Store(true)
		l.stopQuit()
		l.ln.Close()
		err = l.sock.Close()
	})
	return err
}

// Serve answers until ctx is done, then drains: it stops accepting, lets sessions in flight
// answer (at most DrainTimeout), closes the socket and returns once every session has ended, so
// the journal can be closed after it. Close ends it at once.
func (l *quicListener) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		l.closing.Store(true)
		l.stopQuit()
		l.ln.Close()
	})
	defer stop()
	var err error
	for {
		c, aerr := l.ln.Accept(context.Background())
		if aerr != nil {
			if !l.closing.Load() && !errors.Is(aerr, quic.ErrServerClosed) {
				err = fmt.Errorf("%s listener %s: %w", l.spec.Role, l.spec.Name, aerr)
			}
			break
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.session(c)
		}()
	}
	ended := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(ended)
	}()
	select {
	case <-ended:
	case <-time.After(DrainTimeout):
	}
	l.Close()
	<-ended
	return err
}

// session journals the handshake, answers one identity stream and closes the connection.
func (l *quicListener) session(c *quic.Conn) {
	start := time.Now()
	if err := journalQUICHandshake(l.spec, l.env, c); err != nil {
		l.env.log().Error("journal write failed", "listener", l.spec.Name, "err", err)
		c.CloseWithError(1, "mockdirector: journal write failed")
		return
	}
	ctx, cancel := context.WithTimeout(c.Context(), QUICStreamTimeout)
	defer cancel()
	defer context.AfterFunc(l.quit, cancel)()
	st, err := c.AcceptStream(ctx)
	if err != nil {
		// The prober may only have wanted the handshake: that is journaled already.
		c.CloseWithError(0, "")
		return
	}
	st.SetDeadline(time.Now().Add(QUICStreamTimeout))
	line, readErr := bufio.NewReaderSize(io.LimitReader(st, QUICMaxLine), QUICMaxLine).ReadString('\n')
	ev := quicEvent(l.spec, journal.KindQUIC, c.LocalAddr(), c.RemoteAddr())
	ev.TLS, _, _ = quicTLSInfo(c.ConnectionState(), l.env)
	ev.Outcome = journal.OutcomeOK
	if readErr != nil && !errors.Is(readErr, io.EOF) {
		ev.Outcome, ev.Code, ev.Reason = journal.OutcomeFailed, wire.CodeMalformed, "reading the identity request: "+readErr.Error()
	}
	ev.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	if !l.spec.Guard { // a guard journaled its hit at the ClientHello
		if err := l.env.journal().Record(ev); err != nil {
			l.env.log().Error("journal write failed", "listener", l.spec.Name, "err", err)
			st.CancelWrite(1)
			c.CloseWithError(1, "mockdirector: journal write failed")
			return
		}
	}
	if ev.Outcome == journal.OutcomeOK {
		id := l.identity(c, strings.TrimSpace(line))
		st.Write(id.QUICLine())
	}
	st.Close()
	// Let the peer read the answer and close first; the idle timeout ends a silent one.
	select {
	case <-c.Context().Done():
	case <-l.quit.Done():
		c.CloseWithError(0, "")
	case <-time.After(QUICStreamTimeout):
		c.CloseWithError(0, "")
	}
}

func (l *quicListener) identity(c *quic.Conn, request string) *wire.Identity {
	st := c.ConnectionState()
	id := l.spec.identity(l.certSHA256)
	id.Local, id.Remote, id.RemoteIP = c.LocalAddr().String(), c.RemoteAddr().String(), wire.HostOnly(c.RemoteAddr().String())
	id.SNI, id.TLSVersion, id.ALPN = st.TLS.ServerName, tls.VersionName(st.TLS.Version), st.TLS.NegotiatedProtocol
	id.Method = request
	if len(request) > 64 {
		id.Method = request[:64]
	}
	if info, _, _ := quicTLSInfo(st, l.env); info.ClientCert != nil {
		id.ClientCert = info.ClientCert
	}
	return id
}
