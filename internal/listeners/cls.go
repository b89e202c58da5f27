package listeners

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// The CLS exchange. The real Centralized Logging Service protocol on 50001-50003 is not
// documented, so the mock speaks a small line protocol after the mutual TLS handshake, enough
// for a prober to tell "the right service answered" from "a port is open":
//
//	server: MOCKDIRECTOR-CLS/1 role=<role> member=<member> listener=<name> port=<port> source=<ip:port> cert=<sha256>\r\n
//	client: PING <token>\r\n        server: PONG <token>\r\n
//	client: QUIT\r\n                server: BYE\r\n (and closes)
//	anything else                   server: ERR unknown command\r\n
//
// (wire.Identity.CLSBanner writes the banner; a guard's adds guard=true.) Lines are at most
// CLSMaxLine bytes; an idle connection is closed after CLSIdleTimeout.
const (
	CLSMaxLine = 1024
	// CLSIdleTimeout matches the 1800 s idle timeout the Lync HLB guidance asks for.
	CLSIdleTimeout = 1800 * time.Second
)

type clsListener struct {
	spec Spec
	env  Env
	acc  *tlsAcceptor
	wg   sync.WaitGroup
	// certSHA256 is the served leaf's fingerprint, in every banner.
	certSHA256 string
}

func newCLS(spec Spec, env Env) (Listener, error) {
	if env.TLS == nil {
		return nil, noServerCert(spec)
	}
	raw, err := listenTCP(spec, env)
	if err != nil {
		return nil, err
	}
	return &clsListener{spec: spec, env: env, acc: newTLSAcceptor(raw, spec, env, env.TLS.ServerConfig(true), "require"),
		certSHA256: env.certSHA256()}, nil
}

func (l *clsListener) Spec() Spec     { return l.spec }
func (l *clsListener) Addr() net.Addr { return l.acc.Addr() }

// Close stops accepting and ends every session.
func (l *clsListener) Close() error {
	err := l.acc.Close()
	l.acc.CloseConns()
	return err
}

// banner is the first line the CLS listener sends to a client at remote.
func (l *clsListener) banner(remote string) string {
	id := l.spec.identity(l.certSHA256)
	id.Remote = remote
	return id.CLSBanner()
}

func (l *clsListener) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer l.wg.Wait()
	for {
		c, err := l.acc.Accept()
		if err != nil {
			return nil // closed
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer c.Close()
			l.session(c.(*tls.Conn))
		}()
	}
}

func (l *clsListener) session(c *tls.Conn) {
	ev := baseEvent(l.spec, journal.KindCLS, c.LocalAddr(), c.RemoteAddr())
	st := c.ConnectionState()
	var peer *journal.CertInfo
	if len(st.PeerCertificates) > 0 {
		peer = certInfo(st.PeerCertificates[0])
		peer.Verified = true
	}
	ev.TLS = tlsInfo(st, peer)
	ev.Outcome = journal.OutcomeOK
	banner := l.banner(c.RemoteAddr().String())
	ev.CLS = &journal.CLSInfo{Banner: banner}
	if l.spec.Guard {
		// The hit is journaled already (on accept).
	} else if err := l.env.journal().Record(ev); err != nil {
		return // not answered without a journal line (the recorder logs the failure)
	}
	c.SetDeadline(time.Now().Add(CLSIdleTimeout))
	if _, err := fmt.Fprintf(c, "%s\r\n", banner); err != nil {
		return
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 256), CLSMaxLine)
	pongs := 0
	for sc.Scan() {
		c.SetDeadline(time.Now().Add(CLSIdleTimeout))
		line := strings.TrimSpace(sc.Text())
		cmd, arg, _ := strings.Cut(line, " ")
		reply, quit := "", false
		var bad string
		switch strings.ToUpper(cmd) {
		case wire.CLSPing:
			reply = wire.CLSPong + " " + arg
			pongs++
		case wire.CLSQuit:
			reply, quit = wire.CLSBye, true
		default:
			reply = wire.CLSErr + " unknown command"
			bad = "unknown CLS command " + escapePrefix(line, 32) + " (the mock speaks PING and QUIT)"
		}
		if !l.command(c, line, reply, bad, pongs) {
			return
		}
		if _, err := fmt.Fprintf(c, "%s\r\n", reply); err != nil || quit {
			return
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		why := fmt.Sprintf("CLS line over %d bytes", CLSMaxLine)
		if l.command(c, "", wire.CLSErr+" line too long", why, pongs) {
			fmt.Fprintf(c, "%s line too long\r\n", wire.CLSErr)
		}
	}
}

// command journals one line of the CLS protocol and the reply it gets (bad: why the line is
// refused); false when the journal failed (the client then gets no answer).
func (l *clsListener) command(c *tls.Conn, line, reply, bad string, pongs int) bool {
	if l.spec.Guard {
		return true // a guard's hit is journaled on accept, its answers are not
	}
	ev := baseEvent(l.spec, journal.KindCLS, c.LocalAddr(), c.RemoteAddr())
	ev.Outcome = journal.OutcomeOK
	if bad != "" {
		ev.Outcome, ev.Code, ev.Reason = journal.OutcomeFailed, wire.CodeMalformed, bad
	}
	if len(line) > clsKeepCommand {
		line = line[:clsKeepCommand]
	}
	ev.CLS = &journal.CLSInfo{Command: strings.ToValidUTF8(line, "?"), Reply: reply, Echoed: pongs}
	return l.env.journal().Record(ev) == nil
}

// clsKeepCommand is how much of a client's line the journal keeps.
const clsKeepCommand = 64
