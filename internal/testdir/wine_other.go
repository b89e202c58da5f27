//go:build !windows

package testdir

import "errors"

// errInvalidFunction exists only on Windows.
var errInvalidFunction = errors.New("invalid function (Windows only)")

// UnderWine is false: Wine runs Windows programs only.
func UnderWine() bool { return false }
