//go:build !linux

package netns

import (
	"errors"
	"time"
)

var errNotLinux = errors.New("netns: network namespaces need Linux")

func kill(int) {}

// Do runs fn inside namespace ns: Linux only.
func Do(string, func() error) error { return errNotLinux }

// Lease is the host-wide lock of one namespace prefix: Linux only.
type Lease struct{}

// Lock takes the lease of a prefix: Linux only.
func Lock(string, time.Duration) (*Lease, error) { return nil, errNotLinux }

// Unlock releases the lease.
func (*Lease) Unlock() error { return nil }
