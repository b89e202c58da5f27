// Package probetest builds what the prober's tests and benchmarks need from the host: a network
// namespace behind a veth pair whose nftables rules drop or reject TCP (and drop UDP), so "filtered" and
// "rejected by a firewall" are real kernel behaviour, not simulations. It needs root, ip and nft.
package probetest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/netns"
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
	lease          *netns.Lease
}

// Available says why a Blackhole cannot be built here, or nil.
func Available() error { return netns.Available("nft") }

// leaseWait bounds how long NewBlackhole waits for another run's namespace of the same name.
const leaseWait = 5 * time.Minute

// NewBlackhole builds the namespace. name must be short (at most 14 characters: it names the
// veth ends too); subnet is a /30 whose first host address goes to the host side and second to
// the namespace. The name and subnet are the same on every run and the host side lives in the
// host's namespace, so NewBlackhole first takes the name's lease (netns.Lock): a second run of
// the same suite on the host waits for the first one's Close instead of tearing its namespace
// down. Holding the lease, a leftover namespace of the same name is a crashed run's and is
// removed first.
func NewBlackhole(name, subnet string, openPorts, rejectPorts []int) (*Blackhole, error) {
	if len(name) > 14 {
		return nil, fmt.Errorf("blackhole %s: name longer than 14 characters", name)
	}
	p, err := netip.ParsePrefix(subnet)
	if err != nil || p.Bits() != 30 || !p.Addr().Is4() {
		return nil, fmt.Errorf("blackhole %s: subnet %q is not an IPv4 /30", name, subnet)
	}
	lease, err := netns.Lock(name, leaseWait)
	if err != nil {
		return nil, fmt.Errorf("blackhole %s: %w", name, err)
	}
	host := p.Masked().Addr().Next()
	b := &Blackhole{Name: name, HostAddr: host, Addr: host.Next(), OpenPorts: openPorts, RejectPorts: rejectPorts, lease: lease}
	b.remove() // a crashed run's leftovers
	build := func() error {
		if _, err := (netns.Set{}).Add(name); err != nil {
			return err
		}
		return netns.Veth(netns.End{If: name + "h", Addrs: []string{b.HostAddr.String() + "/30"}},
			netns.End{NS: name, If: name + "n", Addrs: []string{b.Addr.String() + "/30"}})
	}
	if err := build(); err != nil {
		b.Close()
		return nil, fmt.Errorf("blackhole %s: %w", name, err)
	}
	if err := netns.LoadRules(name, b.ruleset()); err != nil {
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

// remove deletes the namespace (with the veth pair and the rules) and a host end left behind.
func (b *Blackhole) remove() error {
	err := netns.Remove(b.Name)
	if _, lerr := net.InterfaceByName(b.Name + "h"); lerr == nil {
		netns.Run("ip", "link", "del", b.Name+"h")
	}
	return err
}

// Close removes the namespace (and with it the veth pair and the rules) and releases the
// name's lease. It is safe to call twice.
func (b *Blackhole) Close() error {
	if b.lease == nil {
		return nil
	}
	err := b.remove()
	lease := b.lease
	b.lease = nil // a second Close must not remove the next holder's namespace
	return errors.Join(err, lease.Unlock())
}
