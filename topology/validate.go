package topology

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mockdirector/mockdirector/internal/yamlsafe"
	"github.com/mockdirector/mockdirector/scenarios"
)

// problem is one wrong value and the YAML path that finds its line.
type problem struct {
	path []any
	msg  string
}

// validate checks every value the decoder cannot (roles, addresses, ports, required fields)
// and returns one error listing them in file order, each as "file:line: field: what is wrong".
func (t *Topology) validate(doc *yamlsafe.Doc) error {
	var ps []problem
	add := func(msg string, path ...any) { ps = append(ps, problem{path, msg}) }
	for role, p := range t.Pools {
		if !slices.Contains(scenarios.ServerRoles, role) {
			add(fmt.Sprintf("pools: %q is not a server role (one of %s)", role, strings.Join(scenarios.ServerRoles, ", ")), "pools", role)
			continue
		}
		if p == nil {
			// "pools:\n  director:\n" decodes to a nil pool: say what it lacks, do not
			// let every later lookup dereference it.
			add(fmt.Sprintf("pools.%s: the pool is empty; it needs fqdn and at least one member", role), "pools", role)
			continue
		}
		if p.FQDN == "" {
			add(fmt.Sprintf("pools.%s: fqdn is required", role), "pools", role)
		}
		if len(p.Members) == 0 {
			add(fmt.Sprintf("pools.%s: at least one member is required", role), "pools", role)
		}
		if p.Persistence != "" && !slices.Contains(Persistences, p.Persistence) {
			add(fmt.Sprintf("pools.%s.persistence: %q is not one of %s", role, p.Persistence, strings.Join(Persistences, ", ")), "pools", role, "persistence")
		}
		if p.MonitorPort < 0 || p.MonitorPort > 65535 {
			add(fmt.Sprintf("pools.%s.monitor_port: %d is out of range 1-65535", role, p.MonitorPort), "pools", role, "monitor_port")
		}
		if (p.Persistence != "" || p.MonitorPort != 0) && p.VIP == "" {
			add(fmt.Sprintf("pools.%s: persistence and monitor_port describe the HLB in front of a VIP; give the pool its vip", role), "pools", role)
		}
		for i, m := range p.Members {
			if m.Name == "" {
				add(fmt.Sprintf("pools.%s.members[%d]: name is required", role, i), "pools", role, "members", i)
			}
			if m.Address != "" {
				if _, err := netip.ParseAddr(m.Address); err != nil {
					add(fmt.Sprintf("pools.%s.members[%d].address: %q is not an IP address (write one like 192.0.2.10 or 2001:db8::10; leave it out to bind every address)", role, i, m.Address), "pools", role, "members", i, "address")
				}
			}
		}
	}
	for role, cidrs := range t.Sources {
		if !slices.Contains(scenarios.SourceRoles, role) {
			add(fmt.Sprintf("sources: %q is not a source role (one of %s)", role, strings.Join(scenarios.SourceRoles, ", ")), "sources", role)
		}
		for i, c := range cidrs {
			if _, err := ParsePrefix(c); err != nil {
				add(fmt.Sprintf("sources.%s[%d]: %q is not an address or CIDR (write one like 192.0.2.10 or 198.51.100.0/24)", role, i, c), "sources", role, i)
			}
		}
	}
	for i, o := range t.Listeners {
		at := []any{"listeners", i}
		t.Listeners[i].Line = doc.Line(at...)
		for _, msg := range o.validateWire(i) {
			add(msg.msg, append(at, msg.path...)...)
		}
		if o.Port == 0 {
			add(fmt.Sprintf("listeners[%d]: port is required", i), at...)
		} else if o.Port < 0 || o.Port > 65535 {
			add(fmt.Sprintf("listeners[%d]: port %d is out of range 1-65535", i, o.Port), append(at, "port")...)
		}
		if o.Listen < 0 || o.Listen > 65535 {
			add(fmt.Sprintf("listeners[%d]: listen_port %d is out of range 1-65535", i, o.Listen), append(at, "listen_port")...)
		}
		if o.ClientCert != "" && o.ClientCert != "request" && o.ClientCert != "require" {
			add(fmt.Sprintf("listeners[%d]: client_cert %q is not request or require", i, o.ClientCert), append(at, "client_cert")...)
		}
		for _, err := range o.validateTransport(i) {
			add(err.Error(), at...)
		}
	}
	for _, err := range t.validatePKI() {
		add(err.Error(), "pki")
	}
	return t.report(doc, ps)
}

// report turns problems into one capped error in file order.
func (t *Topology) report(doc *yamlsafe.Doc, ps []problem) error {
	type located struct {
		line int
		msg  string
	}
	ls := make([]located, 0, len(ps))
	for _, p := range ps {
		ls = append(ls, located{doc.Line(p.path...), p.msg})
	}
	slices.SortStableFunc(ls, func(a, b located) int {
		return cmp.Or(cmp.Compare(a.line, b.line), strings.Compare(a.msg, b.msg))
	})
	var out yamlsafe.Problems
	for _, l := range ls {
		if l.line > 0 {
			out.Add("%s:%d: %s", t.File, l.line, l.msg)
		} else {
			out.Add("%s: %s", t.File, l.msg)
		}
	}
	return out.Err()
}
