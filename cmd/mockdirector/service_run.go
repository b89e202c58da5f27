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
		if err := windowsServiceLog(m, prg, name, &out, &errw); err != nil {
			return err
		}
	}
	err = m.Run()
	if err == nil {
		err = prg.Err()
	}
	if err != nil && onWindows {
		windowsServiceStopped(name, err)
	}
	return err
}

// windowsLog is the Windows service's event log while it runs (nil on Linux, where journald
// takes serve's stdout and stderr as they are, and main prints the error that ends it).
var windowsLog struct {
	logger interface{ Error(...any) error }
	flush  []*service.LineWriter
}

// windowsServiceLog sends serve's output to the event log when the SCM started the process (a
// Windows service has no console: each line becomes an Application event log entry under the
// service's name, information for its output, warning for its log lines, error for the reason
// it stopped), and exits with serve's code when serve ends on its own: the SCM only hears of
// a failed serve when the process ends, and then applies the recovery action (restart after
// 30 s). On Linux kardianos' RunWait option returns instead and Run ends the same way.
func windowsServiceLog(m *service.Manager, prg *service.Program, name string, out, errw *io.Writer) error {
	logger, err := m.Logger() // the console when a person started it
	if err != nil {
		return fmt.Errorf("service event log: %w", err)
	}
	windowsLog.logger = logger
	if !service.Interactive() {
		o := service.NewLineWriter(func(l string) error { return logger.Info(l) })
		e := service.NewLineWriter(func(l string) error { return logger.Warning(l) })
		*out, *errw, windowsLog.flush = o, e, []*service.LineWriter{o, e}
	}
	go func() {
		<-prg.Done()
		if prg.Stopping() {
			return
		}
		err := prg.Err()
		if err == nil {
			// serve returns nil only once its own signal handler stopped it (Ctrl-C when a
			// person runs it): a clean stop.
			windowsServiceStopped(name, nil)
			os.Exit(0)
		}
		windowsServiceStopped(name, err)
		os.Exit(exitCode(err))
	}()
	return nil
}

// windowsServiceStopped flushes serve's last lines and logs why the service stopped.
func windowsServiceStopped(name string, err error) {
	for _, w := range windowsLog.flush {
		w.Flush()
	}
	if err != nil && windowsLog.logger != nil && !service.Interactive() {
		windowsLog.logger.Error(fmt.Sprintf("%s stopped: %v", name, err))
	}
}
