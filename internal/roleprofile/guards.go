package roleprofile

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

// Port is one port of the table on one transport, with the protocol a guard speaks there.
type Port struct {
	Transport wire.Transport
	Port      int
	Protocol  wire.Protocol
}

func (p Port) String() string { return string(p.Transport) + "/" + strconv.Itoa(p.Port) }

// Unguarded is a denied port that has no guard, and why (out of range with the port offset,
// already bound by something else on the host, privileged).
type Unguarded struct {
	Port   Port
	Addr   string
	Reason string
}

// GuardPorts are the ports the table denies toward role, derived from the scenario's rows so it
// holds with or without generated deny rows: every TCP port an allow row names (toward any
// role), with the protocol of the first such row; the UDP twin (QUIC) of every port an https
// or sip-mtls allow row names (HTTP/3, SIP over UDP); every UDP port a row toward role names;
// minus every port and transport the table allows toward role (from whichever source: the
// report judges sources on served ports). TCP first, then UDP, each by port.
func GuardPorts(scn *scenarios.Scenario, role string) []Port {
	allowed := map[Port]bool{}
	for _, r := range scn.Rows {
		if r.To == role && r.Allowed() {
			allowed[Port{Transport: wire.Transport(r.Transport), Port: r.Port}] = true
		}
	}
	seen := map[Port]bool{}
	var out []Port
	add := func(t wire.Transport, port int, proto wire.Protocol) {
		k := Port{Transport: t, Port: port}
		if seen[k] || allowed[k] {
			return
		}
		seen[k] = true
		k.Protocol = proto
		out = append(out, k)
	}
	for _, r := range scn.Rows {
		if !r.Allowed() || r.Transport != scenarios.TransportTCP || r.Protocol == scenarios.ProtoTCP {
			continue
		}
		add(wire.TransportTCP, r.Port, wire.Protocol(r.Protocol))
		if r.Protocol == scenarios.ProtoHTTPS || r.Protocol == scenarios.ProtoSIPMTLS {
			add(wire.TransportUDP, r.Port, wire.ProtoUDPQUIC)
		}
	}
	for _, r := range scn.Rows {
		if r.To == role && r.Transport == scenarios.TransportUDP {
			add(wire.TransportUDP, r.Port, wire.ProtoUDPQUIC)
		}
	}
	slices.SortStableFunc(out, func(a, b Port) int {
		if a.Transport != b.Transport {
			return cmp.Compare(a.Transport, b.Transport) // tcp before udp
		}
		return cmp.Compare(a.Port, b.Port)
	})
	return out
}

// planGuards makes the guard specs of the member: GuardPorts, minus what the member serves on
// UDP of its own accord (an HTTPS listener's HTTP/3, a topology QUIC responder).
func (p *Profile) planGuards(scn *scenarios.Scenario, o PlanOptions) ([]listeners.Spec, error) {
	served := map[Port]bool{}
	for _, s := range p.Specs {
		served[Port{Transport: s.Transport(), Port: s.Port}] = true
		if s.HTTP3 {
			served[Port{Transport: wire.TransportUDP, Port: s.Port}] = true
		}
	}
	host := p.Member.Address
	if o.Bind != "" {
		host = o.Bind
	}
	var specs []listeners.Spec
	for _, g := range GuardPorts(scn, o.Role) {
		if served[Port{Transport: g.Transport, Port: g.Port}] {
			continue
		}
		name := listeners.GuardName(g.Protocol, g.Port)
		port := o.port(g.Port)
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		if !o.Ephemeral && (port < 1 || port > 65535) {
			p.Unguarded = append(p.Unguarded, Unguarded{Port: g, Addr: addr,
				Reason: fmt.Sprintf("port %d with --port-offset %d is out of range", g.Port, o.PortOffset)})
			continue
		}
		specs = append(specs, listeners.Spec{Role: o.Role, Member: p.Member.Name, Pool: p.Pool.FQDN, Name: name,
			Protocol: g.Protocol, Port: g.Port, Addr: addr, Guard: true})
	}
	return specs, nil
}
