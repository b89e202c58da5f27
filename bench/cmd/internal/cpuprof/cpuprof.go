// Package cpuprof gives the bench's bare peers a CPU profile from start until SIGTERM, to set
// beside the mock's (bench/cmd/mockprof) when looking for what the mock does per request that a
// bare server does not.
package cpuprof

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// UntilSignal starts a CPU profile into path and, on SIGTERM or SIGINT, writes it and exits 0.
// An empty path does nothing.
func UntilSignal(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(0)
	}()
	return nil
}
