//go:build !windows

package journal

import (
	"io"
	"os"
	"syscall"
)

// appender appends to the journal with write(2) on the raw descriptor. os.File.Write would
// serialise the writers on the descriptor's own lock; O_APPEND already makes the kernel put each
// write whole at the end of the file, so the writers need no lock of their own.
type appender struct{ fd int }

func newAppender(f *os.File) appender { return appender{fd: int(f.Fd())} }

// append writes b with one write(2); a short write is an error (the rest is not retried: a
// second write could land after another writer's line).
func (a appender) append(b []byte) (int, error) {
	for {
		n, err := syscall.Write(a.fd, b)
		if err == syscall.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		if err == nil && n < len(b) {
			err = io.ErrShortWrite
		}
		return n, err
	}
}
