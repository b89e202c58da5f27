//go:build !unix

package netlab

import "os"

// The namespace lab needs Linux (network namespaces, nftables); elsewhere Run refuses before
// any of this is reached. This keeps the package building for the Windows binary.

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p != nil
}
