// Package roleprofile computes, once, what one member of a role serves: from the port table
// (scenario), the site (topology) and the command line's placement (role, member, bind, port
// offset, guards on or off) it makes the listener specs of the member's allow rows, the
// topology's overrides (member-specific ones too), the topology's QUIC responders and the guard
// listeners on the ports the table denies toward the role. serve, the admin page and the report
// read what a member serves from here, so it has one answer.
package roleprofile

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// PlanOptions are the command-line choices that shape a member's listeners.
type PlanOptions struct {
	Role   string
	Member string
	// Bind overrides every listener's address ("" = the member's address, or every address).
	Bind string
	// PortOffset is added to every table port (for non-root use).
	PortOffset int
	// Ephemeral binds every listener to port 0 instead (the kernel picks; the bound addresses
	// come from the running listeners): tests, benchmarks and in-process labs, so runs on one
	// host never collide. PortOffset is ignored.
	Ephemeral bool
	// Guards adds a guard listener on every port the table denies toward the role (see
	// GuardPorts). The command line turns it on unless --no-guards.
	Guards bool
}

// Profile is what one member of a role serves.
type Profile struct {
	Role   string
	Pool   *topology.Pool
	Member topology.Member
	// Rows are the allow rows the member serves, one per TCP port, in table order (rows a
	// `disabled:` override turns off for this member are in Disabled instead).
	Rows     []scenarios.Row
	Disabled []scenarios.Row
	// Specs are the listeners of Rows (with the overrides) and the topology's QUIC responders.
	Specs []listeners.Spec
	// Guards are the guard listeners (PlanOptions.Guards), on the ports GuardPorts names.
	Guards []listeners.Spec
	// Unguarded are the denied ports that get no guard, and why.
	Unguarded []Unguarded
}

// ErrNoScenario and ErrNoTopology are what New (and the constructors built on it) return
// without a scenario or a topology: the caller chooses the default, never this package.
var (
	ErrNoScenario = errors.New("no scenario (the port table) given")
	ErrNoTopology = errors.New("no topology (the site) given")
)

// New computes the profile of one member.
func New(scn *scenarios.Scenario, topo *topology.Topology, o PlanOptions) (*Profile, error) {
	if scn == nil {
		return nil, ErrNoScenario
	}
	if topo == nil {
		return nil, ErrNoTopology
	}
	pool, member, err := topo.Member(o.Role, o.Member)
	if err != nil {
		return nil, err
	}
	p := &Profile{Role: o.Role, Pool: pool, Member: member}
	rows := scn.ServedBy(o.Role)
	if len(rows) == 0 {
		return nil, fmt.Errorf("scenario %s has no allow rows to %s: nothing to serve", scn.Name, o.Role)
	}
	for _, r := range rows {
		host := member.Address
		if o.Bind != "" {
			host = o.Bind
		}
		port := o.port(r.Port)
		proto := wire.Protocol(r.Protocol)
		s := listeners.Spec{Role: o.Role, Member: member.Name, Pool: pool.FQDN, Name: listeners.ListenerName(proto, r.Port), Protocol: proto, Port: r.Port}
		if ov, ok := OverrideFor(topo, o.Role, member.Name, r.Port); ok {
			if ov.Disabled {
				p.Disabled = append(p.Disabled, r)
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
		p.Rows = append(p.Rows, r)
		p.Specs = append(p.Specs, s)
	}
	quic, err := planQUIC(topo, pool, member, o) // quic.go: topology udp-quic entries
	if err != nil {
		return nil, err
	}
	p.Specs = append(p.Specs, quic...)
	if o.Guards {
		if p.Guards, err = p.planGuards(scn, o); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// port is where a table port is bound: plus the offset, or 0 when Ephemeral.
func (o PlanOptions) port(table int) int {
	if o.Ephemeral {
		return 0
	}
	return table + o.PortOffset
}

// All is every listener of the profile: the served ones, then the guards.
func (p *Profile) All() []listeners.Spec {
	return append(append([]listeners.Spec(nil), p.Specs...), p.Guards...)
}

// Serves reports whether the member serves the allow row r: a TCP row when it serves the
// row's port; a UDP row (HTTP/3, QUIC) unless the port's listener is disabled. A `disabled:`
// override turns the listener of its port off, for the members it names only.
func (p *Profile) Serves(r scenarios.Row) bool {
	if r.To != p.Role {
		return false
	}
	for _, d := range p.Disabled {
		if d.Port == r.Port {
			return false
		}
	}
	if r.Transport != scenarios.TransportTCP {
		return true
	}
	for _, s := range p.Rows {
		if s.Port == r.Port {
			return true
		}
	}
	return false
}

// OverrideFor returns the topology's override of a listener of role on port for member (its
// full name; an override naming the member's short name matches too), if any. QUIC responder
// entries are listeners of their own, not overrides.
func OverrideFor(topo *topology.Topology, role, member string, port int) (topology.Override, bool) {
	for _, o := range topo.Listeners {
		if o.Port == port && o.Transport != topology.TransportUDPQUIC && (o.Role == "" || o.Role == role) && memberMatches(o.Member, member) {
			return o, true
		}
	}
	return topology.Override{}, false
}

// memberMatches reports whether an override's member field (empty: every member) names member.
func memberMatches(field, member string) bool {
	if field == "" || field == member {
		return true
	}
	short, _, _ := strings.Cut(member, ".")
	return member != "" && field == short
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

// Served reports whether the row is served at its destination: by member's profile when member
// is named, else by the profile of at least one member of the destination pool. A role the
// topology has no pool for has no members to turn a row off, so its rows count as served.
func Served(scn *scenarios.Scenario, topo *topology.Topology, r scenarios.Row, member string) bool {
	pool, err := topo.Pool(r.To)
	if err != nil {
		return true
	}
	names := []string{member}
	if member == "" {
		names = names[:0]
		for _, m := range pool.Members {
			names = append(names, m.Name)
		}
	}
	for _, name := range names {
		p, err := New(scn, topo, PlanOptions{Role: r.To, Member: name})
		if err != nil || p.Serves(r) {
			return true // a member the profile cannot be made of is not proof the row is off
		}
	}
	return false
}
