//go:build unix

package netlab

import "syscall"

// alive reports whether a process of that id exists (the run that made a namespace).
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// kill ends a process left inside a namespace being removed.
func kill(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
