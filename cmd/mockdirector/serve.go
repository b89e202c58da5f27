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

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/gcfloor"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
)

type serveFlags struct {
	role, member, bind, config, scenario string
	portOffset                           int
	certDir, key, cert, keyFile, ca      string
	journal, profile                     string
	verbose, noGuards                    bool
	limits                               listeners.Limits
	journalMaxSize                       string
	journalKeep                          int
	journalMapped                        bool
	ephemeralPorts                       bool
	portsFile                            string
	adminFlags
	hostFirewall hostFWMode
	// certPassword opens a --cert .pfx/.p12: --cert-password, --cert-password-file or
	// $MOCKDIRECTOR_CERT_PASSWORD (resolveCertPassword, at the start of runServe).
	certPassword, certPasswordFile string
	store                          storeFlags
	// gcHeapFloor is the heap the collector lets the process grow to (gcfloor).
	gcHeapFloor string
}

func init() {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --role director|frontend|edge-internal|pki",
		Short: "Listen on every port the table gives a role, answer each protocol, journal every connection",
		Long: `serve binds every listener the port table gives the role, on the real port numbers:
  director       80, 443, 4443, 8080 (web services), 5061 (SIP/MTLS), 50001-50003 (CLS/MTLS)
  frontend       444, 4443, 8080 (web services), 5061 (SIP/MTLS)
  edge-internal  5061 (SIP/MTLS)
  pki            80 (the PKI web server: the CA's CRL and certificate on the CDP and AIA paths
                 of --certs DIR, for the certificate requirement rows; pools.pki in the topology;
                 no guard listeners: the table denies nothing toward it)
Every handshake and request becomes one JSON line in the journal before it is answered.

Guards: serve also binds a guard listener on every port (TCP, and the UDP twins of the HTTPS
and SIP ports) that the table denies toward the role, so a denied path that is open is caught:
a guard completes the TCP (and TLS) handshake, journals a "guard" hit with the source and
answers marked guard (HTTP 403, SIP 403, the CLS banner with guard=true, a QUIC identity).
A guard port something else holds is reported and skipped. --no-guards turns them off.

Wire profile: --profile (default lync2013-ws2012r2) makes every TLS listener look like that host
on the wire: TLS versions, cipher suites in the host's order with the server's choice, curves,
ALPN (no h2 on Windows Server 2012 R2 / IIS 8.5), the HTTP Server header (Microsoft-IIS/8.5) and
the SIP Server header (RTC/5.0). A topology listener's "profile:" overrides it for that listener.
HTTP/3 (http3: true) needs "profile: modern" on the listener: no Windows profile serves it, and
serve refuses to start rather than leave the UDP side silently unserved. The mock's identity
(X-MockDirector-* headers, /.well-known/mockdirector, the SIP identity header) is there under
every profile.

Known servers: SIP over MTLS (5061) takes a client certificate only when it names a server of
the topology in a role the table allows there (the Edge toward a Director), as Lync does;
"known_peers: any" on the listener relaxes that. CLS (50001-50003, "from any") takes any
certificate that chains to the CA.

Certificates: without --cert/--key-file/--ca, serve uses --certs DIR and generates a private CA
and the member's certificate there on first start (peers must trust DIR/ca.crt). On Windows,
--cert-store My --thumbprint X serves a certificate of LocalMachine\My with the key the store holds.

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
	fl.BoolVar(&f.ephemeralPorts, "ephemeral-ports", false, "bind every listener on a port the kernel picks (tests: runs never collide); --ports-file says which")
	fl.StringVar(&f.portsFile, "ports-file", "", "write where each table port is bound to FILE, one probe --target value a line (ROLE/PORT=HOST:PORT), before serve says ready")
	fl.StringVar(&f.config, "config", "", "topology YAML: pools, members, addresses, per-listener overrides (default: built-in contoso)")
	fl.StringVar(&f.scenario, "scenario", scenarios.BuiltinName, "port table: a built-in scenario name or a YAML file")
	fl.StringVar(&f.certDir, "certs", "mockdirector-certs", "directory of generated certificates (created and filled when missing)")
	keyTypeFlag(fl, &f.key)
	fl.StringVar(&f.cert, "cert", "", "the site's own PEM certificate chain (with --key-file and --ca)")
	fl.StringVar(&f.keyFile, "key-file", "", "the site's own PEM private key")
	fl.StringVar(&f.ca, "ca", "", "PEM CA bundle that client certificates must chain to")
	fl.StringVar(&f.certPassword, "cert-password", "",
		"password of a --cert .pfx/.p12 (the key is inside: no --key-file; without --ca the PFX's root CAs are trusted for client certificates); visible to other users in ps: prefer --cert-password-file or $"+certPasswordEnv)
	fl.StringVar(&f.certPasswordFile, "cert-password-file", "",
		"file whose first line is the password of a --cert .pfx/.p12 (instead of --cert-password)")
	addStoreFlags(fl, &f.store)
	fl.StringVar(&f.journal, "journal", "mockdirector-journal.jsonl", "journal file (JSON Lines, appended)")
	fl.StringVar(&f.journalMaxSize, "journal-max-size", "256MiB", "rotate the journal before it passes SIZE (FILE becomes FILE.1, FILE.2, ... oldest first; report reads them all); 0: never")
	fl.IntVar(&f.journalKeep, "journal-keep", 8, "rotated journal files to keep (the oldest beyond are removed, and serve says so); 0: keep all")
	fl.BoolVar(&f.journalMapped, "journal-mapped", false, "for load tests (Linux): copy each journal line into a mapping of the file instead of a write(2), the cheapest journal under load with the same promise (the line is the kernel's before the answer); while serve runs the file ends in allocated NUL bytes, so grep calls it binary and tail -f shows nothing new (report and the admin read it)")
	fl.StringVar(&f.profile, "profile", wireprofile.Default, "wire profile of the host to look like: "+strings.Join(wireprofile.Names(), ", "))
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log protocol details to stderr")
	fl.BoolVar(&f.noGuards, "no-guards", false, "bind no guard listeners on the ports the table denies toward the role")
	fl.IntVar(&f.limits.MaxConns, "max-conns", listeners.DefaultMaxConns, "open TCP connections across all listeners; more are refused and journaled as over-limit (-1: no cap)")
	fl.IntVar(&f.limits.MaxConnsPerSource, "max-conns-per-source", listeners.DefaultMaxConnsPerSource, "open TCP connections from one source address (-1: no cap)")
	fl.DurationVar(&f.limits.SIPRequestTimeout, "sip-request-timeout", listeners.DefaultSIPRequestTimeout, "a SIP request must arrive whole this long after its first byte")
	fl.DurationVar(&f.limits.SIPIdleTimeout, "sip-idle-timeout", listeners.DefaultSIPIdleTimeout, "close a SIP connection without a request or CRLF keep-alive for this long")
	fl.IntVar(&f.limits.MinClientRSABits, "min-client-rsa-bits", listeners.DefaultMinClientRSABits, "refuse client certificates with a smaller RSA key (journaled as weak-key); 1024 for a lab whose peers have Lync's documented minimum")
	fl.StringVar(&f.gcHeapFloor, "gc-heap-floor", "0",
		"let the heap grow to SIZE (e.g. "+humanize.IBytes(gcfloor.Suggested)+") before the Go collector runs: ~3% less CPU a request under load, more memory when idle; 0 (or GOGC set in the environment): Go's own pacing")
	addAdminFlags(fl, &f.adminFlags)
	addHostFirewallFlag(fl, &f.hostFirewall)
	cmd.MarkFlagRequired("role")
	rootCmd.AddCommand(cmd)
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	pw, err := resolveCertPassword(cmd.Flags().Changed("cert-password"), f.certPassword, f.certPasswordFile, os.Getenv(certPasswordEnv))
	if err != nil {
		return usageErr(err)
	}
	f.certPassword = pw
	if !containsStr(scenarios.ServerRoles, f.role) {
		return usageErr(fmt.Errorf("--role %q: serve stands in for %s", f.role, strings.Join(scenarios.ServerRoles, ", ")))
	}
	if f.role == scenarios.RolePKI && (f.cert != "" || f.keyFile != "" || f.ca != "") {
		return usageErr(fmt.Errorf("--role pki publishes the CRL and certificate of the CA in --certs DIR; the site's own certificates (--cert) come with the site's own PKI web server: probe that one"))
	}
	kt, err := certs.ParseKeyType(f.key)
	if err != nil {
		return usageErr(fmt.Errorf("--key-type: %w", err))
	}
	if _, err := wireprofile.Get(f.profile); err != nil {
		return usageErr(fmt.Errorf("--profile: %w", err))
	}
	scn, topo, err := loadSite(f.scenario, f.config)
	if err != nil {
		return err
	}
	maxSize, err := sizeFlag("journal-max-size", f.journalMaxSize, "256MiB, 1GB or 0 (never rotate)")
	if err != nil {
		return err
	}
	if f.journalKeep < 0 {
		return usageErr(fmt.Errorf("--journal-keep %d: a count of rotated files, 0 keeps all", f.journalKeep))
	}
	heapFloor, err := sizeFlag("gc-heap-floor", f.gcHeapFloor, "64MiB, or 0 (Go's own collector pacing)")
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	out := cmd.OutOrStdout()
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	// No guards on the PKI host: the table denies nothing toward it (the complement leaves it
	// out: a CA's web server serves more than the CDP and AIA paths).
	po := roleprofile.PlanOptions{Role: f.role, Member: f.member, Bind: f.bind, PortOffset: f.portOffset, Ephemeral: f.ephemeralPorts, Guards: !f.noGuards && f.role != scenarios.RolePKI}
	prof, err := roleprofile.New(scn, topo, po)
	if err != nil {
		return usageErr(err)
	}
	// The store certificate is checked before anything is written (the admin token, the
	// journal), and at service install too.
	storeID, err := certStoreIdentity(f, cmd.Flags().Changed("cert-password") || cmd.Flags().Changed("cert-password-file"), topo, prof.Member.Name, out)
	if err != nil {
		return err
	}
	if serveCheckOnly(cmd.Context()) {
		return nil // service install: the flags hold; nothing is bound or written
	}
	// Signals are taken from here on, before anything is bound: a SIGTERM sent the moment serve
	// says ready (a supervisor, a test) stops it cleanly instead of killing it with the host
	// firewall's rules in place, and one sent while starting stops it before ready.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := checkJournalDir(f.journal); err != nil {
		return err
	}
	if msg := gcfloor.Set(heapFloor); msg != "" {
		log.Info(msg)
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
		Scenario: scn, Topology: topo, PlanOptions: po, Profile: prof, WireProfile: f.profile,
		CertDir: f.certDir, KeyType: kt, CertFile: f.cert, KeyFile: f.keyFile, CAFile: f.ca, CertPassword: f.certPassword, Identity: storeID,
		JournalPath: f.journal, Limits: f.limits, JournalOptions: journal.Options{MaxSize: int64(maxSize), Keep: f.journalKeep, Mapped: f.journalMapped},
		Log:       log,
		Out:       out,
		Observers: adm.observers(),
	})
	if err != nil {
		adm.close()
		if errors.Is(err, listeners.ErrNoServerCert) {
			err = fmt.Errorf("%w (run `mockdirector certs init`, or pass --cert, --key-file and --ca)", err)
		}
		if errors.Is(err, server.ErrProfile) {
			return usageErr(err)
		}
		return err
	}
	if err := adm.useTLS(inst); err != nil {
		inst.Close()
		adm.close()
		return err
	}
	hfw, err := startHostFirewall(cmd.Context(), ctx, f.hostFirewall, inst, out)
	if err != nil {
		inst.Close()
		adm.close()
		return err
	}
	defer hfw.close()
	if f.portsFile != "" {
		if err := writePortsFile(f.portsFile, inst); err != nil {
			inst.Close()
			adm.close()
			return err
		}
	}
	if ctx.Err() == nil {
		printListeners(out, inst)
		adm.announce(out)
	}
	adm.serve(ctx, log)
	defer adm.close()
	if err := inst.Serve(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "stopped; journal %s synced\n", f.journal)
	return nil
}

// sizeFlag reads the --NAME size flag (256MiB, 1GB, 0); a value that is no size, or past what
// an int64 of bytes holds, is a usage error that says what to give.
func sizeFlag(name, value, examples string) (uint64, error) {
	n, err := humanize.ParseBytes(value)
	if err != nil || n > 1<<62 {
		return 0, usageErr(fmt.Errorf("--%s %q: a size such as %s", name, value, examples))
	}
	return n, nil
}

func printListeners(out io.Writer, inst *server.Instance) {
	addrs := inst.Addrs()
	m := inst.Specs[0]
	fmt.Fprintf(out, "mockdirector serving %s member %s (pool %s), journal %s\n", m.Role, m.Member, m.Pool, inst.JournalPath)
	if p, err := wireprofile.Get(inst.WireProfile); err == nil {
		fmt.Fprintf(out, "wire profile %s: %s\n", p.Name, p.Description)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LISTENER\tADDRESS\tPROFILE\tTRY")
	guards := 0
	for _, s := range inst.Specs {
		a := addrs[s.Name].String()
		if s.Guard {
			guards++
			a += " (" + string(s.Transport()) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, a, listenerProfile(s), tryHint(s, reachable(addrs[s.Name].String()), inst.CertDir, inst.CertFile != "" || inst.Identity != nil))
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

// listenerProfile is the PROFILE column: the wire profile, and who an MTLS listener takes.
func listenerProfile(s listeners.Spec) string {
	switch {
	case s.Protocol == wire.ProtoUDPQUIC:
		return "quic (TLS 1.3)"
	case s.Peers != nil:
		return s.Profile + ", known " + strings.Join(s.Peers.Roles, "/") + " servers only"
	case s.HTTP3:
		return s.Profile + " +h3"
	}
	return s.Profile
}

// tryHint is a command that shows the listener answering.
func tryHint(s listeners.Spec, addr, certDir string, siteCerts bool) string {
	name := certs.ProbeName
	if s.Peers != nil && len(s.Peers.Names) > 0 {
		name = s.Peers.Names[0] // a known server's certificate: the probe's is refused here
	}
	cert := fmt.Sprintf(" -cert %s -key %s -CAfile %s",
		certs.CertPath(certDir, name), certs.KeyPath(certDir, name), filepath.Join(certDir, certs.CACertFile))
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

// certPasswordEnv names the environment variable serve reads the PFX password from when no
// flag gives it: unlike --cert-password it is not visible to other users in ps.
const certPasswordEnv = "MOCKDIRECTOR_CERT_PASSWORD"

// resolveCertPassword picks the PFX password: --cert-password (flagSet, flagValue), else the
// first line of --cert-password-file, else the environment variable; both flags at once is
// an error, as is an unreadable or empty password file.
func resolveCertPassword(flagSet bool, flagValue, file, env string) (string, error) {
	switch {
	case flagSet && file != "":
		return "", errors.New("--cert-password and --cert-password-file both give the PFX password: pass one")
	case flagSet:
		return flagValue, nil
	case file != "":
		return readSecretFile("--cert-password-file", file, false, "the first line is empty (write the PFX password there)")
	}
	return env, nil
}
