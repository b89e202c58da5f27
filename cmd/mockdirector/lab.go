package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/internal/netlab"
	"github.com/mockdirector/mockdirector/mdtest"
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

Every listener of the loopback lab binds a port the kernel picks, and the prober is handed the
real addresses, so labs and serves on one host never collide; --port-offset N binds the table's
ports + N instead (0: the table's own, as root).
Exit codes: 0 every row held, 1 some did not, 2 bad flags or a port already in use.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLab(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", scenarios.BuiltinName, "scenario: a built-in name or a YAML file")
	fl.StringVar(&f.config, "config", "", "topology YAML with loopback addresses (default: the built-in lab)")
	fl.StringVar(&f.certDir, "certs", "", "certificate directory (default: a temporary one, removed afterwards)")
	fl.StringVar(&f.journalPath, "journal", "", "journal file (default: a temporary one, removed afterwards)")
	fl.IntVar(&f.portOffset, "port-offset", -1, "bind the table's ports + N (default: ports the kernel picks, handed to the prober)")
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
	stdout := cmd.OutOrStdout()
	// The set-up lines go where they do not spoil a machine-readable stdout.
	info := stdout
	if f.format != "table" && f.output == "" {
		info = cmd.ErrOrStderr()
	}
	jpath := f.journalPath
	if jpath == "" {
		dir, err := os.MkdirTemp("", "mockdirector-lab-journal-")
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		defer os.RemoveAll(dir)
		jpath = filepath.Join(dir, "journal.jsonl")
	}
	level := slog.LevelError
	if f.verbose {
		level = slog.LevelDebug
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Without --port-offset every listener binds a port the kernel picks and the prober is
	// handed the real addresses, so a lab never collides with another lab or a serve.
	ports := "ports the kernel picks"
	if f.portOffset >= 0 {
		ports = fmt.Sprintf("port offset %d", f.portOffset)
	}
	fmt.Fprintf(info, "mockdirector lab: scenario %s, topology %s, %s\n", scn.Name, topo.File, ports)
	site, err := mdtest.Start(mdtest.Options{
		Scenario: scn, Topology: topo, CertDir: f.certDir, JournalPath: jpath,
		TablePorts: f.portOffset >= 0, PortOffset: max(f.portOffset, 0),
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		if f.portOffset >= 0 {
			return usageErr(fmt.Errorf("lab: %w (is another lab or serve running? try another --port-offset, or leave it out for ports the kernel picks)", err))
		}
		return usageErr(fmt.Errorf("lab: %w", err))
	}
	defer site.Close()
	for _, inst := range site.Members {
		fmt.Fprintf(info, "  %-14s %-26s %s\n", inst.Specs[0].Role, inst.Specs[0].Member, listenerList(inst))
	}
	temp := func(given string) string {
		if given == "" {
			return " (temporary: removed at exit)"
		}
		return ""
	}
	fmt.Fprintf(info, "  certificates   %s (CA %s)%s\n  journal        %s%s\n", site.CertDir, site.CAFile(), temp(f.certDir), jpath, temp(f.journalPath))

	opts := site.ProbeOptions()
	opts.Timeout, opts.Hold = f.timeout, f.hold
	if f.firewallPresent {
		opts.SkipDenyReason = ""
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

// listenerList is a member's host and ports: "127.0.0.2 443,5061" on the table's ports, else
// each table port with the port it is bound to ("443:39697").
func listenerList(inst *server.Instance) string {
	addrs := inst.Addrs()
	host := ""
	var ports []string
	for _, s := range inst.Specs {
		h, p, err := net.SplitHostPort(addrs[s.Name].String())
		if err != nil {
			continue
		}
		host = h
		if p != strconv.Itoa(s.Port) {
			p = strconv.Itoa(s.Port) + ":" + p
		}
		ports = append(ports, p)
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
