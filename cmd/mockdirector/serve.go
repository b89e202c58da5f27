package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/listeners"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
	"github.com/mockdirector/mockdirector/topology"
)

type serveFlags struct {
	role, member, bind, config, scenario string
	portOffset                           int
	certDir, key, cert, keyFile, ca      string
	journal                              string
	verbose, noGuards                    bool
	limits                               listeners.Limits
	adminFlags
}

func init() {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --role director|frontend|edge-internal",
		Short: "Listen on every port the table gives a role, answer each protocol, journal every connection",
		Long: `serve binds every listener the port table gives the role, on the real port numbers:
  director       80, 443, 4443, 8080 (web services), 5061 (SIP/MTLS), 50001-50003 (CLS/MTLS)
  frontend       444, 4443, 8080 (web services), 5061 (SIP/MTLS)
  edge-internal  5061 (SIP/MTLS)
Every handshake and request becomes one JSON line in the journal before it is answered.

Guards: serve also binds a guard listener on every port (TCP, and the UDP twins of the HTTPS
and SIP ports) that the table denies toward the role, so a denied path that is open is caught:
a guard completes the TCP (and TLS) handshake, journals a "guard" hit with the source and
answers marked guard (HTTP 403, SIP 403, the CLS banner with guard=true, a QUIC identity).
A guard port something else holds is reported and skipped. --no-guards turns them off.

Certificates: without --cert/--key-file/--ca, serve uses --certs DIR and generates a private CA
and the member's certificate there on first start (peers must trust DIR/ca.crt).

Examples:
  sudo mockdirector serve --role director
  mockdirector serve --role director --port-offset 10000 --bind 127.0.0.2
  mockdirector serve --role frontend --config site.yaml --member fe02 --journal fe02.jsonl
  curl -sk https://127.0.0.1:4443/.well-known/mockdirector`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.role, "role", "", "role to stand in for: "+strings.Join(scenarios.ServerRoles, ", "))
	fl.StringVar(&f.member, "member", "", "member of the role's pool in the topology (name or short name; default the first)")
	fl.StringVar(&f.bind, "bind", "", "address every listener binds (default: the member's address in the topology, else all)")
	fl.IntVar(&f.portOffset, "port-offset", 0, "add N to every port (non-root use: 10000 makes 443 into 10443)")
	fl.StringVar(&f.config, "config", "", "topology YAML: pools, members, addresses, per-listener overrides (default: built-in contoso)")
	fl.StringVar(&f.scenario, "scenario", scenarios.BuiltinName, "port table: a built-in scenario name or a YAML file")
	fl.StringVar(&f.certDir, "certs", "mockdirector-certs", "directory of generated certificates (created and filled when missing)")
	fl.StringVar(&f.key, "key", string(certs.DefaultKeyType), "key type for generated certificates: rsa2048, rsa3072, rsa4096, ecdsa-p256")
	fl.StringVar(&f.cert, "cert", "", "the site's own PEM certificate chain (with --key-file and --ca)")
	fl.StringVar(&f.keyFile, "key-file", "", "the site's own PEM private key")
	fl.StringVar(&f.ca, "ca", "", "PEM CA bundle that client certificates must chain to")
	fl.StringVar(&f.journal, "journal", "mockdirector-journal.jsonl", "journal file (JSON Lines, appended)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log protocol details to stderr")
	fl.BoolVar(&f.noGuards, "no-guards", false, "bind no guard listeners on the ports the table denies toward the role")
	fl.IntVar(&f.limits.MaxConns, "max-conns", listeners.DefaultMaxConns, "open TCP connections across all listeners; more are refused and journaled as over-limit (-1: no cap)")
	fl.IntVar(&f.limits.MaxConnsPerSource, "max-conns-per-source", listeners.DefaultMaxConnsPerSource, "open TCP connections from one source address (-1: no cap)")
	fl.DurationVar(&f.limits.SIPRequestTimeout, "sip-request-timeout", listeners.DefaultSIPRequestTimeout, "a SIP request must arrive whole this long after its first byte")
	fl.DurationVar(&f.limits.SIPIdleTimeout, "sip-idle-timeout", listeners.DefaultSIPIdleTimeout, "close a SIP connection without a request or CRLF keep-alive for this long")
	fl.IntVar(&f.limits.MinClientRSABits, "min-client-rsa-bits", listeners.DefaultMinClientRSABits, "refuse client certificates with a smaller RSA key (journaled as weak-key); 1024 for a lab whose peers have Lync's documented minimum")
	addAdminFlags(fl, &f.adminFlags)
	cmd.MarkFlagRequired("role")
	rootCmd.AddCommand(cmd)
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	if !containsStr(scenarios.ServerRoles, f.role) {
		return usageErr(fmt.Errorf("--role %q: serve stands in for %s", f.role, strings.Join(scenarios.ServerRoles, ", ")))
	}
	kt, err := certs.ParseKeyType(f.key)
	if err != nil {
		return usageErr(fmt.Errorf("--key: %w", err))
	}
	scn, err := scenarios.Load(f.scenario)
	if err != nil {
		return usageErr(err)
	}
	topo, err := topology.Load(f.config)
	if err != nil {
		return usageErr(err)
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	out := cmd.OutOrStdout()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	po := roleprofile.PlanOptions{Role: f.role, Member: f.member, Bind: f.bind, PortOffset: f.portOffset, Guards: !f.noGuards}
	prof, err := roleprofile.New(scn, topo, po)
	if err != nil {
		return usageErr(err)
	}
	adm, err := startAdmin(f.adminFlags, f.role, prof.Member.Name, f.journal, scn, topo, log)
	if err != nil {
		return err
	}
	if err := ensureJournalMode(f.journal, out); err != nil {
		adm.close()
		return err
	}
	inst, err := server.Start(server.Options{
		Scenario: scn, Topology: topo, PlanOptions: po, Profile: prof,
		CertDir: f.certDir, KeyType: kt, CertFile: f.cert, KeyFile: f.keyFile, CAFile: f.ca, CertPassword: serveCertPassword,
		JournalPath: f.journal, Limits: f.limits,
		Log:       log,
		Out:       out,
		Observers: adm.observers(),
	})
	if err != nil {
		adm.close()
		if errors.Is(err, listeners.ErrNoServerCert) {
			err = fmt.Errorf("%w (run `mockdirector certs init`, or pass --cert, --key-file and --ca)", err)
		}
		return err
	}
	printListeners(out, inst)
	adm.announce(out)
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	adm.serve(ctx, log)
	defer adm.close()
	if err := inst.Serve(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "stopped; journal %s synced\n", f.journal)
	return nil
}

func printListeners(out io.Writer, inst *server.Instance) {
	addrs := inst.Addrs()
	m := inst.Specs[0]
	fmt.Fprintf(out, "mockdirector serving %s member %s (pool %s), journal %s\n", m.Role, m.Member, m.Pool, inst.JournalPath)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LISTENER\tADDRESS\tTRY")
	guards := 0
	for _, s := range inst.Specs {
		a := addrs[s.Name].String()
		if s.Guard {
			guards++
			a += " (" + string(s.Transport()) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, a, tryHint(s, reachable(addrs[s.Name].String()), inst.CertDir, inst.CertFile != ""))
	}
	tw.Flush()
	if guards > 0 || len(inst.Unguarded) > 0 {
		fmt.Fprintf(out, "%d guard listeners on the ports the table denies toward %s (a hit is journaled as kind guard; --no-guards turns them off)\n", guards, m.Role)
	}
	for _, u := range inst.Unguarded {
		fmt.Fprintf(out, "warning: no guard on %s (%s): %s\n", u.Port, u.Addr, u.Reason)
	}
	fmt.Fprintln(out, "ready; Ctrl-C stops, drains and syncs the journal")
}

// reachable turns a wildcard bind ([::]:443, 0.0.0.0:443) into an address a person can paste.
func reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// tryHint is a command that shows the listener answering.
func tryHint(s listeners.Spec, addr, certDir string, siteCerts bool) string {
	cert := fmt.Sprintf(" -cert %s -key %s -CAfile %s",
		certs.CertPath(certDir, certs.ProbeName), certs.KeyPath(certDir, certs.ProbeName), filepath.Join(certDir, certs.CACertFile))
	if siteCerts {
		cert = " -cert CLIENT.crt -key CLIENT.key -CAfile CA.crt"
	}
	switch s.Protocol {
	case wire.ProtoHTTP:
		return "curl -s http://" + addr + wire.WellKnownPath
	case wire.ProtoHTTPS:
		return "curl -sk https://" + addr + wire.WellKnownPath
	case wire.ProtoUDPQUIC:
		return "QUIC over UDP: mockdirector probe with a udp-quic row"
	case wire.ProtoCLSMTLS:
		return "openssl s_client -quiet -connect " + addr + cert + "   (then: PING x)"
	default:
		return "openssl s_client -connect " + addr + cert
	}
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
