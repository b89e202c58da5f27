package netlab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
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

// net is the namespaces of one run.
type network struct {
	prefix string // mdnl-<pid>-
}

func newNetwork() network { return network{prefix: Prefix + strconv.Itoa(os.Getpid()) + "-"} }

func (n network) router() string           { return n.prefix + "fw" }
func (n network) ns(segment string) string { return n.prefix + segment }

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

func (n network) all() []string {
	out := []string{n.router()}
	for _, s := range segments {
		out = append(out, n.ns(s.name))
	}
	return out
}

// build creates the router and the segments. On error the caller tears down what was made.
func (n network) build(ctx context.Context) error {
	for _, ns := range n.all() {
		if err := run(ctx, "ip", "netns", "add", ns); err != nil {
			return err
		}
		if err := run(ctx, "ip", "-n", ns, "link", "set", "lo", "up"); err != nil {
			return err
		}
	}
	for _, s := range segments {
		ns := n.ns(s.name)
		steps := [][]string{
			{"ip", "link", "add", "name", s.routerIf, "netns", n.router(), "type", "veth", "peer", "name", "eth0", "netns", ns},
			{"ip", "-n", n.router(), "addr", "add", fmt.Sprintf("%s/%d", s.routerAddr, s.prefixLen), "dev", s.routerIf},
			{"ip", "-n", n.router(), "link", "set", s.routerIf, "up"},
			{"ip", "-n", ns, "link", "set", "eth0", "up"},
		}
		for _, a := range s.addrs {
			steps = append(steps, []string{"ip", "-n", ns, "addr", "add", fmt.Sprintf("%s/%d", a, s.prefixLen), "dev", "eth0", "nodad"})
		}
		steps = append(steps, []string{"ip", "-n", ns, "route", "add", "default", "via", s.routerAddr})
		for _, st := range steps {
			if err := run(ctx, st[0], st[1:]...); err != nil {
				return err
			}
		}
	}
	return run(ctx, "ip", "netns", "exec", n.router(), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
}

// teardown kills what runs inside the run's namespaces and deletes them (veths and nft tables go
// with them).
func (n network) teardown() error {
	return removeNamespaces(func(name string) bool { return strings.HasPrefix(name, n.prefix) })
}

// CleanupStale removes the namespaces of lab runs whose process is gone (a run killed with
// SIGKILL leaves them), and returns their names.
func CleanupStale() ([]string, error) {
	var removed []string
	err := removeNamespaces(func(name string) bool {
		rest, ok := strings.CutPrefix(name, Prefix)
		if !ok {
			return false
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() || alive(pid) {
			return false
		}
		removed = append(removed, name)
		return true
	})
	return removed, err
}

// Namespaces lists the lab namespaces that exist now, of every run.
func Namespaces() ([]string, error) {
	out, err := output(context.Background(), "ip", "netns", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	for line := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], Prefix) {
			names = append(names, f[0])
		}
	}
	return names, nil
}

func removeNamespaces(match func(string) bool) error {
	names, err := Namespaces()
	if err != nil {
		return err
	}
	var firstErr error
	for _, ns := range names {
		if !match(ns) {
			continue
		}
		for range 50 {
			out, _ := output(context.Background(), "ip", "netns", "pids", ns)
			pids := strings.Fields(out)
			if len(pids) == 0 {
				break
			}
			for _, p := range pids {
				if pid, err := strconv.Atoi(p); err == nil {
					kill(pid)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := run(context.Background(), "ip", "netns", "delete", ns); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func run(ctx context.Context, name string, args ...string) error {
	_, err := output(ctx, name, args...)
	return err
}

func output(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}
