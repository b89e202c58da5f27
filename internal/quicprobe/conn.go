package quicprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// connectedConn is a connected UDP socket dressed as the net.PacketConn quic-go wants. quic-go
// reads and writes an unconnected socket, and Linux reports an ICMP port unreachable only to a
// connected one (as ECONNREFUSED on the next read or write), so an unconnected dial to a closed
// port just times out like a dropped one. Connecting the socket is what lets a probe tell
// "refused" from "filtered". It deliberately is not an OOBCapablePacketConn, so quic-go calls
// ReadFrom/WriteTo (mapped to Read/Write) instead of sendmsg with an address, which a connected
// socket refuses.
type connectedConn struct {
	c        *net.UDPConn
	raddr    net.Addr
	refused  atomic.Bool  // an ICMP port unreachable reached the socket
	received atomic.Int64 // datagrams read
}

func dialConnected(ctx context.Context, target, source string) (*connectedConn, error) {
	d := net.Dialer{}
	if source != "" {
		la, err := localAddr(source)
		if err != nil {
			return nil, err
		}
		d.LocalAddr = la
	}
	c, err := d.DialContext(ctx, "udp", target)
	if err != nil {
		return nil, fmt.Errorf("quicprobe: %w", err)
	}
	uc := c.(*net.UDPConn)
	return &connectedConn{c: uc, raddr: uc.RemoteAddr()}, nil
}

// localAddr accepts "ip" or "ip:port" as the source to send from.
func localAddr(source string) (*net.UDPAddr, error) {
	host, port := source, "0"
	if h, p, err := net.SplitHostPort(source); err == nil {
		host, port = h, p
	}
	a, err := net.ResolveUDPAddr("udp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("quicprobe: source %q: %w", source, err)
	}
	return a, nil
}

func (c *connectedConn) note(err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		c.refused.Store(true)
	}
	return err
}

// ReadFrom reads one datagram from the connected peer.
func (c *connectedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, err := c.c.Read(b)
	if err != nil {
		return n, nil, c.note(err)
	}
	c.received.Add(1)
	return n, c.raddr, nil
}

// WriteTo writes to the connected peer (addr is always the peer).
func (c *connectedConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	n, err := c.c.Write(b)
	return n, c.note(err)
}

func (c *connectedConn) Close() error                       { return c.c.Close() }
func (c *connectedConn) LocalAddr() net.Addr                { return c.c.LocalAddr() }
func (c *connectedConn) SetDeadline(t time.Time) error      { return c.c.SetDeadline(t) }
func (c *connectedConn) SetReadDeadline(t time.Time) error  { return c.c.SetReadDeadline(t) }
func (c *connectedConn) SetWriteDeadline(t time.Time) error { return c.c.SetWriteDeadline(t) }

// SyscallConn lets quic-go set the don't-fragment bit and buffer sizes on the socket.
func (c *connectedConn) SyscallConn() (syscall.RawConn, error) { return c.c.SyscallConn() }

// SetReadBuffer and SetWriteBuffer let quic-go size the socket buffers.
func (c *connectedConn) SetReadBuffer(n int) error  { return c.c.SetReadBuffer(n) }
func (c *connectedConn) SetWriteBuffer(n int) error { return c.c.SetWriteBuffer(n) }
