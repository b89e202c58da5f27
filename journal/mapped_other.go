//go:build !linux

package journal

import (
	"errors"
	"os"
	"sync/atomic"
)

// window is the mapped writer's mapping; there is none on this platform.
type window struct {
	base    int64
	mem     []byte
	pending atomic.Int64
}

const (
	windowSize = 4 << 20
	allocStep  = 1 << 20
)

// mappedSupported says whether this platform has the mapped writer: Linux only for now (Windows
// would map with CreateFileMapping; nobody has built or measured that there).
func mappedSupported() error {
	return errors.New("the mapped journal writer is for Linux only; leave it off (the default writer appends with write(2))")
}

func openMapped(string) (*os.File, error) { return nil, mappedSupported() }

func mapWindow(*os.File, int64, int64) (*window, error) { return nil, mappedSupported() }

func (w *window) unmap() error { return nil }

func allocate(*os.File, int64, int64) error { return mappedSupported() }
