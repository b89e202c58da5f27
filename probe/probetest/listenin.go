package probetest

import (
	"context"
	"net"

	"github.com/mockdirector/mockdirector/internal/netns"
)

// ListenIn opens a TCP listener inside network namespace ns (keep-alives off): the socket is
// made on a thread switched into it and stays there for its whole life.
func ListenIn(ns, addr string) (net.Listener, error) {
	var ln net.Listener
	err := netns.Do(ns, func() (err error) {
		lc := net.ListenConfig{KeepAlive: -1}
		ln, err = lc.Listen(context.Background(), "tcp", addr)
		return err
	})
	return ln, err
}
