package lab

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// DialFrom connects to addr from inside namespace ns, sending from src (empty: the kernel picks).
// The socket is created on an OS thread switched into ns; a socket keeps its namespace for life,
// so the returned conn can then be used from any goroutine. The thread is switched back before it
// is unlocked; if that fails it stays locked and the runtime ends it with the goroutine.
func DialFrom(ctx context.Context, ns, src, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- result{err: fmt.Errorf("lab: dial from %s: %w", ns, err)}
			return
		}
		defer home.Close()
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			ch <- result{err: fmt.Errorf("lab: dial from %s: %w", ns, err)}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("lab: dial from %s: setns: %w", ns, err)}
			return
		}
		d := net.Dialer{}
		if src != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
		}
		c, err := d.DialContext(ctx, network, addr)
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// ListenUDPFrom opens an unconnected UDP socket inside namespace ns, bound to src (port 0), the
// way DialFrom opens a TCP one: the socket keeps ns for life.
func ListenUDPFrom(ns, src string) (*net.UDPConn, error) {
	type result struct {
		c   *net.UDPConn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- result{err: fmt.Errorf("lab: udp socket in %s: %w", ns, err)}
			return
		}
		defer home.Close()
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			ch <- result{err: fmt.Errorf("lab: udp socket in %s: %w", ns, err)}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("lab: udp socket in %s: setns: %w", ns, err)}
			return
		}
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(src)})
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}
