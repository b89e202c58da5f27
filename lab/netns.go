package lab

import (
	"fmt"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/netns"
)

// nsPrefix starts the name of every namespace the lab creates; removeLeftovers removes only those.
const nsPrefix = "mdlab-"

// labNamespaces of the lab.
const (
	nsFirewall = nsPrefix + "fw"    // the router that enforces firewall.nft
	nsClients  = nsPrefix + "cli"   // internal client 192.0.2.10 and an "any" host 192.0.2.20
	nsRP       = nsPrefix + "rp"    // nginx: external 192.0.2.80, internal 198.51.100.10
	nsEdge     = nsPrefix + "edge"  // kamailio: Edge internal interface 198.51.100.20
	nsHLB      = nsPrefix + "hlb"   // HAProxy: Director HLB VIP 203.0.113.10, router for the Directors
	nsDir01    = nsPrefix + "dir01" // mockdirector serve --role director --member dir01
	nsDir02    = nsPrefix + "dir02"
	nsFe01     = nsPrefix + "fe01" // mockdirector serve --role frontend --member fe01
	nsFe02     = nsPrefix + "fe02"
	nsPKI      = nsPrefix + "pki" // mockdirector serve --role pki: the CA's CDP and AIA on HTTP 80
)

// Addresses of the lab (lab/topology.yaml holds the same).
const (
	addrClient   = "192.0.2.10"
	addrAny      = "192.0.2.20"
	addrRPExt    = "192.0.2.80"
	addrRPInt    = "198.51.100.10"
	addrEdge     = "198.51.100.20"
	addrVIP      = "203.0.113.10"
	addrDir01    = "203.0.113.21"
	addrDir02    = "203.0.113.22"
	addrFe01     = "203.0.113.31"
	addrFe02     = "203.0.113.32"
	addrPKI      = "203.0.113.40"
	addrFWClient = "192.0.2.1"    // the router's address on every clients-side leg
	addrFWPerim  = "198.51.100.1" // on every perimeter-internal leg (the SNAT mutation hides behind it)
	addrFWServer = "203.0.113.1"  // on every servers-side leg
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
	{router: nsFirewall, routerIf: "cli", routerAddr: addrFWClient, ns: nsClients, nsIf: "eth0", addrs: []string{addrClient, addrAny}},
	{router: nsFirewall, routerIf: "rpext", routerAddr: addrFWClient, ns: nsRP, nsIf: "ext", addrs: []string{addrRPExt}, routes: []string{"192.0.2.0/24"}},
	{router: nsFirewall, routerIf: "rpint", routerAddr: addrFWPerim, ns: nsRP, nsIf: "int", addrs: []string{addrRPInt}},
	{router: nsFirewall, routerIf: "edge", routerAddr: addrFWPerim, ns: nsEdge, nsIf: "eth0", addrs: []string{addrEdge}},
	{router: nsFirewall, routerIf: "hlb", routerAddr: addrFWServer, ns: nsHLB, nsIf: "fw", addrs: []string{addrVIP}, behind: []string{addrDir01, addrDir02}},
	{router: nsFirewall, routerIf: "fe01", routerAddr: addrFWServer, ns: nsFe01, nsIf: "eth0", addrs: []string{addrFe01}},
	{router: nsFirewall, routerIf: "fe02", routerAddr: addrFWServer, ns: nsFe02, nsIf: "eth0", addrs: []string{addrFe02}},
	{router: nsFirewall, routerIf: "pki", routerAddr: addrFWServer, ns: nsPKI, nsIf: "eth0", addrs: []string{addrPKI}},
	{router: nsHLB, routerIf: "dir01", routerAddr: addrVIP, ns: nsDir01, nsIf: "eth0", addrs: []string{addrDir01}},
	{router: nsHLB, routerIf: "dir02", routerAddr: addrVIP, ns: nsDir02, nsIf: "eth0", addrs: []string{addrDir02}},
}

// allNamespaces lists every namespace the lab creates.
var allNamespaces = []string{nsFirewall, nsClients, nsRP, nsEdge, nsHLB, nsDir01, nsDir02, nsFe01, nsFe02, nsPKI}

// namespaces is the lab's set: fixed names (mdlab-fw, mdlab-cli, ...), so a run holds the
// prefix's lease (lockNamespaces) from before it removes leftovers until it has torn down.
var namespaces = netns.Set{Prefix: nsPrefix}

// leaseWait is how long a run waits for another run of the lab on the host to finish.
const leaseWait = 10 * time.Minute

// lockNamespaces takes the lease of the mdlab- prefix: one lab run at a time on a host, and
// while the lease is held the mdlab-* namespaces (and mdlab-* working directories) that exist
// are this run's or a crashed run's, never a live run's.
func lockNamespaces() (*netns.Lease, error) { return netns.Lock(nsPrefix, leaseWait) }

// runHost runs a command on the host and returns its combined output; errors carry the output.
func runHost(name string, args ...string) (string, error) { return netns.Run(name, args...) }

// runIn runs a command inside a namespace.
func runIn(ns, name string, args ...string) (string, error) { return netns.Exec(ns, name, args...) }

func sysctl(ns, key, value string) error {
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	_, err := runIn(ns, "sh", "-c", fmt.Sprintf("echo %s > %s", value, path))
	return err
}

// labNamespaces returns the lab namespaces that exist now (leftovers included).
func labNamespaces() ([]string, error) { return namespaces.List() }

// removeLeftovers kills every process inside a namespace whose name starts with nsPrefix and deletes the
// namespace (its veths and its nft tables go with it), bounded. Call it holding the lease
// (lockNamespaces): then it removes this run's namespaces or a crashed run's, never a live one's.
func removeLeftovers() error { return namespaces.Remove() }

// buildNetwork creates the namespaces, the veth legs, the addresses and routes, and turns forwarding on
// in the routers. It does not load the firewall (see LoadFirewall): until then mdlab-fw forwards
// nothing, because buildNetwork loads a drop-everything table first.
func buildNetwork() error {
	for _, ns := range allNamespaces {
		if _, err := namespaces.Add(strings.TrimPrefix(ns, nsPrefix)); err != nil {
			return err
		}
	}
	if err := loadFirewallRules("table inet mdlab {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n"); err != nil {
		return err
	}
	for _, l := range legs {
		leaf := netns.End{NS: l.ns, If: l.nsIf}
		for _, a := range l.addrs {
			leaf.Addrs = append(leaf.Addrs, a+"/32")
		}
		if err := netns.Veth(netns.End{NS: l.router, If: l.routerIf, Addrs: []string{l.routerAddr + "/32"}}, leaf); err != nil {
			return fmt.Errorf("lab: leg %s/%s -> %s/%s: %w", l.router, l.routerIf, l.ns, l.nsIf, err)
		}
		var steps [][]string
		for _, a := range l.addrs {
			steps = append(steps, []string{"-n", l.router, "route", "add", a + "/32", "dev", l.routerIf})
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
			if _, err := runHost("ip", s...); err != nil {
				return fmt.Errorf("lab: leg %s/%s -> %s/%s: %w", l.router, l.routerIf, l.ns, l.nsIf, err)
			}
		}
	}
	for _, ns := range []string{nsFirewall, nsHLB} {
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
		{"-n", nsHLB, "rule", "add", "fwmark", "1", "lookup", "100"},
		{"-n", nsHLB, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100"},
	} {
		if _, err := runHost("ip", s...); err != nil {
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
	return nftLoad(nsHLB, rules)
}

// loadFirewallRules replaces the whole rule set of mdlab-fw atomically with the given nft text.
func loadFirewallRules(text string) error {
	return nftLoad(nsFirewall, "flush ruleset\n"+text)
}

func nftLoad(ns, text string) error { return netns.LoadRules(ns, text) }
