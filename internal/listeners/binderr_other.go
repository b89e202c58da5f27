//go:build !windows

package listeners

import (
	"errors"
	"os"
	"syscall"
)

// classifyBind reads a bind error by its unix errno.
func classifyBind(err error) bindCause {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return bindInUse
	case errors.Is(err, syscall.EACCES) || errors.Is(err, os.ErrPermission):
		return bindDenied
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return bindNotAvail
	}
	return bindOther
}

func platformBindAdvice(c bindCause, port int, udp bool) string { return unixBindAdvice(c, port, udp) }
