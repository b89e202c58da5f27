package netlab

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/mockdirector/mockdirector/internal/netns"
)

// Prefix starts the name of every namespace a lab run creates; the pid of the run follows, so
// two runs on one host keep apart and a run can tell a crashed run's leftovers from a live one's.
const Prefix = "mdnl-"

// segment is one network: a namespace with its addresses, joined to the router by a veth pair.
type segment struct {
	name       string // the namespace's suffix: cli, per, srv
	routerIf   string // the router's end of the veth
	routerAddr string // the router's address on it (the segment's default gateway)
	prefixLen  int
	addrs      []string
}

var segments = []segment{
	{name: "cli", routerIf: "r-cli", routerAddr: "192.0.2.1", prefixLen: 24, addrs: []string{"192.0.2.10", "192.0.2.20"}},
	{name: "per", routerIf: "r-per", routerAddr: "198.51.100.1", prefixLen: 24, addrs: []string{"198.51.100.10", "198.51.100.20"}},
	{name: "srv", routerIf: "r-srv", routerAddr: "203.0.113.1", prefixLen: 24, addrs: []string{"203.0.113.21", "203.0.113.31", "203.0.113.40"}},
}

// network is the namespaces of one run: the set mdnl-<pid>-*.
type network struct {
	netns.Set
}

func newNetwork() network {
	return network{netns.Set{Prefix: Prefix + strconv.Itoa(os.Getpid()) + "-"}}
}

func (n network) router() string           { return n.Name("fw") }
func (n network) ns(segment string) string { return n.Name(segment) }

// nsOf returns the namespace that holds addr.
func (n network) nsOf(addr string) (string, bool) {
	for _, s := range segments {
		for _, a := range s.addrs {
			if a == addr {
				return n.ns(s.name), true
			}
		}
	}
	return "", false
}

// all names the run's namespaces: the router, then the segments.
func (n network) all() []string {
	out := []string{n.router()}
	for _, s := range segments {
		out = append(out, n.ns(s.name))
	}
	return out
}

// build creates the router and the segments. On error the caller tears down what was made.
func (n network) build(ctx context.Context) error {
	if _, err := n.Add("fw"); err != nil {
		return err
	}
	for _, s := range segments {
		ns, err := n.Add(s.name)
		if err != nil {
			return err
		}
		leaf := netns.End{NS: ns, If: "eth0"}
		for _, a := range s.addrs {
			leaf.Addrs = append(leaf.Addrs, fmt.Sprintf("%s/%d", a, s.prefixLen))
		}
		if err := netns.Veth(netns.End{NS: n.router(), If: s.routerIf, Addrs: []string{fmt.Sprintf("%s/%d", s.routerAddr, s.prefixLen)}}, leaf); err != nil {
			return err
		}
		if err := run(ctx, "ip", "-n", ns, "route", "add", "default", "via", s.routerAddr); err != nil {
			return err
		}
	}
	return run(ctx, "ip", "netns", "exec", n.router(), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
}

// teardown kills what runs inside the run's namespaces and deletes them (veths and nft tables go
// with them); other runs' namespaces are never touched.
func (n network) teardown() error { return n.Remove() }

// CleanupStale removes the namespaces of lab runs whose process is gone (a run killed with
// SIGKILL leaves them), and returns their names. A live run's namespaces are never touched.
func CleanupStale() ([]string, error) {
	names, err := Namespaces()
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, name := range names {
		pidStr, _, _ := strings.Cut(strings.TrimPrefix(name, Prefix), "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		stale = append(stale, name)
	}
	return stale, netns.Remove(stale...)
}

// Namespaces lists the lab namespaces that exist now, of every run.
func Namespaces() ([]string, error) { return netns.List(Prefix) }

func run(ctx context.Context, name string, args ...string) error {
	_, err := netns.RunContext(ctx, nil, name, args...)
	return err
}
