package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// dial connects to the job's target from its source address and classifies a failure the way a
// network engineer reads it: refused (RST), rejected by a firewall (ICMP unreachable or
// admin-prohibited), filtered (no answer in time), or a local problem.
func dial(ctx context.Context, j *Job) (net.Conn, Observation) {
	d := net.Dialer{}
	if j.Hold > 0 {
		// Go sends TCP keep-alives every 15 s by default: they would keep a held connection
		// from being idle, and an HLB or firewall that counts them would never cut it.
		d.KeepAlive = -1
	}
	if j.Source.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: j.Source.AsSlice()}
	}
	start := time.Now()
	c, err := d.DialContext(ctx, "tcp", j.Target)
	if err == nil {
		return c, Observation{Observed: wire.StateOpen, Connected: true, OK: true, Source: c.LocalAddr().String(), Detail: "connected"}
	}
	err = portableDialErr(err) // dialerr_*.go: Winsock's numbers read as the unix errno
	o := Observation{Observed: wire.StateError, Code: wire.CodeError}
	if j.Source.IsValid() {
		o.Source = j.Source.String()
	}
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		o.Detail = fmt.Sprintf("cannot resolve %s (%s): add it to DNS or /etc/hosts, or pass --target %s=ADDRESS", j.Host, dnsErr.Err, j.Row.To)
	case errors.Is(err, syscall.ECONNREFUSED):
		o.Observed, o.Code, o.Detail = wire.StateRefused, wire.CodeRefused, "connection refused (TCP reset: the host answers but nothing listens, or a firewall resets)"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		// Only this host says so: its own firewall (nftables' output chain, a Windows
		// outbound rule) refused to send the SYN. The network's firewall was never reached.
		o.Detail = fmt.Sprintf("this host's own firewall refused to send it (%s): the packet never left, so the path is not tested; allow the prober's outbound traffic here", errnoText(err))
	case errors.Is(err, syscall.ENETUNREACH) && !routed(j):
		o.Detail = fmt.Sprintf("no route to %s from this host (%s): the packet never left; add a route, or probe from a host on that network", j.Target, errnoText(err))
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		o.Observed, o.Code, o.Detail = wire.StateRefused, wire.CodeRefused, fmt.Sprintf("refused (rejected by a firewall: %s)", errnoText(err))
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EINVAL) && j.Source.IsValid():
		o.Detail = fmt.Sprintf("cannot send from %s: the address is not on this host (add it, or pass --source)", j.Source)
	case isTimeout(err) || errors.Is(err, context.DeadlineExceeded):
		o.Observed, o.Code, o.Detail = wire.StateFiltered, wire.CodeFiltered, fmt.Sprintf("no answer in %s - filtered", roundDur(time.Since(start)))
	default:
		o.Detail = "connect: " + err.Error()
	}
	return nil, o
}

// routed says whether this host has a route to the job's target from its source: a UDP
// "connect" looks the route up and sends nothing. An ENETUNREACH with no route is this host's,
// not an ICMP net-unreachable a router on the path sent.
func routed(j *Job) bool {
	d := net.Dialer{}
	if j.Source.IsValid() {
		d.LocalAddr = &net.UDPAddr{IP: j.Source.AsSlice()}
	}
	c, err := d.Dial("udp", j.Target)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func errnoText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en.Error()
	}
	return err.Error()
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}
