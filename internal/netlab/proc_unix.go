//go:build unix

package netlab

import "syscall"

// alive reports whether a process of that id exists (the run that made a namespace).
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
