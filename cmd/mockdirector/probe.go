package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
)

type probeFlags struct {
	scenario, config, source            string
	as, targets                         []string
	certDir, cert, keyFile, ca          string
	timeout, hold                       time.Duration
	concurrency, retries, portOffset    int
	format, output, only                string
	expectSourceSeen, skipDeny, noColor bool
	strict, guards, hlb                 bool
	clientProfile                       string
	holdBisect                          int
	post                                postFlags
}

func init() {
	var f probeFlags
	cmd := &cobra.Command{
		Use:   "probe [--scenario NAME|FILE] [--as ROLE]...",
		Short: "Act as a source role of the port table and prove each row with real traffic",
		Long: `probe runs every row of a scenario (default: the built-in seed table) from this host, acting as
the row's source role, against the destination role's address in the topology (its HLB VIP, else
its first member), and says per row what was expected, what was observed, and why.

Checks (a row's "check", defaulted from its protocol): tcp (connect: open/refused/filtered),
tls (server chain, name, validity, serverAuth), mtls (client certificate accepted or rejected),
http/https (GET the row's path; against the mock also who answered and what source it saw),
sip-options (SIP OPTIONS over MTLS, expects 200), cls (MTLS + the mock's CLS banner).
Over UDP (rows with transport: udp): udp-quic (a QUIC handshake: open, refused when an ICMP port
unreachable comes back, filtered when nothing answers, handshake-fails; against the mock's QUIC
responder also who answered) and h3 (an HTTP/3 GET on an HTTPS port, like https).
hold (idle timeouts): opens the row's connection (TLS with the client certificate for TLS
protocols), keeps it idle for the row's hold (default 1800s, the Lync HLB idle timeout; --hold
overrides it), then proves it still works: HTTP(S) a second request on the same connection, SIP
a CRLF ping answered by a CRLF pong, CLS PING/PONG. The proof goes out 1% (at most 10s) before
the hold ends, so a device that cuts at exactly the hold passes; a connection cut sooner fails
the row. --timeout bounds connecting and handshaking, never the hold.

A tls or mtls row records the server's whole chain and lints it against the destination role's
certificate requirements (certs inspect); "lint: pass" or "lint: [SAN_MISSING, ...]" on the row
makes the findings part of the verdict.

Deny rows are proven, not assumed. A refusal (TCP reset, ICMP unreachable) or a drop proves the
firewall denies a port only when something listens there: otherwise the destination host itself
(nothing bound, or its own firewall such as Windows Defender) refuses or drops just the same. A
deny row passes when the destination is known to listen on that port: the mock's well-known
identity, learnt from the allow rows of the same run (deny rows run after them), lists its
ports; or --guards says the destinations run mockdirector serve with its default guard listeners.
An answer from a mock's guard on a denied port fails the row: the path is open. Without proof
the row is UNPROVEN: counted apart in the table, the summary line, the JSON summary and JUnit
(as a skip that says so). Unproven rows do not fail the exit code unless --strict is given.

Interception: every TLS row verifies the server chain before its name and records the chain
presented (subject, issuer, SHA-256). When the mock's identity names a leaf other than the one
presented, the row fails with code interception naming both fingerprints.

Every row has a reason code (the JSON "code": refused, filtered, unproven, guard, interception,
unknown-authority, source-unknown, cut, ...) beside the prose reason.

Rows from "any" run for every --as role. Without --as each row runs once, as its own source.
The source address is --source, else the role's address in the topology, else the kernel's choice.
The client certificate is the role's from --certs DIR (first pool member, or "probe" for roles
without a pool), or --cert/--key-file (with --ca as the trust).

--hold-bisect N opens N connections per hold row, their proofs staggered over the hold, and
reports the idle cut-off of the path (between the longest idle answered and the shortest not),
held against the 1800 s the HLB guidance asks for.

The hardware load balancer in front of a pool's VIP (rows whose destination pool has a vip):
distribution (new connections; every member of the pool must answer, and only members of the
topology's pool; the row gives the share per member), affinity-source (requests from one source
address, each on a new connection, land on one member), affinity-cookie (HTTP(S): requests
carrying a member's MS-WSMAN cookie stay on that member). Every answer is held against the NAT
mode: a member that got the connection addressed to the VIP itself is direct server return (DSR,
which Lync does not support); a source seen as the VIP is the HLB in SNAT mode. Rows ask for them
with check: distribution|affinity-source|affinity-cookie; --hlb runs them on every allowed VIP
row of the table instead of the rows' own checks (internal 80/443: affinity-source unless the
pool's persistence is cookie or none; HTTP(S) of a cookie pool: distribution and affinity-cookie;
the rest: distribution).

--post URL sends the results as they finish (every second) to a mock's admin API
(serve --admin; POST /api/probe), whose live page then shows both sides of every row: the token
from --post-token-file or $MOCKDIRECTOR_POST_TOKEN (never the URL), an https admin verified
against --post-ca (default: --ca, else the --certs CA). A failed post is reported once on stderr
with its reason and fix, and changes no verdict and no exit code.

Exit codes: 0 no row failed (unproven rows count only with --strict), 1 some did, 2 bad scenario,
flags or certificate files.

Examples:
  mockdirector probe --as edge-internal --target director=192.0.2.10 --certs ./certs
  mockdirector probe --config site.yaml --format junit --output probe.xml
  mockdirector probe --port-offset 10000 --only 5061 --timeout 2s
  mockdirector probe --only udp/ --as internal-clients          (the UDP/QUIC rows)
  mockdirector probe --scenario hold.yaml --hold 10s             (a lab's short hold)
  mockdirector probe --hlb --as internal-clients --config site.yaml (the HLB in front of each VIP)
  mockdirector probe --as edge-internal --post https://203.0.113.211:9180/api/probe --post-token-file admin.token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runProbe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", scenarios.BuiltinName, "scenario: a built-in name or a YAML file")
	fl.StringVar(&f.config, "config", "", "topology YAML: pool addresses and FQDNs, source addresses (default: built-in contoso)")
	fl.StringArrayVar(&f.as, "as", nil, "source role to act as (repeatable): "+strings.Join(scenarios.SourceRoles, ", "))
	fl.StringArrayVar(&f.targets, "target", nil, "ROLE=HOST: probe a destination role at this host instead of the topology's; ROLE/PORT=HOST:PORT (or ROLE/udp/PORT=...): one table port of the role at exactly this address (repeatable)")
	fl.StringVar(&f.source, "source", "", "local address to send from (default: the role's address in the topology, else the kernel's choice)")
	fl.StringVar(&f.certDir, "certs", "mockdirector-certs", "certificate directory (certs init): client identities and the CA to trust")
	fl.StringVar(&f.cert, "cert", "", "PEM client certificate chain to present (with --key-file)")
	fl.StringVar(&f.keyFile, "key-file", "", "PEM private key of --cert")
	fl.StringVar(&f.ca, "ca", "", "PEM CA bundle to verify servers against (default with --cert: the system roots)")
	fl.DurationVar(&f.timeout, "timeout", probe.DefaultTimeout, "per-check timeout: no answer within it means filtered")
	fl.DurationVar(&f.hold, "hold", 0, "keep hold rows' connections idle this long instead of the row's hold (default 1800s, the HLB idle timeout)")
	fl.IntVar(&f.concurrency, "concurrency", probe.DefaultConcurrency, "checks run at once")
	fl.IntVar(&f.retries, "retries", 0, "try a failed check this many more times")
	fl.IntVar(&f.portOffset, "port-offset", 0, "add N to every table port (to probe a serve started with --port-offset)")
	fl.StringVar(&f.format, "format", "table", "output: "+strings.Join(probe.FormatNames(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the --format output to FILE (the table still goes to stdout)")
	fl.StringVar(&f.only, "only", "", "run only rows whose ID contains this (e.g. 5061, edge-internal->director)")
	fl.BoolVar(&f.expectSourceSeen, "expect-source-seen", false, "demand that the destination saw the address probe sent from (no NAT in the path)")
	fl.BoolVar(&f.skipDeny, "skip-deny", false, "skip deny rows (no firewall between this host and the destination)")
	fl.BoolVar(&f.noColor, "no-color", false, "never colour the table")
	fl.StringVar(&f.clientProfile, "client-profile", "", "present TLS as that wire profile's client (versions, suites, curves): "+strings.Join(wireprofile.Names(), ", ")+"; default Go's client, TLS 1.2 and up")
	fl.BoolVar(&f.strict, "strict", false, "fail deny rows that nothing proves (unproven: refused or dropped where nothing is known to listen)")
	fl.BoolVar(&f.guards, "guards", false, "assert the destinations run mockdirector serve with its default guard listeners, so refused or filtered deny rows are the path's doing")
	fl.BoolVar(&f.hlb, "hlb", false, "run the HLB checks (distribution, affinity-source, affinity-cookie) on every allowed row to a pool with a vip, instead of the rows' own checks")
	fl.IntVar(&f.holdBisect, "hold-bisect", 0, "hold rows open N connections with staggered proofs and report the path's idle cut-off (N >= 2)")
	addPostFlags(fl, &f.post)
	rootCmd.AddCommand(cmd)
}

func runProbe(cmd *cobra.Command, f probeFlags) error {
	out, ok := probe.Outputs[f.format]
	if !ok {
		return usageErr(fmt.Errorf("--format %q: choose one of %s", f.format, strings.Join(probe.FormatNames(), ", ")))
	}
	if f.timeout <= 0 {
		return usageErr(fmt.Errorf("--timeout %s: give a positive duration such as 3s", f.timeout))
	}
	if f.hold < 0 {
		return usageErr(fmt.Errorf("--hold %s: give a positive duration such as 30s (or leave it out for the rows' own)", f.hold))
	}
	if f.holdBisect == 1 || f.holdBisect < 0 {
		return usageErr(fmt.Errorf("--hold-bisect %d: give at least 2 connections (e.g. --hold-bisect 8 with --hold 16s finds the cut-off within 2 s)", f.holdBisect))
	}
	if f.retries < 0 || f.concurrency < 0 {
		return usageErr(errors.New("--retries and --concurrency cannot be negative"))
	}
	scn, topo, err := loadSite(f.scenario, f.config)
	if err != nil {
		return err
	}
	targets, book := map[string]string{}, probe.AddressBook{}
	for _, t := range f.targets {
		role, dest, addr, err := probe.ParseTarget(t)
		if err != nil {
			return usageErr(err)
		}
		if dest != nil {
			book[*dest] = addr
		} else {
			targets[role] = addr
		}
	}
	var src netip.Addr
	if f.source != "" {
		if src, err = netip.ParseAddr(f.source); err != nil {
			return usageErr(fmt.Errorf("--source %q is not an IP address", f.source))
		}
	}
	creds := probe.Credentials{CertFile: f.cert, KeyFile: f.keyFile, CAFile: f.ca}
	if f.cert == "" && f.keyFile == "" && f.ca == "" {
		creds.Dir = f.certDir
		if !cmd.Flags().Changed("certs") {
			if _, err := os.Stat(f.certDir); err != nil {
				creds.Dir = "" // TLS rows report the missing certificates instead of aborting
			}
		}
	}
	opts := probe.Options{
		Scenario: scn, Topology: topo, As: f.as, Targets: targets, Addresses: book, Source: src, PortOffset: f.portOffset,
		Timeout: f.timeout, Retries: f.retries, Only: f.only, Credentials: creds, ExpectSourceSeen: f.expectSourceSeen,
		Hold: f.hold, Strict: f.strict, Guards: f.guards, HoldBisect: f.holdBisect, HLB: f.hlb,
	}
	if f.clientProfile != "" {
		cp, err := wireprofile.Get(f.clientProfile)
		if err != nil {
			return usageErr(fmt.Errorf("--client-profile: %w", err))
		}
		opts.ClientProfile = &cp
	}
	if f.skipDeny {
		opts.SkipDenyReason = probe.FirewallSkipReason
	}
	jobs, err := probe.Plan(opts)
	if err != nil {
		return usageErr(err)
	}
	post, err := startPost(f.post, f, scn.Name, time.Now(), cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep := runJobs(ctx, cmd, scn.Name, jobs, f.concurrency, f.timeout, post.Add)
	finishPost(post, f.post.url, cmd.ErrOrStderr())
	if err := writeReport(cmd.OutOrStdout(), out, f.format, f.output, rep, f.noColor); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return &exitError{code: 1, err: errors.New("interrupted: rows not run are reported as skip")}
	}
	if rep.NothingProven() {
		return &exitError{code: 1, err: fmt.Errorf("no row was proven (%d unproven, %d skipped): this run shows nothing of the firewall; each row's reason says what would prove it", rep.Summary.Unproven, rep.Summary.Skip)}
	}
	if rep.ExitCode() != 0 {
		return errFailed
	}
	return nil
}

// runJobs runs the plan, showing a progress line on a terminal stderr while results stream in
// and, while hold checks keep connections idle, every second.
func runJobs(ctx context.Context, cmd *cobra.Command, name string, jobs []probe.Job, concurrency int, timeout time.Duration, onResult ...func(probe.Result)) *probe.Report {
	errOut := cmd.ErrOrStderr()
	var hold time.Duration
	for _, j := range jobs {
		if j.SkipReason == "" {
			hold = max(hold, j.Hold)
		}
	}
	progress := isTerminal(errOut) && ansiConsole(errOut) && (len(jobs) > 1 || hold > 0)
	var (
		mu          sync.Mutex
		done, fails int
		unproven    int
		last        string
		finished    bool
	)
	started := time.Now()
	draw := func() {
		if finished {
			return
		}
		line := fmt.Sprintf("%s %d/%d rows, %d failing", bar(done, len(jobs), 20), done, len(jobs), fails)
		if unproven > 0 {
			line += fmt.Sprintf(", %d unproven", unproven)
		}
		if hold > 0 && done < len(jobs) {
			line += fmt.Sprintf(", holding idle %s of %s", time.Since(started).Truncate(time.Second), hold)
		}
		if last != "" {
			line += " (last: " + last + ")"
		}
		fmt.Fprint(errOut, "\r\x1b[K"+line)
	}
	if progress && hold > 0 {
		tick := time.NewTicker(time.Second)
		stopTick := make(chan struct{})
		defer func() { tick.Stop(); close(stopTick) }()
		go func() {
			for {
				select {
				case <-tick.C:
					mu.Lock()
					draw()
					mu.Unlock()
				case <-stopTick:
					return
				}
			}
		}()
	}
	rep := probe.Collect(name, started, probe.Run(ctx, jobs, concurrency), func(n int, r probe.Result) {
		mu.Lock()
		defer mu.Unlock()
		done, last = n, r.ID
		for _, f := range onResult {
			f(r)
		}
		switch r.Verdict {
		case wire.VerdictFail:
			fails++
		case wire.VerdictUnproven:
			unproven++
		}
		if progress {
			draw()
		}
	})
	if progress {
		mu.Lock()
		fmt.Fprint(errOut, "\r\x1b[K")
		finished = true // the ticker may still fire once: nothing more to draw
		mu.Unlock()
	}
	rep.TimeoutMS = float64(timeout.Milliseconds())
	return rep
}

func bar(done, total, width int) string {
	n := done * width / max(total, 1)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// writeReport prints the table (or the chosen format) to stdout and, with --output, the chosen
// format to the file.
func writeReport(stdout io.Writer, out probe.Output, format, file string, rep *probe.Report, noColor bool) error {
	table := probe.Table{Color: !noColor && isTerminal(stdout) && ansiConsole(stdout) && os.Getenv("NO_COLOR") == ""}
	if file == "" {
		if format == "table" {
			return table.Write(stdout, rep)
		}
		return out.Write(stdout, rep)
	}
	fh, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	if err := out.Write(fh, rep); err != nil {
		fh.Close()
		return fmt.Errorf("--output %s: %w", file, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("--output %s: %w", file, err)
	}
	if err := table.Write(stdout, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s report written to %s\n", format, file)
	return nil
}

// isTerminal reports whether w is a terminal (golang.org/x/term: /dev/null, a character device,
// is not one), so colours and progress lines never end up in files or pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
