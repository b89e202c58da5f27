//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// stopOnHangup turns a SIGHUP (the terminal serve ran in closed) into the SIGTERM serve stops
// on, so --host-firewall=open's rules go with it; without this the hangup kills serve and
// leaves them. Under nohup (SIGHUP ignored) it changes nothing. The func it returns stops it.
func stopOnHangup() func() {
	if signal.Ignored(syscall.SIGHUP) {
		return func() {}
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
