package lab

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// inNamespace runs open on an OS thread switched into namespace ns. A socket keeps the namespace
// it was created in for life, so what open returns can then be used from any goroutine. The
// thread is switched back before it is unlocked; if that fails it stays locked and the runtime
// ends it with the goroutine.
func inNamespace(ns string, open func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer home.Close()
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns: %w", err)
			return
		}
		err = open()
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// DialFrom connects to addr from inside namespace ns, sending from src (empty: the kernel picks).
func DialFrom(ctx context.Context, ns, src, network, addr string) (net.Conn, error) {
	var c net.Conn
	var dialErr error // returned as is: the checks classify it (refused, filtered)
	err := inNamespace(ns, func() error {
		d := net.Dialer{}
		if src != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
		}
		c, dialErr = d.DialContext(ctx, network, addr)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lab: dial from %s: %w", ns, err)
	}
	return c, dialErr
}

// ListenUDPFrom opens an unconnected UDP socket inside namespace ns, bound to src (port 0), the
// way DialFrom opens a TCP one: the socket keeps ns for life.
func ListenUDPFrom(ns, src string) (*net.UDPConn, error) {
	var c *net.UDPConn
	err := inNamespace(ns, func() error {
		var err error
		c, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(src)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lab: udp socket in %s: %w", ns, err)
	}
	return c, nil
}
