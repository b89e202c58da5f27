//go:build windows

package certs

import (
	"fmt"
	"path/filepath"

	"github.com/gofrs/flock"
)

// lockDir takes an exclusive lock on a certificate directory (DIR/.lock) with LockFileEx, as
// lock_unix.go does with flock(2): several members started at once on one host make one CA,
// not one each; the others wait and reuse it.
func lockDir(dir string) (unlock func(), err error) {
	l := flock.New(filepath.Join(dir, ".lock"))
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("certificate directory %s: lock: %w", dir, err)
	}
	return func() { l.Unlock() }, nil
}
