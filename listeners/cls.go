package listeners

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/journal"
)

// The CLS exchange. The real Centralized Logging Service protocol on 50001-50003 is not
// documented, so the mock speaks a small line protocol after the mutual TLS handshake, enough
// for a prober to tell "the right service answered" from "a port is open":
//
//	server: MOCKDIRECTOR-CLS/1 role=<role> member=<member> listener=<name> port=<port>\r\n
//	client: PING <token>\r\n        server: PONG <token>\r\n
//	client: QUIT\r\n                server: BYE\r\n (and closes)
//	anything else                   server: ERR unknown command\r\n
//
// Lines are at most CLSMaxLine bytes; an idle connection is closed after CLSIdleTimeout.
const (
	CLSBannerPrefix = "MOCKDIRECTOR-CLS/1"
	CLSMaxLine      = 1024
	// CLSIdleTimeout matches the 1800 s idle timeout the Lync HLB guidance asks for.
	CLSIdleTimeout = 1800 * time.Second
)

type clsListener struct {
	spec Spec
	env  Env
	acc  *tlsAcceptor
	wg   sync.WaitGroup
}

func newCLS(spec Spec, env Env) (Listener, error) {
	if env.TLS == nil {
		return nil, fmt.Errorf("%s listener %s: no server certificate (run `mockdirector certs init` or pass --cert/--key/--ca)", spec.Role, spec.Name)
	}
	raw, err := listenTCP(spec)
	if err != nil {
		return nil, err
	}
	return &clsListener{spec: spec, env: env, acc: newTLSAcceptor(raw, spec, env, env.TLS.ServerConfig(true), "require")}, nil
}

func (l *clsListener) Spec() Spec     { return l.spec }
func (l *clsListener) Addr() net.Addr { return l.acc.Addr() }

// Close stops accepting and ends every session.
func (l *clsListener) Close() error {
	err := l.acc.Close()
	l.acc.CloseConns()
	return err
}

// Banner is the first line the CLS listener sends.
func (l *clsListener) Banner() string {
	return fmt.Sprintf("%s role=%s member=%s listener=%s port=%d", CLSBannerPrefix, l.spec.Role, l.spec.Member, l.spec.Name, l.spec.Port)
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
	ev.CLS = &journal.CLSInfo{Banner: l.Banner()}
	if err := l.env.journal().Record(ev); err != nil {
		l.env.log().Error("journal write failed", "listener", l.spec.Name, "err", err)
		return
	}
	c.SetDeadline(time.Now().Add(CLSIdleTimeout))
	if _, err := fmt.Fprintf(c, "%s\r\n", l.Banner()); err != nil {
		return
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, CLSMaxLine), CLSMaxLine)
	for sc.Scan() {
		c.SetDeadline(time.Now().Add(CLSIdleTimeout))
		line := strings.TrimSpace(sc.Text())
		cmd, arg, _ := strings.Cut(line, " ")
		var reply string
		switch strings.ToUpper(cmd) {
		case "PING":
			reply = "PONG " + arg
		case "QUIT":
			fmt.Fprint(c, "BYE\r\n")
			return
		default:
			reply = "ERR unknown command"
		}
		if _, err := fmt.Fprintf(c, "%s\r\n", reply); err != nil {
			return
		}
	}
}
