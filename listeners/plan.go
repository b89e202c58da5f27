package listeners

import (
	"fmt"
	"net"
	"strconv"

	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// PlanOptions are the command-line choices that shape a role's listeners.
type PlanOptions struct {
	Role   string
	Member string
	// Bind overrides every listener's address ("" = the member's address, or every address).
	Bind string
	// PortOffset is added to every table port (for non-root use).
	PortOffset int
}

// Plan turns the table rows a role serves, the topology and the options into listener specs.
func Plan(scn *scenarios.Scenario, topo *topology.Topology, o PlanOptions) ([]Spec, error) {
	pool, member, err := topo.Member(o.Role, o.Member)
	if err != nil {
		return nil, err
	}
	rows := scn.ServedBy(o.Role)
	if len(rows) == 0 {
		return nil, fmt.Errorf("scenario %s has no allow rows to %s: nothing to serve", scn.Name, o.Role)
	}
	var specs []Spec
	for _, r := range rows {
		host := member.Address
		if o.Bind != "" {
			host = o.Bind
		}
		port := r.Port + o.PortOffset
		s := Spec{Role: o.Role, Member: member.Name, Pool: pool.FQDN, Name: ListenerName(r.Protocol, r.Port), Protocol: r.Protocol, Port: r.Port}
		if ov, ok := topo.OverrideFor(o.Role, member.Name, r.Port); ok {
			if ov.Disabled {
				continue
			}
			if ov.Bind != "" {
				host = ov.Bind
			}
			if ov.Listen != 0 {
				port = ov.Listen
			}
			s.ClientCert = ov.ClientCert
			s.HTTP3 = ov.HTTP3
		}
		if port < 0 || port > 65535 {
			return nil, fmt.Errorf("%s listener %s: port %d with --port-offset %d is out of range (0-65535): use an offset from %d to %d for this role",
				o.Role, s.Name, r.Port, o.PortOffset, -minPort(rows), 65535-maxPort(rows))
		}
		s.Addr = net.JoinHostPort(host, strconv.Itoa(port))
		specs = append(specs, s)
	}
	quic, err := planQUIC(topo, pool, member, o) // plan_quic.go: topology udp-quic entries
	if err != nil {
		return nil, err
	}
	return append(specs, quic...), nil
}

func maxPort(rows []scenarios.Row) int {
	m := 0
	for _, r := range rows {
		m = max(m, r.Port)
	}
	return m
}

func minPort(rows []scenarios.Row) int {
	m := 65535
	for _, r := range rows {
		m = min(m, r.Port)
	}
	return m
}
