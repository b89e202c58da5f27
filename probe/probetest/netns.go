// Package probetest builds what the prober's tests and benchmarks need from the host: a network
// namespace behind a veth pair whose nftables rules drop or reject TCP (and drop UDP), so "filtered" and
// "rejected by a firewall" are real kernel behaviour, not simulations. It needs root, ip and nft.
package probetest

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Blackhole is a namespace reachable from the host at Addr whose firewall accepts TCP to
// OpenPorts (nothing listens, so the kernel answers RST: refused), rejects TCP to RejectPorts
// with ICMP admin-prohibited (rejected by a firewall), and drops every other TCP segment and
// every UDP datagram (filtered: a QUIC handshake gets no answer).
type Blackhole struct {
	// Name is the namespace; the veth ends are Name+"h" (host) and Name+"n" (namespace).
	Name string
	// Addr is the namespace side's address; HostAddr the host side's.
	Addr, HostAddr netip.Addr
	OpenPorts      []int
	RejectPorts    []int
}

// Available says why a Blackhole cannot be built here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (ip netns, nft)")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("needs %s: %w", tool, err)
		}
	}
	return nil
}

// NewBlackhole builds the namespace. name must be short (at most 14 characters: it names the
// veth ends too); subnet is a /30 whose first host address goes to the host side and second to
// the namespace. A leftover namespace of the same name (a crashed run) is removed first.
func NewBlackhole(name, subnet string, openPorts, rejectPorts []int) (*Blackhole, error) {
	if len(name) > 14 {
		return nil, fmt.Errorf("blackhole %s: name longer than 14 characters", name)
	}
	p, err := netip.ParsePrefix(subnet)
	if err != nil || p.Bits() != 30 || !p.Addr().Is4() {
		return nil, fmt.Errorf("blackhole %s: subnet %q is not an IPv4 /30", name, subnet)
	}
	host := p.Masked().Addr().Next()
	b := &Blackhole{Name: name, HostAddr: host, Addr: host.Next(), OpenPorts: openPorts, RejectPorts: rejectPorts}
	b.Close() // leftovers
	bits := "/30"
	steps := [][]string{
		{"ip", "netns", "add", name},
		{"ip", "link", "add", name + "h", "type", "veth", "peer", "name", name + "n"},
		{"ip", "link", "set", name + "n", "netns", name},
		{"ip", "addr", "add", b.HostAddr.String() + bits, "dev", name + "h"},
		{"ip", "link", "set", name + "h", "up"},
		{"ip", "-n", name, "addr", "add", b.Addr.String() + bits, "dev", name + "n"},
		{"ip", "-n", name, "link", "set", name + "n", "up"},
		{"ip", "-n", name, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := run(nil, s...); err != nil {
			b.Close()
			return nil, fmt.Errorf("blackhole %s: %w", name, err)
		}
	}
	if err := run([]byte(b.ruleset()), "ip", "netns", "exec", name, "nft", "-f", "-"); err != nil {
		b.Close()
		return nil, fmt.Errorf("blackhole %s: nft: %w", name, err)
	}
	return b, nil
}

func (b *Blackhole) ruleset() string {
	var r strings.Builder
	r.WriteString("table inet mdprobe {\n  chain input {\n    type filter hook input priority 0; policy accept;\n")
	if len(b.OpenPorts) > 0 {
		fmt.Fprintf(&r, "    tcp dport { %s } accept\n", ports(b.OpenPorts))
	}
	if len(b.RejectPorts) > 0 {
		fmt.Fprintf(&r, "    tcp dport { %s } reject with icmpx type admin-prohibited\n", ports(b.RejectPorts))
	}
	r.WriteString("    meta l4proto { tcp, udp } drop\n  }\n}\n")
	return r.String()
}

func ports(ps []int) string {
	var s []string
	for _, p := range ps {
		s = append(s, strconv.Itoa(p))
	}
	return strings.Join(s, ", ")
}

// Close removes the namespace (and with it the veth pair and the rules). It is safe to call twice.
func (b *Blackhole) Close() error {
	if err := exec.Command("ip", "netns", "pids", b.Name).Run(); err != nil {
		exec.Command("ip", "link", "del", b.Name+"h").Run()
		return nil // no such namespace
	}
	err := run(nil, "ip", "netns", "del", b.Name)
	exec.Command("ip", "link", "del", b.Name+"h").Run()
	return err
}

func run(stdin []byte, args ...string) error {
	cmd := exec.Command(args[0], args[1:]...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
