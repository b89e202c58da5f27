package roleprofile

import (
	"fmt"
	"net"
	"strconv"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/topology"
)

// planQUIC turns the topology's udp-quic entries for a member into QUIC responder specs: the
// ports are data in the topology, not rows of the table. --bind and --port-offset apply as
// they do to table ports.
func planQUIC(topo *topology.Topology, pool *topology.Pool, member topology.Member, o PlanOptions) ([]listeners.Spec, error) {
	var specs []listeners.Spec
	for _, ov := range quicResponders(topo, o.Role, member.Name) {
		host := member.Address
		if o.Bind != "" {
			host = o.Bind
		}
		if ov.Bind != "" {
			host = ov.Bind
		}
		for _, p := range ov.QUICPorts() {
			port := o.port(p)
			if ov.Listen != 0 {
				port = ov.Listen
			}
			name := listeners.ListenerName(wire.ProtoUDPQUIC, p)
			if port < 0 || port > 65535 {
				return nil, fmt.Errorf("%s listener %s: port %d with --port-offset %d is out of range", o.Role, name, p, o.PortOffset)
			}
			specs = append(specs, listeners.Spec{Role: o.Role, Member: member.Name, Pool: pool.FQDN, Name: name,
				Protocol: wire.ProtoUDPQUIC, Port: p, Addr: net.JoinHostPort(host, strconv.Itoa(port))})
		}
	}
	return specs, nil
}

// quicResponders returns the udp-quic entries a member of role serves (member by full or short
// name, as OverrideFor).
func quicResponders(topo *topology.Topology, role, member string) []topology.Override {
	var out []topology.Override
	for _, o := range topo.Listeners {
		if o.Transport == topology.TransportUDPQUIC && o.Role == role && memberMatches(o.Member, member) {
			out = append(out, o)
		}
	}
	return out
}
