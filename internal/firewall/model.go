// Package firewall turns the port table (a scenario) and a site's addresses (a topology) into the
// rules that implement the table: default deny, one accept per allow row, each carrying the row's
// ID so a failing row in a probe or report points at its rule. The rule model is computed once
// (Build) and written by one Format per output: nftables, iptables, windows, csv, xlsx, cisco-asa,
// paloalto.
package firewall

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// RuleSet is the table for one site: every allow row as a rule, in table order. Everything not
// listed is denied.
type RuleSet struct {
	// Scenario and Topology name the inputs (file or builtin:NAME), for the header of each output.
	Scenario string
	Topology string
	// Rules are the accept rules, one per allow row.
	Rules []Rule
	// Warnings name deny rows of the table that an accept rule would also let through, because the
	// topology gives the denied source an address of an allowed one: the rule set cannot implement
	// those rows as written.
	Warnings []string
}

// Rule is one accept rule: traffic of one transport to one port, from a source role's addresses to
// a destination role's addresses.
type Rule struct {
	// N numbers the rules from 1 in table order; outputs that need short unique names use it.
	N int
	// RowID is the row's identity (scenarios.Row.ID), e.g. "edge-internal->director tcp/5061 sip-mtls".
	RowID string
	// Source and Dest are the two ends.
	Source Endpoint
	Dest   Endpoint
	// Transport is tcp or udp.
	Transport string
	// Port is the destination port.
	Port int
	// Service is what the row's port carries (the row's protocol: http, https, sip-mtls, ...).
	Service string
	// Origin is where the row comes from in the table (seed, text, ...).
	Origin string
	// Justification is the row's note: why the port is open.
	Justification string
}

// Endpoint is a role and the addresses it has in the topology, as minimal CIDRs (an address inside
// another entry's prefix is dropped, so every format can put them in one set).
type Endpoint struct {
	// Role is the table's role name (reverse-proxy-internal, director, ...).
	Role string
	// Name is what a person recognises: the pool FQDN for a server role, else the role.
	Name string
	// Addrs are the addresses and networks, IPv4 first, sorted.
	Addrs []netip.Prefix
	// Hosts are the member names of a server role's pool (where its host firewall runs).
	Hosts []string
}

// Build computes the rule set: one rule per row that needs the path open (allow, and
// handshake-fails, whose TCP connection must get through for the handshake to be refused). It fails
// when the topology lacks addresses for a role a row needs, naming the role and the topology key to
// fill in (every missing one at once).
func Build(s *scenarios.Scenario, t *topology.Topology) (*RuleSet, error) {
	rs := &RuleSet{Scenario: s.File, Topology: t.File}
	var errs []error
	missing := map[string]bool{}
	resolve := func(role string, f func(*topology.Topology, string) (Endpoint, error)) (Endpoint, bool) {
		ep, err := f(t, role)
		if err != nil {
			if !missing[err.Error()] {
				missing[err.Error()] = true
				errs = append(errs, err)
			}
			return Endpoint{}, false
		}
		return ep, true
	}
	for _, r := range s.Rows {
		if !opens(r) {
			continue
		}
		src, ok1 := resolve(r.From, sourceOf)
		dst, ok2 := resolve(r.To, destinationOf)
		if !ok1 || !ok2 {
			continue
		}
		if !sharesFamily(src.Addrs, dst.Addrs) {
			errs = append(errs, fmt.Errorf("row %s: the sources of %s are %s and the addresses of %s are %s: no rule can join them (give both an address of the same IP version)",
				r.ID(), src.Role, families(src.Addrs), dst.Role, families(dst.Addrs)))
			continue
		}
		rs.Rules = append(rs.Rules, Rule{
			N: len(rs.Rules) + 1, RowID: r.ID(), Source: src, Dest: dst,
			Transport: r.Transport, Port: r.Port, Service: r.Protocol, Origin: r.Origin,
			Justification: strings.TrimSpace(r.Note),
		})
	}
	if len(errs) > 0 {
		return nil, &MissingError{Topology: t.File, Scenario: s.File, Problems: errs}
	}
	if len(rs.Rules) == 0 {
		return nil, fmt.Errorf("scenario %s has no allow rows: nothing to open", s.File)
	}
	rs.Warnings = shadowed(s, t, rs.Rules)
	return rs, nil
}

// MissingError is what Build returns when the topology cannot carry the table: every role without
// the addresses a row needs, each naming the topology key to fill in.
type MissingError struct {
	Topology, Scenario string
	Problems           []error
}

func (e *MissingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "topology %s lacks what the rows of %s need (%d):", e.Topology, e.Scenario, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - " + p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so errors.Is and errors.As see each.
func (e *MissingError) Unwrap() []error { return e.Problems }

// opens reports whether a row needs its path open through the firewall.
func opens(r scenarios.Row) bool {
	return r.Allowed() || r.Expect == scenarios.ExpectHandshakeFails
}

// sourceOf returns the addresses a role sends from: its sources entry, else (for a server role)
// its pool members' addresses.
func sourceOf(t *topology.Topology, role string) (Endpoint, error) {
	ep := Endpoint{Role: role, Name: role}
	if p, ok := t.Pools[role]; ok && p.FQDN != "" {
		ep.Name = p.FQDN
	}
	if cidrs := t.Sources[role]; len(cidrs) > 0 {
		for _, c := range cidrs {
			p, err := topology.ParsePrefix(c)
			if err != nil {
				return Endpoint{}, fmt.Errorf("source role %s: sources.%s: %w", role, role, err)
			}
			ep.Addrs = append(ep.Addrs, p)
		}
		ep.Addrs = minimize(ep.Addrs)
		return ep, nil
	}
	if p, ok := t.Pools[role]; ok {
		var addrs []netip.Prefix
		for _, m := range p.Members {
			a, err := netip.ParseAddr(m.Address)
			if err != nil {
				addrs = nil
				break
			}
			addrs = append(addrs, netip.PrefixFrom(a, a.BitLen()))
		}
		if len(addrs) > 0 {
			ep.Addrs = minimize(addrs)
			return ep, nil
		}
		return Endpoint{}, fmt.Errorf("source role %s has no address: fill in sources.%s (or every pools.%s.members[].address) in the topology", role, role, role)
	}
	hint := ""
	if role == scenarios.RoleAny {
		hint = ` (["0.0.0.0/0", "::/0"] for anywhere, or the hosts that run the CLS controller)`
	}
	return Endpoint{}, fmt.Errorf("source role %s has no address: fill in sources.%s in the topology%s", role, role, hint)
}

// destinationOf returns the addresses traffic to a server role goes to: the pool's VIP (the HLB)
// and every member (DNS load balancing and server-to-server traffic reach the members directly).
func destinationOf(t *topology.Topology, role string) (Endpoint, error) {
	p, ok := t.Pools[role]
	if !ok && role == scenarios.RolePKI {
		return Endpoint{}, fmt.Errorf("destination role pki has no pool: the certificate requirement rows (every MTLS peer fetches the CRL its certificates name) go to the PKI web server %s: fill in pools.pki (fqdn: %s, members with the address of that web server) in the topology", t.PKIHost(), t.PKIHost())
	}
	if !ok {
		return Endpoint{}, fmt.Errorf("destination role %s has no pool: fill in pools.%s (fqdn, vip, members with address) in the topology", role, role)
	}
	ep := Endpoint{Role: role, Name: p.FQDN}
	for _, m := range p.Members {
		ep.Hosts = append(ep.Hosts, m.Name)
	}
	if p.VIP != "" {
		a, err := netip.ParseAddr(p.VIP)
		if err != nil {
			return Endpoint{}, fmt.Errorf("destination role %s: pools.%s.vip: %w", role, role, err)
		}
		ep.Addrs = append(ep.Addrs, netip.PrefixFrom(a, a.BitLen()))
	}
	var lacking []string
	for i, m := range p.Members {
		a, err := netip.ParseAddr(m.Address)
		if err != nil {
			lacking = append(lacking, fmt.Sprintf("pools.%s.members[%d].address (%s)", role, i, m.Name))
			continue
		}
		ep.Addrs = append(ep.Addrs, netip.PrefixFrom(a, a.BitLen()))
	}
	if len(lacking) > 0 {
		return Endpoint{}, fmt.Errorf("destination role %s has members without an address: fill in %s in the topology", role, strings.Join(lacking, ", "))
	}
	ep.Addrs = minimize(ep.Addrs)
	return ep, nil
}

// shadowed names the deny rows that an accept rule also matches: same destination, transport and
// port, and a source address of the denied role inside the rule's sources.
func shadowed(s *scenarios.Scenario, t *topology.Topology, rules []Rule) []string {
	var out []string
	for _, r := range s.Rows {
		if !r.Denied() {
			continue
		}
		src, err := sourceOf(t, r.From)
		if err != nil {
			continue
		}
		for _, rule := range rules {
			if rule.Dest.Role != r.To || rule.Transport != r.Transport || rule.Port != r.Port {
				continue
			}
			if p, ok := overlap(src.Addrs, rule.Source.Addrs); ok {
				out = append(out, fmt.Sprintf("deny row %s is opened for %s by rule %d (%s): the addresses of %s and %s overlap there",
					r.ID(), p, rule.N, rule.RowID, r.From, rule.Source.Role))
				break
			}
		}
	}
	return out
}

// Label is the endpoint as a person reads it: "director (dir-pool.contoso.local)", or the role
// alone when it has no other name.
func (e Endpoint) Label() string {
	if e.Name == "" || e.Name == e.Role {
		return e.Role
	}
	return e.Role + " (" + e.Name + ")"
}

// Families tells which IP versions a rule joins: both ends have addresses of that version.
func (r Rule) Families() (v4, v6 bool) {
	s4, s6 := split(r.Source.Addrs)
	d4, d6 := split(r.Dest.Addrs)
	return len(s4) > 0 && len(d4) > 0, len(s6) > 0 && len(d6) > 0
}

// Proto is the transport as firewalls spell it in upper case (TCP, UDP).
func (r Rule) Proto() string { return strings.ToUpper(r.Transport) }

// Rule returns the rule that implements the row rowID: the rule a failing row needed.
func (rs *RuleSet) Rule(rowID string) (Rule, bool) {
	for _, r := range rs.Rules {
		if r.RowID == rowID {
			return r, true
		}
	}
	return Rule{}, false
}

// Roles returns the destination roles of the rule set, in order of first appearance.
func (rs *RuleSet) Roles() []Endpoint {
	var out []Endpoint
	for _, r := range rs.Rules {
		if !slices.ContainsFunc(out, func(e Endpoint) bool { return e.Role == r.Dest.Role }) {
			out = append(out, r.Dest)
		}
	}
	return out
}
