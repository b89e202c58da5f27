package listeners

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/journal"
)

// HandshakeTimeout bounds a TLS handshake; a peer that stalls longer is journaled as failed.
const HandshakeTimeout = 10 * time.Second

// tlsAcceptor accepts TCP connections, runs each TLS handshake in its own goroutine, journals
// its outcome (with the client certificate and why it was refused) and hands finished
// connections to Accept. It is a net.Listener, so net/http and sipgo serve on it unchanged.
type tlsAcceptor struct {
	raw  net.Listener
	spec Spec
	env  Env
	conf *tls.Config
	// profile is the wire profile every handshake is made with (Spec.Profile): versions,
	// suites and curves in the host's order, chosen by the server, ALPN.
	profile wireprofile.Profile
	mtls    string // "", "request", "require"
	// guard: a guard's acceptor (the hit is journaled on accept; no handshake lines, any client).
	guard bool
	ready chan *tls.Conn
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup

	mu sync.Mutex
	// conns are the open raw connections: false while the handshake runs (the acceptor owns
	// them), true once Accept handed them out (the server that accepted them owns them).
	conns map[*trackedConn]bool
}

func newTLSAcceptor(raw net.Listener, spec Spec, env Env, conf *tls.Config, clientCert string) *tlsAcceptor {
	// New checked the profile name already; a listener made inside the package with an unknown
	// one gets the default rather than a panic.
	prof, err := spec.wireProfile()
	if err != nil {
		prof = wireprofile.MustGet(wireprofile.Default)
	}
	a := &tlsAcceptor{raw: raw, spec: spec, env: env, conf: conf, profile: prof, mtls: clientCert, guard: spec.Guard,
		ready: make(chan *tls.Conn), done: make(chan struct{}), conns: map[*trackedConn]bool{}}
	a.wg.Add(1)
	go a.acceptLoop()
	return a
}

func (a *tlsAcceptor) acceptLoop() {
	defer a.wg.Done()
	// Accept errors (out of file descriptors) back off from 5 ms to 1 s, as net/http does, and
	// are logged at most once a second with how many there were.
	var delay time.Duration
	var failed int
	var logged time.Time
	for {
		c, err := a.raw.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			failed++
			if time.Since(logged) >= time.Second {
				a.env.log().Warn("accept failed", "listener", a.spec.Name, "err", err, "times", failed)
				failed, logged = 0, time.Now()
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(delay):
			case <-a.done:
				return
			}
			continue
		}
		delay = 0
		tc := &trackedConn{Conn: c, a: a}
		a.mu.Lock()
		a.conns[tc] = false
		a.mu.Unlock()
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.handshake(tc)
		}()
	}
}

func (a *tlsAcceptor) forget(c *trackedConn) {
	a.mu.Lock()
	delete(a.conns, c)
	a.mu.Unlock()
}

// handOver marks c as owned by the server that accepted it; false when c is already closed.
func (a *tlsAcceptor) handOver(c *trackedConn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, open := a.conns[c]; !open {
		return false
	}
	a.conns[c] = true
	return true
}

// handshake runs the server handshake with our own client-certificate verification, so that the
// journal can name the certificate that was refused and why. A connection that sends nothing
// before it closes or idles out is journaled as connect-only (a TCP health monitor or a
// scanner), not as a failed handshake.
func (a *tlsAcceptor) handshake(raw *trackedConn) {
	start := time.Now()
	// What the callbacks see. The connection keeps a config holding them for its life (the wire
	// profile's per-client clone of conf): they reach it through one pointer, cleared after the
	// handshake, so an idle connection holds no more than crypto/tls's own state.
	seen := &handshakeSeen{}
	conf := a.conf.Clone()
	switch {
	case a.guard:
		conf.ClientAuth = tls.RequestClientCert // a guard shows the path is open: any client will do
	case a.mtls == "require":
		conf.ClientAuth = tls.RequireAnyClientCert
	case a.mtls == "request":
		conf.ClientAuth = tls.RequestClientCert
	default:
		conf.ClientAuth = tls.NoClientCert
	}
	roots := a.conf.ClientCAs
	prev := conf.GetConfigForClient
	conf.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		// The SNI and ALPN the client offered, for the journal line of a handshake that fails.
		seen.sni, seen.offered = hello.ServerName, hello.SupportedProtos
		if prev != nil {
			return prev(hello)
		}
		return nil, nil
	}
	if !a.guard && conf.ClientAuth != tls.NoClientCert {
		// (Only where a certificate is asked for: crypto/tls calls VerifyConnection on every
		// handshake, a plain HTTPS one too.)
		// VerifyConnection, not VerifyPeerCertificate: it sees the chain crypto/tls parsed (and
		// keeps for the connection's life), so no second copy is parsed and kept. It runs as
		// soon as the client's certificates are in, before the key exchange.
		// The certificate directory's revocation check (certs.RevocationCheck) is the config's own
		// VerifyConnection: it still runs, after these checks, and refuses a revoked client
		// whatever the listener's client certificate mode.
		minRSA, peers, mtls, revocation := a.env.limits().MinClientRSABits, a.spec.Peers, a.mtls, conf.VerifyConnection
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			seen.peer, seen.leaf, seen.verifyErr = verifyChain(cs.PeerCertificates, roots, minRSA)
			if seen.verifyErr == nil && peers != nil && !peers.knows(seen.leaf) {
				seen.verifyErr = &unknownServerError{cn: seen.leaf.Subject.CommonName, roles: peers.Roles}
			}
			if seen.verifyErr != nil && mtls == "require" {
				return seen.verifyErr
			}
			if revocation != nil {
				return revocation(cs) // journaled from the handshake's error, as before
			}
			return nil
		}
	}
	// The profile goes on last, over this connection's client authentication, so the config it
	// picks per ClientHello keeps them.
	tc := tls.Server(raw, a.profile.ServerTLS(conf))
	ctx, cancel := context.WithTimeout(context.Background(), HandshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	got := *seen
	*seen = handshakeSeen{}
	peer, leaf, verifyErr := got.peer, got.leaf, got.verifyErr
	if a.guard {
		// The guard hit is journaled already; a handshake that fails ends the connection.
		if err != nil {
			raw.Close()
			return
		}
		a.handOut(raw, tc)
		return
	}
	ev := a.event(raw, journal.KindHandshake)
	ev.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		ev.Outcome = journal.OutcomeFailed
		ev.Code, ev.Reason = handshakeProblem(err, verifyErr, leaf)
		if raw.read.Load() == 0 {
			ev.Kind, ev.Outcome = journal.KindConnect, journal.OutcomeConnectOnly
			ev.Code, ev.Reason = wire.CodeConnectOnly, connectOnlyReason(err)
		}
		select {
		case <-a.done:
			ev.Reason = "listener stopped during the handshake"
		default:
		}
		if ev.Kind == journal.KindHandshake {
			ev.TLS = &journal.TLSInfo{SNI: got.sni, ALPN: strings.Join(got.offered, ","), ClientCert: peer}
		}
		_ = a.env.journal().Record(ev)
		raw.Close()
		return
	}
	ev.Outcome = journal.OutcomeOK
	ev.TLS = tlsInfo(tc.ConnectionState(), peer)
	if verifyErr != nil {
		code, why := certProblem(verifyErr, leaf)
		ev.Code, ev.Reason = code, "client certificate not verified: "+why
	}
	_ = a.env.journal().Record(ev)
	a.handOut(raw, tc)
}

// handshakeSeen is what one handshake's callbacks saw: the client certificate and why it was
// refused, the SNI and ALPN offered.
type handshakeSeen struct {
	peer      *journal.CertInfo
	leaf      *x509.Certificate
	verifyErr error
	sni       string
	offered   []string
}

// handOut gives a finished connection to whoever accepts it (Close leaves it to them), or
// closes it here when the acceptor stops first.
func (a *tlsAcceptor) handOut(raw *trackedConn, tc *tls.Conn) {
	if !a.handOver(raw) {
		tc.Close()
		return
	}
	select {
	case <-a.done:
		tc.Close()
		return
	default:
	}
	select {
	case a.ready <- tc:
	case <-a.done:
		tc.Close()
	}
}

func (a *tlsAcceptor) event(c net.Conn, kind string) journal.Event {
	return baseEvent(a.spec, kind, c.LocalAddr(), c.RemoteAddr())
}

// Accept returns the next connection whose handshake succeeded. It is a *tls.Conn, as net/http
// needs to see one for r.TLS and HTTP/2.
func (a *tlsAcceptor) Accept() (net.Conn, error) {
	select {
	case <-a.done:
		return nil, net.ErrClosed
	default:
	}
	select {
	case c := <-a.ready:
		return c, nil
	case <-a.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting, closes the connections still in their handshake and waits for those
// handshakes to end. Connections Accept handed out belong to the server that accepted them (so
// http.Server.Shutdown can let their requests finish); CloseConns ends them too.
func (a *tlsAcceptor) Close() error {
	var err error
	a.once.Do(func() {
		close(a.done)
		err = a.raw.Close()
		a.closeConns(false)
		a.wg.Wait()
	})
	return err
}

// CloseConns closes every connection the acceptor handed out that is still open.
func (a *tlsAcceptor) CloseConns() {
	a.closeConns(true)
}

func (a *tlsAcceptor) closeConns(handedOut bool) {
	a.mu.Lock()
	var cs []*trackedConn
	for c, out := range a.conns {
		if out == handedOut {
			cs = append(cs, c)
		}
	}
	a.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

func (a *tlsAcceptor) Addr() net.Addr { return a.raw.Addr() }

// trackedConn is a raw connection that leaves the acceptor's set when closed, so Close of the
// acceptor can end every open connection and nothing else.
type trackedConn struct {
	net.Conn
	a    *tlsAcceptor
	once sync.Once
	// read counts the bytes read: none at all before the handshake failed is a bare connect.
	read atomic.Int64
	// writes counts the writes, timedOut says a read hit its deadline: how httpwatch.go tells
	// what net/http did with a request that never reached the handler.
	writes   atomic.Int64
	timedOut atomic.Bool
}

func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.timedOut.Store(true)
	}
	return n, err
}

func (c *trackedConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.a.forget(c) })
	return c.Conn.Close()
}

// cipherNames caches tls.CipherSuiteName, which builds the whole suite list on every call (15
// allocations): the web handler names the cipher on every request.
var cipherNames = func() map[uint16]string {
	m := map[uint16]string{}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		m[c.ID] = c.Name
	}
	return m
}()

// cipherName is tls.CipherSuiteName without the allocations.
func cipherName(id uint16) string {
	if n, ok := cipherNames[id]; ok {
		return n
	}
	return tls.CipherSuiteName(id)
}

func tlsInfo(st tls.ConnectionState, peer *journal.CertInfo) *journal.TLSInfo {
	return &journal.TLSInfo{
		Version:    tls.VersionName(st.Version),
		Cipher:     cipherName(st.CipherSuite),
		SNI:        st.ServerName,
		ALPN:       st.NegotiatedProtocol,
		ClientCert: peer,
	}
}

func baseEvent(spec Spec, kind string, local, remote net.Addr) journal.Event {
	ev := journal.Event{
		Time: time.Now().UTC(), Kind: kind, Role: spec.Role, Member: spec.Member, Listener: spec.Name,
		Protocol: spec.Protocol, Port: spec.Port, Transport: journal.TransportTCP,
	}
	if local != nil {
		ev.Local = local.String()
	}
	if remote != nil {
		ev.Remote = remote.String()
	}
	return ev
}
