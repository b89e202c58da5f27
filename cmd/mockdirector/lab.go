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

	"github.com/mockdirector/mockdirector/internal/netlab"
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
	loopback                               bool
	firewall                               string
	timeout, hold                          time.Duration
	format, output                         string
}

func init() {
	var f labFlags
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Prove every row of the table: in network namespaces behind the exported firewall (root), else on loopback",
		Long: `lab is the whole harness on one host.

As root (the full proof): it builds network namespaces (a router, and one network each for the
clients 192.0.2.0/24, the perimeter 198.51.100.0/24 and the servers 203.0.113.0/24), loads into
the router the nftables rule set that 'mockdirector firewall export' makes from the table for the
lab's site (or your own with --firewall FILE, to try it before you push it), runs serve for the
Director, Front End, Edge internal and PKI web server members and probe for every source role
inside them, and prints every row: allow rows must be answered by the right member from the true
source, deny rows must be dropped by the firewall. A failing row names the exported rule that should have matched.
Every namespace it made (mdnl-<pid>-*) is removed on exit, Ctrl-C included.

Not as root, or with --loopback or --config: the loopback lab. A Director, a Front End, an Edge
internal interface and the PKI web server on their own loopback addresses (topology: built-in
lab, 127.0.0.2-5), probed from each source role's loopback address. Loopback has no firewall, so
the table's deny rows are reported as skip unless --firewall-present.

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
	fl.BoolVar(&f.loopback, "loopback", false, "run the loopback lab even as root (no firewall: deny rows skipped)")
	fl.StringVar(&f.firewall, "firewall", "", "namespace lab: load this nftables rule set into the router instead of the table's export")
	fl.DurationVar(&f.timeout, "timeout", probe.DefaultTimeout, "per-check timeout (the namespace lab uses 1s unless set: a dropped row costs one)")
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
	loopbackAsked := f.loopback || f.config != "" || f.portOffset >= 0 || f.firewallPresent || f.certDir != "" || f.journalPath != ""
	if f.firewall != "" && loopbackAsked {
		return usageErr(errors.New("--firewall is for the namespace lab: drop --loopback, --config, --port-offset, --firewall-present, --certs and --journal"))
	}
	if os.Geteuid() == 0 && !loopbackAsked {
		return runNetLab(cmd, f, out)
	}
	if f.firewall != "" {
		return usageErr(errors.New("--firewall needs the namespace lab, which needs root: sudo mockdirector lab --firewall " + f.firewall))
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
		fmt.Fprintln(info, "skipped rows are the table's deny rows: loopback has no firewall to deny them; sudo mockdirector lab proves every row in network namespaces behind the table's firewall")
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

// runNetLab is the namespace lab: every row, allow and deny, through the exported firewall.
func runNetLab(cmd *cobra.Command, f labFlags, out probe.Output) error {
	stdout := cmd.OutOrStdout()
	info := stdout
	if f.format != "table" && f.output == "" {
		info = cmd.ErrOrStderr()
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	dir, err := os.MkdirTemp("", "mockdirector-netlab-")
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	defer os.RemoveAll(dir)
	timeout := f.timeout
	if !cmd.Flags().Changed("timeout") {
		timeout = time.Second
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(info, "mockdirector lab: scenario %s in network namespaces behind %s\n", f.scenario, firewallName(f.firewall))
	res, err := netlab.Run(ctx, netlab.Options{Binary: bin, Scenario: f.scenario, Firewall: f.firewall, Dir: dir,
		Timeout: timeout, Hold: f.hold, Log: info})
	if ctx.Err() != nil {
		return &exitError{code: 1, err: errors.New("interrupted: the lab's namespaces are removed")}
	}
	if err != nil {
		return usageErr(fmt.Errorf("lab: %w", err))
	}
	fmt.Fprintln(info)
	if err := writeReport(stdout, out, f.format, f.output, res.Report, f.noColor); err != nil {
		return err
	}
	fmt.Fprintf(info, "proved in %s; namespaces removed\n", res.Took.Round(10*time.Millisecond))
	if res.Report.ExitCode() != 0 {
		return errFailed
	}
	return nil
}

func firewallName(file string) string {
	if file == "" {
		return "the firewall exported from the table"
	}
	return file
}
