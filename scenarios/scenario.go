// Package scenarios holds the port table as data: the built-in Lync 2013 single-Director scenario
// and the types that load and validate scenario files. serve, probe and report all read rows from
// here, so a row has one identity everywhere it shows up.
package scenarios

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// Source and destination roles of the seed table.
const (
	RoleReverseProxy   = "reverse-proxy-internal"
	RoleEdgeInternal   = "edge-internal"
	RoleInternalClient = "internal-clients"
	RoleAny            = "any"
	RoleDirector       = "director"
	RoleFrontend       = "frontend"
	// RolePKI is the web server the CA publishes its CRL and certificate on (the CRL
	// Distribution Point and AIA URLs of every certificate; topology pki.host and pools.pki). It
	// is not a Lync server role: it is the destination of the rows with origin
	// OriginCertificate, which every MTLS peer needs to check revocation, and serve --role pki
	// stands in for it.
	RolePKI = "pki"
)

// OriginCertificate marks a row the certificate infrastructure requires rather than the port
// table: the CDP and AIA fetches of the MTLS peers (to the PKI host, check cdp).
const OriginCertificate = "certificate requirement"

// SourceRoles lists every role a row may come from.
var SourceRoles = []string{RoleReverseProxy, RoleEdgeInternal, RoleInternalClient, RoleAny, RoleDirector, RoleFrontend}

// ServerRoles lists the roles mockdirector serve can stand in for: the destinations of rows. The
// Lync server roles come first, then the PKI web server (RolePKI), which is a destination only.
var ServerRoles = []string{RoleDirector, RoleFrontend, RoleEdgeInternal, RolePKI}

// The words of a row are internal/wire's (one vocabulary for what crosses the wire); a row
// holds them as the strings its YAML gives, so these are wire's values as untyped strings.

// Protocols a row may name. tcp is a bare connect; the others are what a listener speaks.
const (
	ProtoTCP     = string(wire.ProtoTCP)
	ProtoHTTP    = string(wire.ProtoHTTP)
	ProtoHTTPS   = string(wire.ProtoHTTPS)
	ProtoSIPMTLS = string(wire.ProtoSIPMTLS)
	ProtoCLSMTLS = string(wire.ProtoCLSMTLS)
	// ProtoUDPQUIC is a QUIC handshake on a UDP port (transport udp): the generic QUIC responder
	// of mockdirector serve, or any QUIC server.
	ProtoUDPQUIC = string(wire.ProtoUDPQUIC)
)

// Protocols lists the valid protocol names.
var Protocols = words(wire.Protocols)

// Transports of a row.
const (
	TransportTCP = string(wire.TransportTCP)
	TransportUDP = string(wire.TransportUDP)
)

// Expectations of a row (wire.Expect says what each holds on).
const (
	ExpectAllow          = string(wire.ExpectAllow)
	ExpectDeny           = string(wire.ExpectDeny)
	ExpectDenyRefused    = string(wire.ExpectDenyRefused)
	ExpectDenyFiltered   = string(wire.ExpectDenyFiltered)
	ExpectHandshakeFails = string(wire.ExpectHandshakeFails)
)

// Expectations lists the valid expect values.
var Expectations = words(wire.Expectations)

// Check kinds the prober runs (wire.Check says what each does).
const (
	CheckTCP            = string(wire.CheckTCP)
	CheckTLS            = string(wire.CheckTLS)
	CheckMTLS           = string(wire.CheckMTLS)
	CheckHTTP           = string(wire.CheckHTTP)
	CheckHTTPS          = string(wire.CheckHTTPS)
	CheckSIPOptions     = string(wire.CheckSIPOptions)
	CheckCLS            = string(wire.CheckCLS)
	CheckUDPQUIC        = string(wire.CheckUDPQUIC)
	CheckH3             = string(wire.CheckH3)
	CheckHold           = string(wire.CheckHold)
	CheckCDP            = string(wire.CheckCDP)
	CheckDistribution   = string(wire.CheckDistribution)
	CheckAffinitySource = string(wire.CheckAffinitySource)
	CheckAffinityCookie = string(wire.CheckAffinityCookie)
)

// HLBChecks are the checks that judge a pool's load balancing rather than one path: a row
// with one of them has the check in its ID.
var HLBChecks = []string{CheckDistribution, CheckAffinitySource, CheckAffinityCookie}

// Transports lists the valid transport values. A package that adds a transport's checks
// appends to it and to Checks in its init, and registers the checks with the prober.
var Transports = words(wire.Transports)

// Checks lists the valid check values.
var Checks = words(wire.Checks)

// UDPChecks are the checks that run over UDP (transport udp); every other check runs over TCP.
var UDPChecks = []string{CheckUDPQUIC, CheckH3}

// words is a list of wire's typed words as the strings a row holds.
func words[W ~string](ws []W) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = string(w)
	}
	return out
}

// DefaultHold is how long a hold check keeps its connection idle when the row names no hold:
// the 1800 s idle timeout the Lync 2013 hardware load balancer guidance asks for.
const DefaultHold = 1800 * time.Second

// DefaultCheck is the check a protocol gets when a row names none.
func DefaultCheck(protocol string) string {
	switch protocol {
	case ProtoUDPQUIC:
		return CheckUDPQUIC
	case ProtoHTTP:
		return CheckHTTP
	case ProtoHTTPS:
		return CheckHTTPS
	case ProtoSIPMTLS:
		return CheckSIPOptions
	case ProtoCLSMTLS:
		return CheckCLS
	}
	return CheckTCP
}

// CheckKind returns the row's check, defaulted from its protocol (and, over UDP, its
// transport: https over udp is h3, anything else a QUIC handshake).
func (r Row) CheckKind() string {
	if r.Check != "" {
		return r.Check
	}
	if r.Transport == TransportUDP {
		if r.Protocol == ProtoHTTPS {
			return CheckH3
		}
		return CheckUDPQUIC
	}
	return DefaultCheck(r.Protocol)
}

// HoldFor is the row's hold duration (DefaultHold when it names none); only hold checks use it.
func (r Row) HoldFor() time.Duration {
	if d, err := time.ParseDuration(r.Hold); err == nil && d > 0 {
		return d
	}
	return DefaultHold
}

// Denied reports whether the row expects the connection to be refused or filtered.
func (r Row) Denied() bool {
	return r.Expect == ExpectDeny || r.Expect == ExpectDenyRefused || r.Expect == ExpectDenyFiltered
}

// Scenario is one scenario file: a name and the rows it proves.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Rows        []Row  `yaml:"rows"`
	// Complement names the paths on which the table is the whole story: when the scenario
	// loads, every table port a source of such a path may not reach at its destination becomes a
	// deny row (see Complement).
	Complement []ComplementPath `yaml:"complement,omitempty"`

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

	// Check is what the prober does (tcp, tls, mtls, http, https, sip-options, cls, cdp, ...); empty
	// means the protocol's own check (see DefaultCheck).
	Check string `yaml:"check,omitempty"`
	// SourceSeenAs is the address the destination must report as the source (catches SNAT).
	SourceSeenAs string `yaml:"source_seen_as,omitempty"`
	// XFF is a value X-Forwarded-For must contain at the destination.
	XFF string `yaml:"xff,omitempty"`
	// Member is the pool member that must answer.
	Member string `yaml:"member,omitempty"`
	// Target is a host or host:port to connect to instead of the destination role's address.
	Target string `yaml:"target,omitempty"`
	// ServerName is the SNI and the name the server certificate must carry; empty means the
	// destination pool FQDN.
	ServerName string `yaml:"server_name,omitempty"`
	// Timeout bounds the check ("3s"); empty means the prober's --timeout.
	Timeout string `yaml:"timeout,omitempty"`
	// Retries is how often a failed check is tried again; nil means the prober's --retries.
	Retries *int `yaml:"retries,omitempty"`
	// Lint is what the certificate lint must find on a tls or mtls check: "pass" (no error
	// findings) or a list of finding codes that must all be present. Nil: not judged.
	Lint *LintExpect `yaml:"lint,omitempty"`
	// Hold is how long a hold check keeps its connection idle ("30m"); empty means DefaultHold.
	Hold string `yaml:"hold,omitempty"`

	// Line is the line of the row in its file, for messages.
	Line int `yaml:"-"`
}

// ID names the row the same way in a scenario, a spec, a report line and a metric label:
// "edge-internal->director tcp/5061 sip-mtls". A hold row adds " hold", so a scenario can hold
// the connection of a path it also checks the ordinary way ("... tcp/443 https hold").
func (r Row) ID() string {
	id := fmt.Sprintf("%s->%s %s/%d %s", r.From, r.To, r.Transport, r.Port, r.Protocol)
	if r.Check == CheckHold || slices.Contains(HLBChecks, r.Check) {
		id += " " + r.Check
	}
	return id
}

// Allowed reports whether the row expects traffic to pass.
func (r Row) Allowed() bool { return r.Expect == ExpectAllow }

// normalize fills defaults in place.
func (r *Row) normalize() {
	if r.Transport == "" {
		r.Transport = TransportTCP
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
	if !slices.Contains(Transports, r.Transport) {
		errs = append(errs, fmt.Sprintf("transport %q is not supported (%s)", r.Transport, strings.Join(Transports, ", ")))
	}
	if !slices.Contains(Protocols, r.Protocol) {
		errs = append(errs, fmt.Sprintf("protocol %q is not one of %s", r.Protocol, strings.Join(Protocols, ", ")))
	}
	if !slices.Contains(Expectations, r.Expect) {
		errs = append(errs, fmt.Sprintf("expect %q is not one of %s", r.Expect, strings.Join(Expectations, ", ")))
	}
	if r.Check != "" && !slices.Contains(Checks, r.Check) {
		errs = append(errs, fmt.Sprintf("check %q is not one of %s", r.Check, strings.Join(Checks, ", ")))
	}
	if r.SourceSeenAs != "" {
		if _, err := netip.ParseAddr(r.SourceSeenAs); err != nil {
			errs = append(errs, fmt.Sprintf("source_seen_as %q is not an IP address", r.SourceSeenAs))
		}
	}
	if r.Timeout != "" {
		if d, err := time.ParseDuration(r.Timeout); err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("timeout %q is not a positive duration like 3s or 500ms", r.Timeout))
		}
	}
	if r.Retries != nil && (*r.Retries < 0 || *r.Retries > 100) {
		errs = append(errs, fmt.Sprintf("retries %d is out of range 0-100", *r.Retries))
	}
	if r.Target != "" && strings.ContainsAny(r.Target, "/ ") {
		errs = append(errs, fmt.Sprintf("target %q is not a host or host:port", r.Target))
	}
	return append(errs, r.validateCheck()...)
}

// validateCheck checks that the transport, protocol, check, lint and hold fit together.
func (r Row) validateCheck() []string {
	var errs []string
	check := r.CheckKind()
	switch {
	case r.Transport == TransportUDP && r.Protocol != ProtoUDPQUIC && r.Protocol != ProtoHTTPS:
		errs = append(errs, fmt.Sprintf("transport udp carries protocol %s or %s (QUIC), not %s", ProtoUDPQUIC, ProtoHTTPS, r.Protocol))
	case r.Transport == TransportUDP && !slices.Contains(UDPChecks, check):
		errs = append(errs, fmt.Sprintf("check %s runs over TCP; a transport udp row takes check %s", check, strings.Join(UDPChecks, " or ")))
	case r.Transport == TransportTCP && r.Protocol == ProtoUDPQUIC:
		errs = append(errs, fmt.Sprintf("protocol %s needs transport: udp", ProtoUDPQUIC))
	case r.Transport == TransportTCP && slices.Contains(UDPChecks, check):
		errs = append(errs, fmt.Sprintf("check %s runs over UDP: add transport: udp", check))
	case check == CheckH3 && r.Protocol != ProtoHTTPS:
		errs = append(errs, fmt.Sprintf("check h3 needs protocol https, not %s", r.Protocol))
	case check == CheckCDP && r.Protocol != ProtoHTTP:
		errs = append(errs, fmt.Sprintf("check cdp fetches CRLs over HTTP: it needs protocol http, not %s", r.Protocol))
	case check == CheckAffinityCookie && r.Protocol != ProtoHTTP && r.Protocol != ProtoHTTPS:
		errs = append(errs, fmt.Sprintf("check affinity-cookie needs protocol http or https (the MS-WSMAN cookie), not %s", r.Protocol))
	case slices.Contains(HLBChecks, check) && r.Protocol == ProtoTCP:
		errs = append(errs, fmt.Sprintf("check %s needs an answer that names its member: protocol http, https, sip-mtls or cls-mtls, not tcp", check))
	case slices.Contains(HLBChecks, check) && r.Denied():
		errs = append(errs, fmt.Sprintf("check %s judges an allowed path's load balancing: expect allow, not %s", check, r.Expect))
	}
	if r.Lint != nil {
		if check != CheckTLS && check != CheckMTLS {
			errs = append(errs, fmt.Sprintf("lint applies to check tls or mtls, not %s", check))
		}
		if r.Denied() {
			errs = append(errs, fmt.Sprintf("lint needs a certificate to look at: expect %s sees none (use allow or handshake-fails)", r.Expect))
		}
		errs = append(errs, r.Lint.validate()...)
	}
	if r.Hold != "" {
		if d, err := time.ParseDuration(r.Hold); err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("hold %q is not a positive duration like 1800s or 30m", r.Hold))
		}
		if check != CheckHold {
			errs = append(errs, fmt.Sprintf("hold applies to check hold, not %s (add check: hold)", check))
		}
	}
	return errs
}

// ServedBy returns the allow rows a server role must answer, one per TCP port, in table order.
// UDP rows are not served from the table: an HTTPS listener's HTTP/3 and the QUIC responders
// are topology settings (http3: true, transport: udp-quic).
func (s *Scenario) ServedBy(role string) []Row {
	var out []Row
	seen := map[int]bool{}
	for _, r := range s.Rows {
		if r.To != role || !r.Allowed() || r.Protocol == ProtoTCP || r.Transport != TransportTCP || seen[r.Port] {
			continue
		}
		seen[r.Port] = true
		out = append(out, r)
	}
	return out
}

// From returns the rows whose source is role. Allow rows from "any" go with every role (any
// host may take the path) but its own pool (a member reaching its own pool's VIP hairpins
// through the HLB: no firewall path); a deny row from "any" is about the host in no other role,
// so it goes with "any" only.
func (s *Scenario) From(role string) []Row {
	var out []Row
	for _, r := range s.Rows {
		if r.From == role || (r.From == RoleAny && r.Allowed() && r.To != role) {
			out = append(out, r)
		}
	}
	return out
}
