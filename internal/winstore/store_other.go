//go:build !windows

package winstore

import (
	"errors"
	"runtime"
)

// ErrNotWindows is Open's error where there is no Windows certificate store.
var ErrNotWindows = errors.New("the Windows certificate store exists only on Windows, not on " + runtime.GOOS)

// Open fails with ErrNotWindows: the machine certificate store is Windows'.
func Open(name string) (Store, error) { return nil, ErrNotWindows }
