//go:build !linux

package probetest

import (
	"errors"
	"net"
)

// ListenIn needs Linux network namespaces; elsewhere the specs that use it skip (Available).
func ListenIn(ns, addr string) (net.Listener, error) {
	return nil, errors.New("probetest: network namespaces need Linux")
}
