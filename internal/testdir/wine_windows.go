//go:build windows

package testdir

import (
	"sync"

	"golang.org/x/sys/windows"
)

// errInvalidFunction is what os.RemoveAll returns under Wine.
var errInvalidFunction error = windows.ERROR_INVALID_FUNCTION

// UnderWine reports whether this Windows process runs under Wine: Wine's ntdll exports
// wine_get_version, Windows' does not.
var UnderWine = sync.OnceValue(func() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
})
