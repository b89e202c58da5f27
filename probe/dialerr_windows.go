//go:build windows

package probe

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// winsockErr lets errors.Is(err, syscall.ECONNREFUSED) and the others that dial's switch asks
// hold for Winsock's numbers (WSAECONNREFUSED 10061 ...): on Windows Go's syscall.ECONNREFUSED
// is a made-up number that no socket call returns, so a refused port read as "error".
type winsockErr struct {
	error
	errno syscall.Errno // the unix-named equivalent
}

func (e winsockErr) Unwrap() error { return e.error }

func (e winsockErr) Is(target error) bool { return target == e.errno }

var winsockEquivalent = map[syscall.Errno]syscall.Errno{
	windows.WSAECONNREFUSED:  syscall.ECONNREFUSED,
	windows.WSAEHOSTUNREACH:  syscall.EHOSTUNREACH,
	windows.WSAENETUNREACH:   syscall.ENETUNREACH,
	windows.WSAEACCES:        syscall.EACCES,
	windows.WSAEADDRNOTAVAIL: syscall.EADDRNOTAVAIL,
	windows.WSAEINVAL:        syscall.EINVAL,
}

// portableDialErr wraps a Winsock error so dial classifies it as it does the unix errno.
func portableDialErr(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if eq, ok := winsockEquivalent[errno]; ok {
			return winsockErr{err, eq}
		}
	}
	return err
}
