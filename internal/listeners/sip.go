package listeners

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// SIP answers. Lync 2013 servers say "RTC/5.0" in Server (the wire profile's SIPServer); who the
// mock is goes in the identity header (wire.HeaderSIP), not there.
const (
	sipAllow     = "INVITE, BYE, ACK, CANCEL, INFO, UPDATE, REFER, NOTIFY, BENOTIFY, OPTIONS, SUBSCRIBE, MESSAGE, PRACK, SERVICE"
	sipSupported = "ms-dialog-route-set-update, timer, histinfo, ms-safe-transfer, ms-sender, ms-early-media, Replaces, ms-conf-invite"
)

// SIPReadBuffer is the read buffer sipgo gives each SIP connection (sip.TransportBufferReadSize,
// 32 KiB by default, allocated for every connection whether it sends anything or not): a TLS
// record is read in pieces of this size, so 4 KiB costs a few more reads for the rare large
// message and saves 28 KiB on every idle connection (bench/cmd/idlerss).
const SIPReadBuffer = 2048

func init() {
	// sipgo reads it when a connection starts; set once, before any listener or prober runs.
	sip.TransportBufferReadSize = SIPReadBuffer
}

// sipListener is SIP over mutual TLS (5061) with sipgo: the client certificate is required and
// verified by the acceptor; OPTIONS gets 200 OK, other methods what a Lync server would answer to
// an unauthenticated peer; CRLF keep-alives are answered by sipgo's TCP transport (RFC 5626).
type sipListener struct {
	spec Spec
	env  Env
	acc  *tlsAcceptor
	ln   *sipConnListener
	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	once sync.Once
	// certSHA256 is the served leaf's fingerprint, in every identity header.
	certSHA256 string
	// server is the Server header value of the wire profile ("RTC/5.0").
	server string
	// hdr are the answer headers that are the same on every answer, made once (sipgo only
	// reads a response's headers).
	hdr sipHeaders
	// work answers requests on goroutines with grown stacks (sipwork.go).
	work *sipWorkers
}

// sipHeaders are the fixed headers of the listener's answers.
type sipHeaders struct {
	server, allow, supported, accept sip.Header
	challenges                       []sip.Header
}

// prepare makes the headers every answer carries.
func (l *sipListener) prepare() {
	l.hdr = sipHeaders{server: sip.NewHeader("Server", l.server), allow: sip.NewHeader("Allow", sipAllow),
		supported: sip.NewHeader("Supported", sipSupported), accept: sip.NewHeader("Accept", "application/sdp")}
	for _, h := range sipChallenges(l.spec) {
		l.hdr.challenges = append(l.hdr.challenges, sip.NewHeader("WWW-Authenticate", h))
	}
}

// identityValue is the X-MockDirector value of an answer to a request from remote. It is made
// once per connection (sipConnInfo.idHeader), so wire encodes it whole.
func (l *sipListener) identityValue(remote string) string {
	id := l.spec.identity(l.certSHA256)
	id.Remote = remote
	return id.SIPValue()
}

func newSIP(spec Spec, env Env) (Listener, error) {
	if env.TLS == nil {
		return nil, noServerCert(spec)
	}
	raw, err := listenTCP(spec, env)
	if err != nil {
		return nil, err
	}
	prof, err := spec.wireProfile()
	if err != nil {
		raw.Close()
		return nil, err
	}
	acc := newTLSAcceptor(raw, spec, env, env.TLS.ServerConfig(true), "require")
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(prof.SIPServer), sipgo.WithUserAgentHostname(spec.Member),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(env.log())),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(env.log())))
	if err != nil {
		acc.Close()
		return nil, fmt.Errorf("%s listener %s: %w", spec.Role, spec.Name, err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(env.log()))
	if err != nil {
		acc.Close()
		return nil, fmt.Errorf("%s listener %s: %w", spec.Role, spec.Name, err)
	}
	l := &sipListener{spec: spec, env: env, acc: acc, ln: &sipConnListener{tlsAcceptor: acc, limits: env.limits(), server: prof.SIPServer}, ua: ua, srv: srv, certSHA256: env.certSHA256(), server: prof.SIPServer}
	l.prepare()
	l.ln.idValue = l.identityValue
	l.work = newSIPWorkers(SIPWorkers)
	if spec.Guard {
		// A guard forbids everything, saying why (the hit is journaled on accept).
		forbid := l.answer(403, "Forbidden (mockdirector guard: the table denies this port)")
		srv.OnOptions(forbid)
		for _, m := range []sip.RequestMethod{sip.REGISTER, sip.INVITE, sip.SUBSCRIBE, sip.MESSAGE, sip.NOTIFY, sip.INFO, sip.REFER, sip.PUBLISH, sip.UPDATE, sip.PRACK, sip.BYE, sip.CANCEL, "SERVICE"} {
			srv.OnRequest(m, forbid)
		}
		srv.OnAck(func(req *sip.Request, _ sip.ServerTransaction) { l.ln.answered(req.Source()) })
		srv.OnNoRoute(forbid)
		return l, nil
	}
	srv.OnOptions(l.answer(200, "OK"))
	// Unauthenticated peers are challenged, as a Lync registrar does.
	for _, m := range []sip.RequestMethod{sip.REGISTER, sip.INVITE, sip.SUBSCRIBE, sip.MESSAGE, sip.NOTIFY, sip.INFO, sip.REFER, sip.PUBLISH, sip.UPDATE, sip.PRACK, "SERVICE"} {
		srv.OnRequest(m, l.answer(401, "Unauthorized"))
	}
	srv.OnBye(l.answer(481, "Call Leg/Transaction Does Not Exist"))
	srv.OnCancel(l.answer(481, "Call Leg/Transaction Does Not Exist"))
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		l.record(req, 0)
		l.ln.answered(req.Source())
	})
	srv.OnNoRoute(l.answer(405, "Method Not Allowed"))
	return l, nil
}

func (l *sipListener) Spec() Spec     { return l.spec }
func (l *sipListener) Addr() net.Addr { return l.acc.Addr() }

func (l *sipListener) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	// sipgo's ServeTLS returns only once its listener fails; closing it is how it stops.
	if err := l.srv.ServeTLS(l.ln); !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%s listener %s: %w", l.spec.Role, l.spec.Name, err)
	}
	return nil
}

func (l *sipListener) Close() error {
	var err error
	l.once.Do(func() {
		err = l.acc.Close()
		l.ua.Close() // closes the transport layer and its connections
		l.acc.CloseConns()
		l.work.close()
	})
	return err
}

func (l *sipListener) answer(code int, reason string) sipgo.RequestHandler {
	if l.work != nil {
		return l.work.run(l.answerNow(code, reason))
	}
	return l.answerNow(code, reason)
}

func (l *sipListener) answerNow(code int, reason string) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, code, reason, nil)
		res.AppendHeader(l.hdr.server)
		remote := req.Source()
		info := l.ln.info(remote)
		if info != nil && info.idHeader != nil {
			res.AppendHeader(info.idHeader) // the connection's: its source does not change
		} else {
			res.AppendHeader(sip.NewHeader(wire.HeaderSIP, l.identityValue(remote)))
		}
		switch code {
		case 200:
			res.AppendHeader(l.hdr.allow)
			res.AppendHeader(l.hdr.supported)
			res.AppendHeader(l.hdr.accept)
		case 401:
			for _, h := range l.hdr.challenges {
				res.AppendHeader(h)
			}
		case 405:
			res.AppendHeader(l.hdr.allow)
		}
		if l.spec.Guard {
			// The hit is journaled already.
		} else if err := l.recordConn(req, code, remote, info); err != nil {
			// Not answered as asked without a journal line (the recorder logs the failure).
			res = sip.NewResponseFromRequest(req, 503, "Service Unavailable (journal write failed)", nil)
		}
		if err := tx.Respond(res); err != nil {
			l.env.log().Debug("SIP respond failed", "listener", l.spec.Name, "err", err)
		}
		if info != nil {
			info.conn.idle()
		}
	}
}

func (l *sipListener) record(req *sip.Request, status int) error {
	remote := req.Source()
	return l.recordConn(req, status, remote, l.ln.info(remote))
}

// recordConn journals a request from remote, on the connection info (nil: not known).
func (l *sipListener) recordConn(req *sip.Request, status int, remote string, info *sipConnInfo) error {
	ev := baseEvent(l.spec, journal.KindSIP, nil, nil)
	ev.Remote = remote
	if info != nil {
		ev.Local, ev.TLS = info.local, info.tls
	}
	ev.Outcome = journal.OutcomeOK
	ev.SIP = &journal.SIPInfo{Method: string(req.Method), Status: status}
	if h := req.CallID(); h != nil {
		ev.SIP.CallID = h.Value()
	}
	if h := req.From(); h != nil {
		ev.SIP.From = h.Value()
	}
	if h := req.Via(); h != nil {
		ev.SIP.Via = h.Value()
	}
	return l.env.journal().Record(ev)
}

// sipConnListener remembers the TLS state of each connection it hands to sipgo, by remote
// address, so a SIP request's journal line can carry the client certificate it came with.
type sipConnListener struct {
	*tlsAcceptor
	conns  sync.Map // remote addr -> *sipConnInfo
	limits Limits   // the process's, defaults filled in
	server string   // the wire profile's SIP Server value, for the answers the framer writes
	// idValue is the listener's identity header value for a source (sipListener.identityValue).
	idValue func(remote string) string
}

type sipConnInfo struct {
	local string
	tls   *journal.TLSInfo
	conn  *sipConn
	// idHeader is the identity header of the connection's answers (made once: it names the
	// connection's source); nil when the listener prepared none.
	idHeader sip.Header
}

// info is what the listener knows of the connection from remote (nil: nothing).
func (s *sipConnListener) info(remote string) *sipConnInfo {
	if c, ok := s.conns.Load(remote); ok {
		return c.(*sipConnInfo)
	}
	return nil
}

// stopping reports whether the acceptor is closed (the listener stops).
func (s *sipConnListener) stopping() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *sipConnListener) Accept() (net.Conn, error) {
	c, err := s.tlsAcceptor.Accept()
	if err != nil {
		return nil, err
	}
	tc := c.(*tls.Conn)
	st := tc.ConnectionState()
	var peer *journal.CertInfo
	if len(st.PeerCertificates) > 0 {
		peer = certInfo(st.PeerCertificates[0])
		peer.Verified = !s.spec.Guard // the acceptor refuses any other on this listener
	}
	remote := c.RemoteAddr().String()
	sc := &sipConn{Conn: c, ln: s, remote: remote}
	info := &sipConnInfo{local: c.LocalAddr().String(), tls: tlsInfo(st, peer), conn: sc}
	if s.idValue != nil {
		info.idHeader = sip.NewHeader(wire.HeaderSIP, s.idValue(remote))
	}
	s.conns.Store(remote, info)
	return sc, nil
}

// answered marks the connection a request came from as between requests again.
func (s *sipConnListener) answered(remote string) {
	if c, ok := s.conns.Load(remote); ok {
		c.(*sipConnInfo).conn.idle()
	}
}

// sipConn is a SIP connection with the mock's read timeouts: a request must arrive whole within
// Limits.SIPRequestTimeout of its first byte; a connection that sends neither a request nor a
// CRLF keep-alive for Limits.SIPIdleTimeout is closed. (A read that ends one request and starts
// the next counts the next from its answer: bytes, not messages, are what a read sees.)
type sipConn struct {
	net.Conn
	// ln is the listener (its spec, env and limits: shared, not copied into every idle
	// connection); remote is the key of the connection in ln.conns.
	ln     *sipConnListener
	remote string
	once   sync.Once

	mu      sync.Mutex
	started time.Time // first byte of a request not answered yet; zero between requests
	// armed is the read deadline last set: an idle deadline that would move later by less than
	// its slack is left as it is, so a busy connection re-arms its timer about once a second
	// instead of twice a request.
	armed time.Time

	// frame follows the message boundaries (sipframe.go); only Read touches it.
	frame sipFramer
	// refused: the framer refused a message (answered 400, journaled); the next Read ends it.
	refused atomic.Bool
	// readErr: a Read returned an error (the peer closed, a timeout): sipgo closes after it.
	readErr atomic.Bool
	// inRead: sipgo is waiting in Read (a Close then comes from elsewhere).
	inRead atomic.Bool
}

// armDeadline sets the read deadline for the next Read: the request timeout from its first
// byte while a request is partly in (the framer is inside a message), else the idle timeout
// from now. (A request that arrived whole and waits for its answer is not partly in.)
func (c *sipConn) armDeadline() {
	c.mu.Lock()
	defer c.mu.Unlock()
	partial := !c.started.IsZero() && (c.ln.spec.Guard || c.frame.state != frameIdle)
	if partial {
		c.arm(c.started.Add(c.ln.limits.SIPRequestTimeout), 0)
		return
	}
	c.arm(time.Now().Add(c.ln.limits.SIPIdleTimeout), c.ln.limits.SIPIdleTimeout)
}

// arm sets the read deadline d, unless the one set is at most slack (1% of timeout, a second
// at most) earlier: the connection then closes that much before the idle timeout, at most.
// Called with mu held.
func (c *sipConn) arm(d time.Time, timeout time.Duration) {
	slack := min(time.Second, timeout/100)
	if !c.armed.IsZero() && !d.Before(c.armed) && d.Sub(c.armed) <= slack {
		return
	}
	c.armed = d
	c.Conn.SetReadDeadline(d)
}

func (c *sipConn) Read(b []byte) (int, error) {
	if c.refused.Load() {
		return 0, io.EOF // the framer refused a message and answered it: the connection ends
	}
	c.armDeadline()
	c.inRead.Store(true)
	n, err := c.Conn.Read(b)
	c.inRead.Store(false)
	if n > 0 && !c.ln.spec.Guard {
		if start, bad := c.frame.feed(b[:n]); bad != nil {
			c.refuse(bad)
			if start == 0 {
				return 0, io.EOF
			}
			return start, nil // the messages before the refused one go to sipgo
		}
	}
	if err != nil {
		c.readErr.Store(true)
	}
	if n > 0 && len(bytes.Trim(b[:n], "\r\n")) > 0 {
		c.mu.Lock()
		if c.started.IsZero() {
			c.started = time.Now()
		}
		c.mu.Unlock()
	}
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		c.mu.Lock()
		partial := !c.started.IsZero()
		c.mu.Unlock()
		if partial && !c.ln.spec.Guard {
			ev := baseEvent(c.ln.spec, journal.KindSIP, c.LocalAddr(), c.RemoteAddr())
			ev.Outcome, ev.Code = journal.OutcomeFailed, wire.CodeTimeout
			ev.Reason = fmt.Sprintf("SIP request not complete %s after its first byte: connection closed", c.ln.limits.SIPRequestTimeout)
			ev.SIP = &journal.SIPInfo{}
			_ = c.ln.env.journal().Record(ev)
		}
		// The mock's own timeout: to sipgo the connection ends (it logs a read error at ERROR).
		return n, io.EOF
	}
	return n, err
}

// SetReadDeadline is the mock's own (see sipConn): sipgo's is ignored.
func (c *sipConn) SetReadDeadline(time.Time) error { return nil }

// idle marks the connection between requests: the idle timeout runs from now.
func (c *sipConn) idle() {
	c.mu.Lock()
	c.started = time.Time{}
	c.arm(time.Now().Add(c.ln.limits.SIPIdleTimeout), c.ln.limits.SIPIdleTimeout)
	c.mu.Unlock()
}

func (c *sipConn) Close() error {
	c.once.Do(func() {
		c.ln.conns.Delete(c.remote)
		// sipgo closes a connection on its own only after a Read error or when its parser
		// refused what the framer let through: that one is answered and journaled here.
		if !c.refused.Load() && !c.readErr.Load() && !c.inRead.Load() && !c.ln.spec.Guard && !c.ln.stopping() && c.frame.lineNo > 0 {
			c.refuse(&sipMalformed{reason: "the SIP parser refused the message (a header does not parse)"})
		}
	})
	return c.Conn.Close()
}

// sipChallenges is the challenge set of a Lync Server 2013 / Skype for Business registrar
// ([MS-SIPAE] 3.3.5.1): one WWW-Authenticate per protocol it supports (NTLM, Kerberos,
// TLS-DSK), each with the realm, the server's targetname and version 4; TLS-DSK also names the
// Certificate Provisioning Service ([MS-OCAUTHWS]) of the pool's web services in sts-uri.
func sipChallenges(spec Spec) []string {
	const realm = `realm="SIP Communications Service"`
	return []string{
		fmt.Sprintf(`NTLM %s, targetname="%s", version=4`, realm, spec.Member),
		fmt.Sprintf(`Kerberos %s, targetname="sip/%s", version=4`, realm, spec.Member),
		fmt.Sprintf(`TLS-DSK %s, targetname="%s", version=4, sts-uri="https://%s/CertProv/CertProvisioningService.svc"`, realm, spec.Member, spec.Pool),
	}
}

// refuse answers a refused message with a 400 that says why, and journals it (kind sip,
// outcome failed, code malformed).
func (c *sipConn) refuse(bad *sipMalformed) {
	if c.refused.Swap(true) {
		return
	}
	f := &c.frame
	ev := baseEvent(c.ln.spec, journal.KindSIP, c.LocalAddr(), c.RemoteAddr())
	ev.Outcome, ev.Code = journal.OutcomeFailed, wire.CodeMalformed
	ev.Reason = "malformed SIP: " + bad.reason + "; answered 400 and closed"
	ev.SIP = &journal.SIPInfo{Method: f.method, CallID: f.header("call-id", "i"), From: f.header("from", "f"), Via: f.header("via", "v"), Status: 400}
	if err := c.ln.env.journal().Record(ev); err != nil {
		return // not answered without a journal line (the failure is logged by the recorder)
	}
	c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	c.Conn.Write(f.badRequest(bad.reason, c.ln.server))
}
