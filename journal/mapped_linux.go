//go:build linux

package journal

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// window is the part of the journal file that mapped Records copy their lines into: a shared
// mapping, so a line copied there is in the kernel's page cache of the file at once, as a
// write(2) would have put it (a process killed with SIGKILL loses none of it).
type window struct {
	base    int64  // file offset of mem[0] (page aligned)
	mem     []byte // the mapping
	pending atomic.Int64
}

const (
	// windowSize is how much of the file one mapping covers. Small, so the file's pages the
	// mock has touched (they count in its RSS) stay a few MiB however large the journal grows.
	windowSize = 4 << 20
	// allocStep is how far ahead of the lines the file's blocks are allocated (fallocate):
	// a store into a mapped page the file system cannot back would kill the process (SIGBUS),
	// a fallocate that finds the disk full fails the Record instead.
	allocStep = 1 << 20
)

// mappedSupported says whether this platform has the mapped writer.
func mappedSupported() error { return nil }

// openMapped opens (or creates, 0600) the journal for the mapped writer: read and write, no
// O_APPEND (lines are placed by offset).
func openMapped(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

// mapWindow maps the file from off (rounded down to a page) for windowSize bytes, or more
// when one line needs it.
func mapWindow(f *os.File, off, need int64) (*window, error) {
	page := int64(os.Getpagesize())
	base := off &^ (page - 1)
	size := int64(windowSize)
	if n := off - base + need; n > size {
		size = (n + page - 1) &^ (page - 1)
	}
	mem, err := syscall.Mmap(int(f.Fd()), base, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %d bytes at %d: %w", size, base, err)
	}
	return &window{base: base, mem: mem}, nil
}

// unmap waits for the copies under way into w (a few instructions each), then unmaps it.
func (w *window) unmap() error {
	for w.pending.Load() != 0 {
		time.Sleep(20 * time.Microsecond)
	}
	return syscall.Munmap(w.mem)
}

// allocate gives the file blocks up to end (and that size): fallocate, so the disk is
// reserved before any store reaches the mapping.
func allocate(f *os.File, from, end int64) error {
	for {
		err := syscall.Fallocate(int(f.Fd()), 0, from, end-from)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
