// Package hostfw opens the host's own firewall for exactly the ports serve bound, and checks
// whether it would block them, so a mock blocked by its own host (Windows Defender Firewall
// blocks inbound by default; a hardened Linux host drops in its nftables input chain) does not
// read as a filtered staging firewall.
//
// Every rule it adds is named, or carries the comment, "mockdirector <role> <listener>" (on
// Linux followed by the transport and port), so that exactly its own rules are removed when
// serve stops and `mockdirector host-firewall clean` finds the leftovers of a crashed run.
//
// Linux: nftables through netlink (github.com/google/nftables): a table of its own, inet
// mockdirector, that records what is open, and an accept rule at the top of every other input
// chain that would drop the port (a chain that drops decides on its own; an accept in another
// table does not stop it); iptables-legacy's INPUT; firewalld (runtime ports) and ufw through
// their commands, for the tables they manage. Windows: netsh advfirewall.
package hostfw

import (
	"net/netip"
	"strconv"
	"strings"
)

// Group is the Windows Firewall rule group of every rule mockdirector adds.
const Group = "mockdirector"

// OwnTable is mockdirector's own nftables table (family inet). Its input chain accepts every
// port serve opened, with the rule's comment: the record of what is open. It opens nothing by
// itself (a drop in another table's input chain still drops), so serve also puts an accept
// rule at the top of every chain that would drop the port.
const OwnTable = "mockdirector"

// Prefix starts the name or comment of every rule mockdirector adds.
const Prefix = "mockdirector "

// Port is one bound port to let in.
type Port struct {
	Role     string     // director, frontend, edge-internal
	Listener string     // https-443, sip-mtls-5061 ...
	UDP      bool       // UDP (HTTP/3, QUIC) rather than TCP
	Addr     netip.Addr // the bound address; the zero Addr (or unspecified) means any local address
	Port     int
}

func (p Port) proto() string {
	if p.UDP {
		return "UDP"
	}
	return "TCP"
}

func (p Port) l4() string { return strings.ToLower(p.proto()) }

// RuleName is the rule's name: "mockdirector director https-443", "... udp" for the UDP twin
// (a listener named for UDP already, guard-udp-quic-443, keeps its name).
func (p Port) RuleName() string {
	n := Prefix + p.Role + " " + p.Listener
	if p.UDP && !strings.Contains(p.Listener, "udp") {
		n += " udp"
	}
	return n
}

// Comment is the comment of the Linux rules: the role, the listener, the transport and the port,
// and the address when the port is bound to one ("mockdirector director https-443 tcp/443
// 198.51.100.2"), so two serves of one role on one host (another --port-offset or --bind)
// never take each other's rules.
func (p Port) Comment() string {
	c := Prefix + p.Role + " " + p.Listener + " " + p.l4() + "/" + strconv.Itoa(p.Port)
	if !p.anyAddr() {
		c += " " + p.Addr.Unmap().String()
	}
	return c
}

// anyAddr says whether p is bound to every local address.
func (p Port) anyAddr() bool { return !p.Addr.IsValid() || p.Addr.IsUnspecified() }

// v4 and v6 say whether connections over IPv4 or IPv6 reach p.
func (p Port) v4() bool { return p.anyAddr() || p.Addr.Unmap().Is4() }
func (p Port) v6() bool { return p.anyAddr() || (p.Addr.Is6() && !p.Addr.Is4In6()) }

func (p Port) localIP() string {
	if p.anyAddr() {
		return "any"
	}
	return p.Addr.Unmap().String()
}
