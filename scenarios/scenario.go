// Package scenarios holds the port table as data: the built-in Lync 2013 single-Director scenario
// and the types that load and validate scenario files. serve, probe and report all read rows from
// here, so a row has one identity everywhere it shows up.
package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// Source and destination roles of the seed table.
const (
	RoleReverseProxy   = "reverse-proxy-internal"
	RoleEdgeInternal   = "edge-internal"
	RoleInternalClient = "internal-clients"
	RoleAny            = "any"
	RoleDirector       = "director"
	RoleFrontend       = "frontend"
)

// SourceRoles lists every role a row may come from.
var SourceRoles = []string{RoleReverseProxy, RoleEdgeInternal, RoleInternalClient, RoleAny, RoleDirector, RoleFrontend}

// ServerRoles lists the roles mockdirector serve can stand in for.
var ServerRoles = []string{RoleDirector, RoleFrontend, RoleEdgeInternal}

// Protocols a row may name. tcp is a bare connect; the others are what a listener speaks.
const (
	ProtoTCP     = "tcp"
	ProtoHTTP    = "http"
	ProtoHTTPS   = "https"
	ProtoSIPMTLS = "sip-mtls"
	ProtoCLSMTLS = "cls-mtls"
)

// Protocols lists the valid protocol names.
var Protocols = []string{ProtoTCP, ProtoHTTP, ProtoHTTPS, ProtoSIPMTLS, ProtoCLSMTLS}

// Expectations of a row.
const (
	ExpectAllow = "allow"
	ExpectDeny  = "deny"
)

// Scenario is one scenario file: a name and the rows it proves.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Rows        []Row  `yaml:"rows"`

	// File is where the scenario was loaded from ("builtin:..." for the embedded one).
	File string `yaml:"-"`
}

// Row is one firewall definition: traffic of a protocol to a port, from a source role to a
// destination role, expected to be allowed or denied.
type Row struct {
	From      string `yaml:"from"`
	To        string `yaml:"to"`
	Port      int    `yaml:"port"`
	Transport string `yaml:"transport,omitempty"`
	Protocol  string `yaml:"protocol"`
	Expect    string `yaml:"expect,omitempty"`
	Path      string `yaml:"path,omitempty"`
	Origin    string `yaml:"origin,omitempty"`
	Note      string `yaml:"note,omitempty"`

	// Line is the line of the row in its file, for messages.
	Line int `yaml:"-"`
}

// ID names the row the same way in a scenario, a spec, a report line and a metric label:
// "edge-internal->director tcp/5061 sip-mtls".
func (r Row) ID() string {
	return fmt.Sprintf("%s->%s %s/%d %s", r.From, r.To, r.Transport, r.Port, r.Protocol)
}

// Allowed reports whether the row expects traffic to pass.
func (r Row) Allowed() bool { return r.Expect == ExpectAllow }

// normalize fills defaults in place.
func (r *Row) normalize() {
	if r.Transport == "" {
		r.Transport = "tcp"
	}
	if r.Expect == "" {
		r.Expect = ExpectAllow
	}
	if r.Path == "" && (r.Protocol == ProtoHTTP || r.Protocol == ProtoHTTPS) {
		r.Path = "/.well-known/mockdirector"
	}
}

// validate returns every problem with the row, each naming the field.
func (r Row) validate() []string {
	var errs []string
	if !slices.Contains(SourceRoles, r.From) {
		errs = append(errs, fmt.Sprintf("from %q is not a role (one of %s)", r.From, strings.Join(SourceRoles, ", ")))
	}
	if !slices.Contains(ServerRoles, r.To) {
		errs = append(errs, fmt.Sprintf("to %q is not a destination role (one of %s)", r.To, strings.Join(ServerRoles, ", ")))
	}
	if r.Port < 1 || r.Port > 65535 {
		errs = append(errs, fmt.Sprintf("port %d is out of range 1-65535", r.Port))
	}
	if r.Transport != "tcp" {
		errs = append(errs, fmt.Sprintf("transport %q is not supported (tcp)", r.Transport))
	}
	if !slices.Contains(Protocols, r.Protocol) {
		errs = append(errs, fmt.Sprintf("protocol %q is not one of %s", r.Protocol, strings.Join(Protocols, ", ")))
	}
	if r.Expect != ExpectAllow && r.Expect != ExpectDeny {
		errs = append(errs, fmt.Sprintf("expect %q is not allow or deny", r.Expect))
	}
	return errs
}

// ServedBy returns the allow rows a server role must answer, one per port, in table order.
func (s *Scenario) ServedBy(role string) []Row {
	var out []Row
	seen := map[int]bool{}
	for _, r := range s.Rows {
		if r.To != role || !r.Allowed() || r.Protocol == ProtoTCP || seen[r.Port] {
			continue
		}
		seen[r.Port] = true
		out = append(out, r)
	}
	return out
}

// From returns the rows whose source is role; rows from "any" go with every role.
func (s *Scenario) From(role string) []Row {
	var out []Row
	for _, r := range s.Rows {
		if r.From == role || r.From == RoleAny {
			out = append(out, r)
		}
	}
	return out
}
