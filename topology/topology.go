// Package topology describes a site: which pools stand in which role, their members and
// addresses, the simple URLs, which source addresses each source role has, and per-listener
// overrides. It is the second input after the port table.
package topology

import (
	_ "embed"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/yamlsafe"
)

// Topology is a site file (serve --config, report --topology).
type Topology struct {
	// Domain is the SIP domain, e.g. contoso.com; sip.<domain> goes into Director and Front End SANs.
	Domain string `yaml:"domain"`
	// SimpleURLs are the meet/dialin/lyncdiscover names a Director or Front End certificate carries.
	SimpleURLs SimpleURLs `yaml:"simple_urls"`
	// Pools maps a server role (director, frontend, edge-internal) to its pool.
	Pools map[string]*Pool `yaml:"pools"`
	// Sources maps a source role to the addresses or CIDRs it sends from.
	Sources map[string][]string `yaml:"sources"`
	// Listeners overrides single listeners.
	Listeners []Override `yaml:"listeners"`
	// PKI is where the CA publishes its CRL and certificate (CDP and AIA URLs; see pki.go).
	PKI PKI `yaml:"pki"`

	// File is where the topology came from.
	File string `yaml:"-"`
}

// SimpleURLs are the names a Lync pool's web services answer to.
type SimpleURLs struct {
	Meet                 string `yaml:"meet"`
	Dialin               string `yaml:"dialin"`
	LyncdiscoverInternal string `yaml:"lyncdiscoverinternal"`
	Lyncdiscover         string `yaml:"lyncdiscover"`
	WebExternal          string `yaml:"web_external"`
}

// Pool is a Director pool, a Front End pool or the Edge internal interface.
type Pool struct {
	// FQDN is the pool name: the certificate subject and the name probes connect to.
	FQDN string `yaml:"fqdn"`
	// VIP is the address probes target (an HLB VIP); empty means the first member's address.
	VIP string `yaml:"vip"`
	// Members are the servers of the pool.
	Members []Member `yaml:"members"`
	// Persistence is what the HLB in front of the VIP is expected to keep a client on one
	// member by: "source" (source address, Microsoft's guidance for internal 80/443), "cookie"
	// (the MS-WSMAN cookie), "none"; empty: not stated (probe --hlb then assumes source).
	Persistence string `yaml:"persistence,omitempty"`
	// MonitorPort is the port the HLB's health monitor is expected to probe each member on
	// (Microsoft's guidance: 5061 for a Director or Front End pool); 0: not stated.
	MonitorPort int `yaml:"monitor_port,omitempty"`
}

// Persistence values of a pool.
const (
	PersistenceSource = "source"
	PersistenceCookie = "cookie"
	PersistenceNone   = "none"
)

// Persistences lists the valid Pool.Persistence values.
var Persistences = []string{PersistenceSource, PersistenceCookie, PersistenceNone}

// Member is one server of a pool.
type Member struct {
	// Name is the server FQDN.
	Name string `yaml:"name"`
	// Address is where its listeners bind; empty means every address.
	Address string `yaml:"address"`
}

// Override changes one listener of one role (and member, when named).
type Override struct {
	Role     string `yaml:"role"`
	Member   string `yaml:"member"`
	Port     int    `yaml:"port"`
	Bind     string `yaml:"bind"`
	Listen   int    `yaml:"listen_port"`
	Disabled bool   `yaml:"disabled"`
	HTTP3    bool   `yaml:"http3"`
	// ClientCert asks HTTPS clients for a certificate ("request" or "require"); SIP and CLS always require one.
	ClientCert string `yaml:"client_cert"`
	// Transport "udp-quic" makes the entry a listener of its own, not an override of a table row:
	// a QUIC responder on UDP Port (through PortEnd), to prove a UDP path with a real handshake.
	// Empty or "tcp" overrides the table row on Port.
	Transport string `yaml:"transport"`
	// PortEnd makes a udp-quic entry the range Port..PortEnd (at most MaxQUICRange ports).
	PortEnd int `yaml:"port_end"`
	// Profile is the wire profile of the listener (wireprofile.Names), over serve --profile:
	// e.g. `profile: modern` on a listener with http3: true, since no Windows profile serves
	// HTTP/3.
	Profile string `yaml:"profile"`
	// KnownPeers "any" lets an MTLS listener (5061, 50001-50003) take any client certificate
	// that chains to the trusted CA; "" or "topology" (the default) takes only certificates that
	// name a server of the topology in a role the table allows on the port, as Lync does.
	KnownPeers string `yaml:"known_peers"`

	// Line is where the entry starts in File (0 when unknown), for errors found after parsing.
	Line int `yaml:"-"`
}

// Known-peer settings of an override.
const (
	KnownPeersTopology = "topology"
	KnownPeersAny      = "any"
)

// TransportUDPQUIC is the Override.Transport of a generic QUIC responder: wire's udp-quic.
const TransportUDPQUIC = string(wire.ProtoUDPQUIC)

// MaxQUICRange bounds the ports of one udp-quic entry: each port is a socket and a QUIC
// transport, so a media range of thousands is sampled (a few entries), not served whole.
const MaxQUICRange = 256

//go:embed default.yaml
var defaultYAML []byte

// Default returns the embedded contoso topology used when no --config is given.
func Default() *Topology {
	t, err := Parse("builtin:default", defaultYAML)
	if err != nil {
		panic(err)
	}
	return t
}

// Load reads a topology file; an empty path gives the default. The file is read within
// yamlsafe's default limits (size, depth, alias expansion): see Parse.
func Load(path string) (*Topology, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := yamlsafe.ReadFile(path, yamlsafe.Limits{})
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes a topology strictly and validates it. The text is bounded before it is
// decoded (yamlsafe's default size, token, depth and alias-expansion limits); every error
// names file:line, and at most yamlsafe.MaxProblems are listed, then "... and N more".
func Parse(file string, data []byte) (*Topology, error) {
	var t Topology
	doc, err := yamlsafe.Decode(file, data, &t, yamlsafe.Limits{})
	if err != nil {
		return nil, err
	}
	t.File = file
	if err := t.validate(doc); err != nil {
		return nil, err
	}
	return &t, nil
}

// ParsePrefix accepts a CIDR or a bare address (a /32 or /128).
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Pool returns the pool of a server role, or an error naming the roles the topology has.
func (t *Topology) Pool(role string) (*Pool, error) {
	p, ok := t.Pools[role]
	if !ok {
		var have []string
		for r := range t.Pools {
			have = append(have, r)
		}
		slices.Sort(have)
		return nil, fmt.Errorf("topology %s has no pool for role %q (it has %s)", t.File, role, strings.Join(have, ", "))
	}
	return p, nil
}

// Member finds a member of the pool by name or short name; empty picks the first.
func (p *Pool) Member(name string) (Member, error) {
	if name == "" {
		return p.Members[0], nil
	}
	for _, m := range p.Members {
		if m.Name == name || strings.SplitN(m.Name, ".", 2)[0] == name {
			return m, nil
		}
	}
	var names []string
	for _, m := range p.Members {
		names = append(names, m.Name)
	}
	return Member{}, fmt.Errorf("pool %s has no member %q (members: %s)", p.FQDN, name, strings.Join(names, ", "))
}

// Member finds a member of a role's pool (name or short name; empty picks the first).
func (t *Topology) Member(role, name string) (*Pool, Member, error) {
	p, err := t.Pool(role)
	if err != nil {
		return nil, Member{}, err
	}
	m, err := p.Member(name)
	return p, m, err
}

// Target returns the address probes use for the pool: the VIP, else the first member's address.
func (p *Pool) Target() string {
	if p.VIP != "" {
		return p.VIP
	}
	return p.Members[0].Address
}

// OverrideFor returns the override of a listener of role/member on port, if any.
func (t *Topology) OverrideFor(role, member string, port int) (Override, bool) {
	for _, o := range t.Listeners {
		if o.Port == port && o.Transport != TransportUDPQUIC && (o.Role == "" || o.Role == role) && (o.Member == "" || o.Member == member) {
			return o, true
		}
	}
	return Override{}, false
}

// SourceRoleOf returns the source roles whose addresses contain addr, most specific first.
func (t *Topology) SourceRoleOf(addr netip.Addr) []string {
	type hit struct {
		role string
		bits int
	}
	var hits []hit
	for role, cidrs := range t.Sources {
		best := -1
		for _, c := range cidrs {
			p, err := ParsePrefix(c)
			if err == nil && p.Contains(addr.Unmap()) && p.Bits() > best {
				best = p.Bits()
			}
		}
		if best >= 0 {
			hits = append(hits, hit{role, best})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.bits != b.bits {
			return b.bits - a.bits
		}
		return strings.Compare(a.role, b.role)
	})
	var roles []string
	for _, h := range hits {
		roles = append(roles, h.role)
	}
	return roles
}

//go:embed lab.yaml
var labYAML []byte

// Lab returns the loopback lab topology: each role and each source role on its own 127.x address.
func Lab() *Topology {
	t, err := Parse("builtin:lab", labYAML)
	if err != nil {
		panic(err)
	}
	return t
}

// SourceAddr returns the address a prober acting as role should send from: the first entry of
// the role's sources that is a single address, else the zero Addr (let the kernel choose).
func (t *Topology) SourceAddr(role string) netip.Addr {
	for _, c := range t.Sources[role] {
		p, err := ParsePrefix(c)
		if err == nil && p.IsSingleIP() {
			return p.Addr()
		}
	}
	return netip.Addr{}
}
