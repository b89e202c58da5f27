package lab

import (
	"context"
	"fmt"
	"net"

	"github.com/mockdirector/mockdirector/internal/netns"
)

// inNamespace runs open on an OS thread switched into namespace ns (netns.Do): a socket keeps
// the namespace it was created in for life, so what open returns can then be used from any
// goroutine.
func inNamespace(ns string, open func() error) error { return netns.Do(ns, open) }

// dialFrom connects to addr from inside namespace ns, sending from src (empty: the kernel picks).
func dialFrom(ctx context.Context, ns, src, network, addr string) (net.Conn, error) {
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

// listenUDPFrom opens an unconnected UDP socket inside namespace ns, bound to src (port 0), the
// way dialFrom opens a TCP one: the socket keeps ns for life.
func listenUDPFrom(ns, src string) (*net.UDPConn, error) {
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
