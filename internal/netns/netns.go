// Package netns makes and removes the Linux network namespaces of mockdirector's labs and tests:
// a set of namespaces under one prefix, veth pairs with their addresses, commands and Go code
// run inside a namespace, and a bounded teardown that removes only the namespaces it is given.
//
// Every suite keeps its own prefix (mdlab-, mdnl-<pid>-, mdfleet-, mdq-<pid>-, the prober's
// blackholes), so one suite's cleanup never matches another's namespaces. A suite whose names
// are fixed (the same on every run) takes the prefix's Lease first: while a live run holds it,
// no other run builds or removes namespaces under that prefix, so removing leftovers only ever
// removes a crashed run's. Root, ip (iproute2) and, for rules, nft are needed; on other systems
// every call returns an error.
package netns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// CommandTimeout bounds every command this package runs.
const CommandTimeout = 30 * time.Second

// Available says why namespaces cannot be made here, or nil: it needs root, ip, and the
// other tools named (nft, ...).
func Available(tools ...string) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces)")
	}
	for _, t := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("needs %s: %w", t, err)
		}
	}
	return nil
}

// Run runs a command on the host, bounded by CommandTimeout, and returns its combined output;
// the error names the command and carries the output.
func Run(name string, args ...string) (string, error) {
	return RunContext(context.Background(), nil, name, args...)
}

// RunContext is Run with a context and, when stdin is not nil, standard input.
func RunContext(ctx context.Context, stdin []byte, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// Exec runs a command inside namespace ns (ip netns exec), like Run.
func Exec(ns, name string, args ...string) (string, error) {
	return Run("ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// LoadRules loads an nftables rule set (nft -f text) inside namespace ns.
func LoadRules(ns, text string) error {
	_, err := RunContext(context.Background(), []byte(text), "ip", "netns", "exec", ns, "nft", "-f", "-")
	return err
}

// List returns the namespaces that exist now whose name starts with prefix.
func List(prefix string) ([]string, error) {
	out, err := Run("ip", "netns", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	for line := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// Pids returns the processes running inside namespace ns.
func Pids(ns string) []int {
	out, _ := Run("ip", "netns", "pids", ns)
	var pids []int
	for _, f := range strings.Fields(out) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// Remove kills every process inside each namespace (SIGKILL, at most 50 rounds 20 ms apart)
// and deletes the namespace; its veths and nft tables go with it. A namespace that does not
// exist is no error. Only the names given are touched.
func Remove(names ...string) error {
	var errs []error
	for _, ns := range names {
		if _, err := os.Stat("/run/netns/" + ns); errors.Is(err, os.ErrNotExist) {
			continue
		}
		for range 50 {
			pids := Pids(ns)
			if len(pids) == 0 {
				break
			}
			for _, p := range pids {
				kill(p)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := Run("ip", "netns", "delete", ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Set is the namespaces of one suite or run: every name is Prefix followed by a short name.
// The prefix must be the suite's own (and unique to the run, or held under its Lease).
type Set struct {
	Prefix string
}

// Name is the namespace of a short name: Prefix + short.
func (s Set) Name(short string) string { return s.Prefix + short }

// Add creates the namespace Prefix+short with its loopback up and returns its name.
func (s Set) Add(short string) (string, error) {
	ns := s.Name(short)
	if _, err := Run("ip", "netns", "add", ns); err != nil {
		return "", err
	}
	if _, err := Run("ip", "-n", ns, "link", "set", "lo", "up"); err != nil {
		return "", err
	}
	return ns, nil
}

// List returns the set's namespaces that exist now.
func (s Set) List() ([]string, error) {
	if s.Prefix == "" {
		return nil, errors.New("netns: a set needs a prefix")
	}
	return List(s.Prefix)
}

// Remove removes every namespace of the set (see Remove); namespaces of other prefixes are
// never touched.
func (s Set) Remove() error {
	names, err := s.List()
	if err != nil {
		return err
	}
	return Remove(names...)
}

// End is one end of a veth pair: its namespace ("" is the host's), its interface name and the
// addresses it gets (CIDR, e.g. 192.0.2.1/24).
type End struct {
	NS    string
	If    string
	Addrs []string
}

func (e End) ip(args ...string) []string {
	if e.NS == "" {
		return args
	}
	return append([]string{"-n", e.NS}, args...)
}

// Veth creates a veth pair from a to b, each end made directly in its namespace (so a name
// such as eth0 never appears on the host), gives each end its addresses and brings both up.
func Veth(a, b End) error {
	add := []string{"link", "add", "name", a.If}
	if a.NS != "" {
		add = append(add, "netns", a.NS)
	}
	add = append(add, "type", "veth", "peer", "name", b.If)
	if b.NS != "" {
		add = append(add, "netns", b.NS)
	}
	steps := [][]string{add}
	for _, e := range []End{a, b} {
		for _, addr := range e.Addrs {
			steps = append(steps, e.ip("addr", "add", addr, "dev", e.If))
		}
		steps = append(steps, e.ip("link", "set", e.If, "up"))
	}
	for _, st := range steps {
		if _, err := Run("ip", st...); err != nil {
			return fmt.Errorf("netns: veth %s/%s - %s/%s: %w", a.NS, a.If, b.NS, b.If, err)
		}
	}
	return nil
}
