package listeners

import (
	"fmt"
	"net"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// A guard listener stands on a port the table denies toward the role (Spec.Guard), so a
// prober can tell "refused by the firewall" from "refused by a host with nothing there": with a
// guard up, a denied path that is open connects and is answered by a mock marked guard.
//
// The journal records one guard hit per connection, as soon as it is accepted and before
// anything is read or answered (a bare TCP connect is a hit too): kind "guard", outcome "ok"
// (the guard answered), code "guard", the source the mock saw in remote. The answers that follow
// are not journaled again. The same holds for a QUIC guard, per ClientHello.

// guardListener journals every connection it accepts as a guard hit.
type guardListener struct {
	net.Listener
	spec Spec
	env  Env
}

func (g *guardListener) Accept() (net.Conn, error) {
	c, err := g.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if err := recordGuardHit(g.spec, g.env, baseEvent(g.spec, journal.KindGuard, c.LocalAddr(), c.RemoteAddr())); err != nil {
		// A hit the journal cannot keep is not answered: the connection closes at once.
		g.env.log().Error("journal write failed", "listener", g.spec.Name, "err", err)
		c.Close()
		return &closedConn{Conn: c}, nil
	}
	return c, nil
}

// recordGuardHit journals ev (kind guard) with the guard's code and reason.
func recordGuardHit(spec Spec, env Env, ev journal.Event) error {
	ev.Kind, ev.Outcome, ev.Code = journal.KindGuard, journal.OutcomeOK, wire.CodeGuard
	ev.Reason = guardReason(spec)
	return env.journal().Record(ev)
}

func guardReason(spec Spec) string {
	return fmt.Sprintf("guard: the table denies %s/%d toward %s, and a connection arrived", spec.Transport(), spec.Port, spec.Role)
}

// closedConn is a connection already closed, handed to the server so it sees an error at once
// instead of the listener stopping on an Accept error.
type closedConn struct{ net.Conn }
