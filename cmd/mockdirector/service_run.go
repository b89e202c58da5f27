package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/internal/service"
)

// serviceStopTimeout bounds how long a stop waits for serve to drain and sync its journal.
const serviceStopTimeout = 30 * time.Second

// serviceRunCmd is what an installed service runs: serve under kardianos' Run, in the data
// directory, stopped by the service manager (Windows SCM stop, or SIGTERM from systemd).
// Hidden: install writes it; a person runs serve.
func serviceRunCmd(serve *cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "run --role ROLE [serve flags]",
		Short:  "Run serve as the service manager's program (what install registers)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, _ []string) error { return runService(cmd, serve) },
	}
	cmd.Flags().AddFlagSet(serve.Flags())
	return cmd
}

func runService(cmd *cobra.Command, serve *cobra.Command) error {
	fs := cmd.Flags()
	dataDir := service.DataDir()
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("service data directory: %w", err)
	}
	if err := os.Chdir(dataDir); err != nil {
		return fmt.Errorf("service data directory: %w", err)
	}
	role := fs.Lookup("role").Value.String()
	member := fs.Lookup("member").Value.String()
	if member == "" {
		if m, err := serviceMember(fs); err == nil {
			member = m
		}
	}
	name := service.Name(role, member)
	defaults := map[string]string{"certs": filepath.Join(dataDir, "certs"), "journal": filepath.Join(dataDir, name+".jsonl")}
	for k, v := range defaults {
		if !fs.Lookup(k).Changed {
			if err := fs.Set(k, v); err != nil {
				return err
			}
		}
	}

	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	prg := service.NewProgram(func(ctx context.Context) error {
		return runServeCmd(ctx, serve, out, errw)
	}, serviceStopTimeout)
	m, err := service.NewManager(service.Spec{Name: name, Role: role, Member: member}, prg)
	if err != nil {
		return err
	}
	if onWindows {
		// The SCM's dispatcher first; a console (a person, or make windows) falls through to
		// kardianos' Run, which waits for Ctrl-C.
		exitOnOwnEnd(prg, name)
		ran, err := m.Dispatch(func() { eventLogOutput(m, &out, &errw) })
		if ran {
			if err != nil {
				windowsServiceStopped(name, err)
			}
			return err
		}
	}
	err = m.Run()
	if err == nil {
		err = prg.Err()
	}
	return err
}

// windowsLog is the Windows service's event log while it runs (unset on Linux, where
// journald takes serve's stdout and stderr as they are, and main prints the error that ends
// it, and unset in a console).
var windowsLog struct {
	logger interface{ Error(...any) error }
	flush  []*service.LineWriter
}

// eventLogOutput sends serve's output to the Application event log, under the service's
// name: a Windows service has no console. Each line becomes one entry: information for its
// output, warning for its log lines, error for the reason it stopped. When the event log
// cannot be opened, the output is lost, as it would be without this; the SCM still records
// the exit code.
func eventLogOutput(m *service.Manager, out, errw *io.Writer) {
	logger, err := m.SystemLogger()
	if err != nil {
		return
	}
	windowsLog.logger = logger
	o := service.NewLineWriter(func(l string) error { return logger.Info(l) })
	e := service.NewLineWriter(func(l string) error { return logger.Warning(l) })
	*out, *errw, windowsLog.flush = o, e, []*service.LineWriter{o, e}
}

// exitOnOwnEnd exits with serve's code when serve ends on its own (a port it cannot bind):
// the SCM takes a process that ends without reporting "stopped" for a failure and applies
// the recovery action (restart after 30 s); a service that reported its own stop would not be
// restarted. On Linux kardianos' RunWait option returns instead and Run ends the same way.
func exitOnOwnEnd(prg *service.Program, name string) {
	go func() {
		<-prg.Done()
		if prg.Stopping() {
			return
		}
		err := prg.Err()
		if err == nil {
			// serve returns nil only once its own signal handler stopped it (Ctrl-C in a
			// console): a clean stop.
			windowsServiceStopped(name, nil)
			os.Exit(0)
		}
		windowsServiceStopped(name, err)
		if windowsLog.logger == nil {
			fmt.Fprintln(os.Stderr, "mockdirector:", err)
		}
		os.Exit(exitCode(err))
	}()
}

// windowsServiceStopped flushes serve's last lines and logs why the service stopped.
func windowsServiceStopped(name string, err error) {
	for _, w := range windowsLog.flush {
		w.Flush()
	}
	if err != nil && windowsLog.logger != nil {
		windowsLog.logger.Error(fmt.Sprintf("%s stopped: %v", name, err))
	}
}
