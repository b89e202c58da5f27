//go:build !windows

package probe

// portableDialErr is the error itself where syscall's errno names are the kernel's.
func portableDialErr(err error) error { return err }
