//go:build windows

package listeners

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// classifyBind reads a bind error by its Winsock error: Go's syscall.EADDRINUSE and friends are
// made-up numbers on Windows that no socket call returns.
func classifyBind(err error) bindCause {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return bindOther
	}
	switch errno {
	case windows.WSAEADDRINUSE:
		return bindInUse
	case windows.WSAEACCES:
		return bindDenied
	case windows.WSAEADDRNOTAVAIL:
		return bindNotAvail
	}
	return bindOther
}

func platformBindAdvice(c bindCause, port int, udp bool) string {
	return windowsBindAdvice(c, port, udp)
}

// Is makes errors.Is(err, syscall.EADDRINUSE), EACCES and EADDRNOTAVAIL hold for a BindError on
// Windows as they do on unix, where the errno itself matches.
func (e *BindError) Is(target error) bool {
	switch c := classifyBind(e.Err); target {
	case syscall.EADDRINUSE:
		return c == bindInUse
	case syscall.EACCES:
		return c == bindDenied
	case syscall.EADDRNOTAVAIL:
		return c == bindNotAvail
	}
	return false
}
