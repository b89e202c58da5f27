package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
	"github.com/mockdirector/mockdirector/topology"
)

type labFlags struct {
	scenario, config, certDir, journalPath string
	portOffset                             int
	firewallPresent, noColor, verbose      bool
	timeout, hold                          time.Duration
	format, output                         string
}

func init() {
	var f labFlags
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Start Director, Front End and Edge internal on loopback and probe every row of the table",
		Long: `lab is the whole harness in one process: it starts a Director, a Front End and an Edge internal
interface on their own loopback addresses (topology: built-in lab, 127.0.0.2-4), with certificates
from a private CA, then probes every row of the built-in scenario, each from its source role's own
loopback address (reverse proxy 127.0.1.10, internal clients 127.0.2.10, any 127.0.3.10, ...), and
prints the matrix. Every answer is checked for the right role and the true source address.

Rows the table denies need a firewall between source and destination; on loopback there is none,
so they are reported as skip (run the netns lab, make e2e, for those) unless --firewall-present.

Ports are the table's when run as root, else the table's + 10000 (--port-offset changes it).
Exit codes: 0 every row held, 1 some did not, 2 bad flags or a port already in use.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLab(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", scenarios.BuiltinName, "scenario: a built-in name or a YAML file")
	fl.StringVar(&f.config, "config", "", "topology YAML with loopback addresses (default: the built-in lab)")
	fl.StringVar(&f.certDir, "certs", "", "certificate directory (default: a temporary one, removed afterwards)")
	fl.StringVar(&f.journalPath, "journal", "", "journal file (default: a temporary one, removed afterwards)")
	fl.IntVar(&f.portOffset, "port-offset", -1, "add N to every port (default: 0 as root, else 10000)")
	fl.BoolVar(&f.firewallPresent, "firewall-present", false, "run the deny rows too (a firewall stands between the addresses)")
	fl.DurationVar(&f.timeout, "timeout", probe.DefaultTimeout, "per-check timeout")
	fl.DurationVar(&f.hold, "hold", 0, "keep hold rows' connections idle this long instead of the row's hold (default 1800s)")
	fl.StringVar(&f.format, "format", "table", "output: "+strings.Join(probe.FormatNames(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the --format output to FILE (the table still goes to stdout)")
	fl.BoolVar(&f.noColor, "no-color", false, "never colour the table")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the listeners' protocol details to stderr")
	rootCmd.AddCommand(cmd)
}

func runLab(cmd *cobra.Command, f labFlags) error {
	out, ok := probe.Outputs[f.format]
	if !ok {
		return usageErr(fmt.Errorf("--format %q: choose one of %s", f.format, strings.Join(probe.FormatNames(), ", ")))
	}
	scn, err := scenarios.Load(f.scenario)
	if err != nil {
		return usageErr(err)
	}
	topo := topology.Lab()
	if f.config != "" {
		if topo, err = topology.Load(f.config); err != nil {
			return usageErr(err)
		}
	}
	if f.portOffset < 0 {
		f.portOffset = 10000
		if os.Geteuid() == 0 {
			f.portOffset = 0
		}
	}
	stdout := cmd.OutOrStdout()
	// The set-up lines go where they do not spoil a machine-readable stdout.
	info := stdout
	if f.format != "table" && f.output == "" {
		info = cmd.ErrOrStderr()
	}
	var cleanup []func()
	defer func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}()
	certDir := f.certDir
	if certDir == "" {
		if certDir, err = os.MkdirTemp("", "mockdirector-lab-certs-"); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		cleanup = append(cleanup, func() { os.RemoveAll(certDir) })
	}
	jpath := f.journalPath
	if jpath == "" {
		dir, err := os.MkdirTemp("", "mockdirector-lab-journal-")
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		cleanup = append(cleanup, func() { os.RemoveAll(dir) })
		jpath = filepath.Join(dir, "journal.jsonl")
	}
	jw, err := journal.Open(jpath)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	cleanup = append(cleanup, func() { jw.Close() })

	level := slog.LevelError
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serveCtx, stopServing := context.WithCancel(ctx)
	var wg sync.WaitGroup
	cleanup = append(cleanup, func() { stopServing(); wg.Wait() })

	fmt.Fprintf(info, "mockdirector lab: scenario %s, topology %s, port offset %d\n", scn.Name, topo.File, f.portOffset)
	for _, role := range scenarios.ServerRoles {
		if _, ok := topo.Pools[role]; !ok || len(scn.ServedBy(role)) == 0 {
			continue
		}
		inst, err := server.Start(server.Options{
			Scenario: scn, Topology: topo,
			PlanOptions: roleprofile.PlanOptions{Role: role, PortOffset: f.portOffset},
			CertDir:     certDir, Journal: jw, Log: logger, Out: io.Discard,
		})
		if err != nil {
			return usageErr(fmt.Errorf("lab: starting %s: %w (is another lab or serve running? try --port-offset 20000)", role, err))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := inst.Serve(serveCtx); err != nil {
				logger.Error("listener stopped", "role", role, "err", err)
			}
		}()
		fmt.Fprintf(info, "  %-14s %-26s %s\n", role, inst.Specs[0].Member, listenerList(inst))
	}
	temp := func(given string) string {
		if given == "" {
			return " (temporary: removed at exit)"
		}
		return ""
	}
	fmt.Fprintf(info, "  certificates   %s (CA %s)%s\n  journal        %s%s\n", certDir, filepath.Join(certDir, "ca.crt"), temp(f.certDir), jpath, temp(f.journalPath))

	opts := probe.Options{
		Scenario: scn, Topology: topo, PortOffset: f.portOffset, Timeout: f.timeout,
		Credentials: probe.Credentials{Dir: certDir}, ExpectSourceSeen: true, Hold: f.hold,
	}
	if !f.firewallPresent {
		opts.SkipDenyReason = probe.FirewallSkipReason
	}
	jobs, err := probe.Plan(opts)
	if err != nil {
		return usageErr(err)
	}
	fmt.Fprintf(info, "probing %d rows, each from its source role's own address...\n\n", len(jobs))
	rep := runJobs(ctx, cmd, scn.Name, jobs, probe.DefaultConcurrency, f.timeout)
	if err := writeReport(stdout, out, f.format, f.output, rep, f.noColor); err != nil {
		return err
	}
	if rep.Summary.Skip > 0 && !f.firewallPresent {
		fmt.Fprintln(info, "skipped rows are the table's deny rows: loopback has no firewall to deny them (make e2e proves them)")
	}
	if ctx.Err() != nil {
		return &exitError{code: 1, err: errors.New("interrupted")}
	}
	if rep.ExitCode() != 0 {
		return errFailed
	}
	return nil
}

func listenerList(inst *server.Instance) string {
	addrs := inst.Addrs()
	host := ""
	var ports []string
	for _, s := range inst.Specs {
		a := addrs[s.Name].String()
		if i := strings.LastIndex(a, ":"); i > 0 {
			host = a[:i]
			ports = append(ports, a[i+1:])
		}
	}
	return host + " " + strings.Join(ports, ",")
}
