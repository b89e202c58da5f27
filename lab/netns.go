package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Prefix starts the name of every namespace the lab creates; Cleanup removes only those.
const Prefix = "mdlab-"

// Namespaces of the lab.
const (
	NSFirewall = Prefix + "fw"    // the router that enforces firewall.nft
	NSClients  = Prefix + "cli"   // internal client 192.0.2.10 and an "any" host 192.0.2.20
	NSRP       = Prefix + "rp"    // nginx: external 192.0.2.80, internal 198.51.100.10
	NSEdge     = Prefix + "edge"  // kamailio: Edge internal interface 198.51.100.20
	NSHLB      = Prefix + "hlb"   // HAProxy: Director HLB VIP 203.0.113.10, router for the Directors
	NSDir01    = Prefix + "dir01" // mockdirector serve --role director --member dir01
	NSDir02    = Prefix + "dir02"
	NSFe01     = Prefix + "fe01" // mockdirector serve --role frontend --member fe01
	NSFe02     = Prefix + "fe02"
	NSPKI      = Prefix + "pki" // mockdirector serve --role pki: the CA's CDP and AIA on HTTP 80
)

// Addresses of the lab (lab/topology.yaml holds the same).
const (
	AddrClient   = "192.0.2.10"
	AddrAny      = "192.0.2.20"
	AddrRPExt    = "192.0.2.80"
	AddrRPInt    = "198.51.100.10"
	AddrEdge     = "198.51.100.20"
	AddrVIP      = "203.0.113.10"
	AddrDir01    = "203.0.113.21"
	AddrDir02    = "203.0.113.22"
	AddrFe01     = "203.0.113.31"
	AddrFe02     = "203.0.113.32"
	AddrPKI      = "203.0.113.40"
	AddrFWClient = "192.0.2.1"    // the router's address on every clients-side leg
	AddrFWPerim  = "198.51.100.1" // on every perimeter-internal leg (the SNAT mutation hides behind it)
	AddrFWServer = "203.0.113.1"  // on every servers-side leg
)

// leg is one veth pair from a router namespace to a leaf: /32 addresses, on-link routes.
type leg struct {
	router, routerIf, routerAddr string
	ns, nsIf                     string
	addrs                        []string
	// routes in the leaf via routerAddr; empty means a default route.
	routes []string
	// behind are addresses further away that the fw reaches through this leg's first address.
	behind []string
}

var legs = []leg{
	{router: NSFirewall, routerIf: "cli", routerAddr: AddrFWClient, ns: NSClients, nsIf: "eth0", addrs: []string{AddrClient, AddrAny}},
	{router: NSFirewall, routerIf: "rpext", routerAddr: AddrFWClient, ns: NSRP, nsIf: "ext", addrs: []string{AddrRPExt}, routes: []string{"192.0.2.0/24"}},
	{router: NSFirewall, routerIf: "rpint", routerAddr: AddrFWPerim, ns: NSRP, nsIf: "int", addrs: []string{AddrRPInt}},
	{router: NSFirewall, routerIf: "edge", routerAddr: AddrFWPerim, ns: NSEdge, nsIf: "eth0", addrs: []string{AddrEdge}},
	{router: NSFirewall, routerIf: "hlb", routerAddr: AddrFWServer, ns: NSHLB, nsIf: "fw", addrs: []string{AddrVIP}, behind: []string{AddrDir01, AddrDir02}},
	{router: NSFirewall, routerIf: "fe01", routerAddr: AddrFWServer, ns: NSFe01, nsIf: "eth0", addrs: []string{AddrFe01}},
	{router: NSFirewall, routerIf: "fe02", routerAddr: AddrFWServer, ns: NSFe02, nsIf: "eth0", addrs: []string{AddrFe02}},
	{router: NSFirewall, routerIf: "pki", routerAddr: AddrFWServer, ns: NSPKI, nsIf: "eth0", addrs: []string{AddrPKI}},
	{router: NSHLB, routerIf: "dir01", routerAddr: AddrVIP, ns: NSDir01, nsIf: "eth0", addrs: []string{AddrDir01}},
	{router: NSHLB, routerIf: "dir02", routerAddr: AddrVIP, ns: NSDir02, nsIf: "eth0", addrs: []string{AddrDir02}},
}

// AllNamespaces lists every namespace the lab creates.
var AllNamespaces = []string{NSFirewall, NSClients, NSRP, NSEdge, NSHLB, NSDir01, NSDir02, NSFe01, NSFe02, NSPKI}

// Run runs a command on the host and returns its combined output; errors carry the output.
func Run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("lab: %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// NSRun runs a command inside a namespace.
func NSRun(ns, name string, args ...string) (string, error) {
	return Run("ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

func sysctl(ns, key, value string) error {
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	_, err := NSRun(ns, "sh", "-c", fmt.Sprintf("echo %s > %s", value, path))
	return err
}

// Namespaces returns the lab namespaces that exist now (leftovers included).
func Namespaces() ([]string, error) {
	out, err := Run("ip", "netns", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], Prefix) {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// NSPids returns the processes running in a namespace.
func NSPids(ns string) []int {
	out, _ := Run("ip", "netns", "pids", ns)
	var pids []int
	for _, f := range strings.Fields(out) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// Cleanup kills every process inside a namespace whose name starts with Prefix and deletes the
// namespace (its veths and its nft tables go with it). It is safe to call at any time: it is how
// a run removes the leftovers of a crashed one.
func Cleanup() error {
	names, err := Namespaces()
	if err != nil {
		return err
	}
	var errs []error
	for _, ns := range names {
		for try := 0; try < 50; try++ {
			pids := NSPids(ns)
			if len(pids) == 0 {
				break
			}
			for _, p := range pids {
				syscall.Kill(p, syscall.SIGKILL)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := Run("ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Build creates the namespaces, the veth legs, the addresses and routes, and turns forwarding on
// in the routers. It does not load the firewall (see LoadFirewall): until then mdlab-fw forwards
// nothing, because Build loads a drop-everything table first.
func Build() error {
	for _, ns := range AllNamespaces {
		if _, err := Run("ip", "netns", "add", ns); err != nil {
			return err
		}
		if _, err := Run("ip", "-n", ns, "link", "set", "lo", "up"); err != nil {
			return err
		}
	}
	if err := LoadRules("table inet mdlab {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n"); err != nil {
		return err
	}
	for _, l := range legs {
		steps := [][]string{
			{"-n", l.router, "link", "add", l.routerIf, "type", "veth", "peer", "name", l.nsIf, "netns", l.ns},
			{"-n", l.router, "addr", "add", l.routerAddr + "/32", "dev", l.routerIf},
			{"-n", l.router, "link", "set", l.routerIf, "up"},
			{"-n", l.ns, "link", "set", l.nsIf, "up"},
		}
		for _, a := range l.addrs {
			steps = append(steps,
				[]string{"-n", l.ns, "addr", "add", a + "/32", "dev", l.nsIf},
				[]string{"-n", l.router, "route", "add", a + "/32", "dev", l.routerIf})
		}
		for _, b := range l.behind {
			steps = append(steps, []string{"-n", l.router, "route", "add", b + "/32", "via", l.addrs[0], "dev", l.routerIf})
		}
		steps = append(steps, []string{"-n", l.ns, "route", "add", l.routerAddr + "/32", "dev", l.nsIf, "src", l.addrs[0]})
		if len(l.routes) == 0 {
			steps = append(steps, []string{"-n", l.ns, "route", "add", "default", "via", l.routerAddr, "dev", l.nsIf, "src", l.addrs[0]})
		}
		for _, r := range l.routes {
			steps = append(steps, []string{"-n", l.ns, "route", "add", r, "via", l.routerAddr, "dev", l.nsIf, "src", l.addrs[0]})
		}
		for _, s := range steps {
			if _, err := Run("ip", s...); err != nil {
				return fmt.Errorf("lab: leg %s/%s -> %s/%s: %w", l.router, l.routerIf, l.ns, l.nsIf, err)
			}
		}
	}
	for _, ns := range []string{NSFirewall, NSHLB} {
		for _, kv := range [][2]string{
			{"net.ipv4.ip_forward", "1"},
			{"net.ipv4.conf.all.rp_filter", "0"},
			{"net.ipv4.conf.default.rp_filter", "0"},
		} {
			if err := sysctl(ns, kv[0], kv[1]); err != nil {
				return err
			}
		}
	}
	return setupTPROXY()
}

// setupTPROXY lets HAProxy in mdlab-hlb connect to the Directors from the client's own address
// (usesrc clientip), so a Director sees the true source: replies to those addresses are
// delivered to HAProxy's transparent sockets instead of being routed back to the firewall.
func setupTPROXY() error {
	for _, s := range [][]string{
		{"-n", NSHLB, "rule", "add", "fwmark", "1", "lookup", "100"},
		{"-n", NSHLB, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100"},
	} {
		if _, err := Run("ip", s...); err != nil {
			return err
		}
	}
	rules := `table ip mdlab-hlb {
	chain prerouting {
		type filter hook prerouting priority mangle; policy accept;
		meta l4proto tcp socket transparent 1 meta mark set 1 accept
	}
}
`
	return nftLoad(NSHLB, rules)
}

// LoadRules replaces the whole rule set of mdlab-fw atomically with the given nft text.
func LoadRules(text string) error {
	return nftLoad(NSFirewall, "flush ruleset\n"+text)
}

func nftLoad(ns, text string) error {
	f, err := os.CreateTemp("", "mdlab-*.nft")
	if err != nil {
		return fmt.Errorf("lab: nft: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("lab: nft: %w", err)
	}
	f.Close()
	_, err = NSRun(ns, "nft", "-f", f.Name())
	return err
}
