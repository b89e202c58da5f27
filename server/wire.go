package server

import (
	"errors"
	"fmt"
	"slices"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// ErrProfile is what Start returns (wrapped) for a wire profile it cannot serve as asked: an
// unknown name, or http3 under a profile without HTTP/3.
var ErrProfile = errors.New("wire profile")

// profileError is an ErrProfile whose message is its own.
type profileError struct{ error }

func (profileError) Is(target error) bool { return target == ErrProfile }

func profileErr(format string, a ...any) error { return profileError{fmt.Errorf(format, a...)} }

// roleNames are the server roles as Lync documents call them, for the known-server reason.
var roleNames = map[string]string{
	scenarios.RoleDirector:     "Director",
	scenarios.RoleFrontend:     "Front End",
	scenarios.RoleEdgeInternal: "Edge",
}

// wireSpecs returns the member's served listeners and guards with their wire settings: the wire
// profile (the listener's `profile:` override, else o.WireProfile, else the default) and, on
// SIP over MTLS, the servers whose client certificates it takes (Spec.Peers). It refuses
// http3 under a profile without HTTP/3, naming the topology line and the fix.
func wireSpecs(o Options, prof *roleprofile.Profile) (served, guards []listeners.Spec, err error) {
	def := o.WireProfile
	if def == "" {
		def = wireprofile.Default
	}
	dp, err := wireprofile.Get(def)
	if err != nil {
		return nil, nil, profileErr("--profile: %w", err)
	}
	for _, s := range prof.Specs {
		if s.Protocol == wire.ProtoUDPQUIC {
			// The generic QUIC responder proves a UDP path; it is no part of the host's
			// imitation and speaks QUIC (TLS 1.3) whatever the profile.
			served = append(served, s)
			continue
		}
		ov, _ := roleprofile.OverrideFor(o.Topology, prof.Role, prof.Member.Name, s.Port)
		s.Profile = dp.Name
		if ov.Profile != "" {
			s.Profile = ov.Profile
		}
		p, err := wireprofile.Get(s.Profile)
		if err != nil {
			return nil, nil, profileErr("%s: listeners: %s port %d: %w", o.Topology.File, prof.Role, s.Port, err)
		}
		if s.HTTP3 && !p.HTTP3 {
			at := o.Topology.File
			if ov.Line > 0 {
				at = fmt.Sprintf("%s:%d", at, ov.Line)
			}
			return nil, nil, profileErr("%s: the %s listener on port %d has http3: true, but its wire profile %s serves no HTTP/3 (%s: no Windows host of these profiles has it, and QUIC needs TLS 1.3): add `profile: %s` to that listener, or serve --profile %s",
				at, prof.Role, s.Port, p.Name, p.Description, wireprofile.Modern, wireprofile.Modern)
		}
		if s.Protocol == wire.ProtoSIPMTLS && ov.KnownPeers != topology.KnownPeersAny {
			s.Peers = knownPeers(o.Scenario, o.Topology, prof.Role, s.Port)
		}
		served = append(served, s)
	}
	for _, g := range prof.Guards {
		if g.Protocol != wire.ProtoUDPQUIC {
			g.Profile = dp.Name // a guard looks like the host too, up to its 403
		}
		guards = append(guards, g)
	}
	return served, guards, nil
}

// knownPeers are the servers of the topology in the roles the table allows toward role on port
// (SIP over MTLS: the Edge toward a Director or Front End; Director and Front End toward the
// Edge), as Lync accepts MTLS only from servers its topology knows. nil, accepting any chained
// certificate, when a source the table allows there is not a server role: the CLS ports
// (50001-50003, "from any": ClsController.exe runs wherever the Lync management tools are, so
// no topology names it) never get here, and a site table that opens 5061 to "any" gets the same.
func knownPeers(scn *scenarios.Scenario, topo *topology.Topology, role string, port int) *listeners.Peers {
	var from []string
	for _, r := range scn.Rows {
		if r.To == role && r.Port == port && r.Transport == scenarios.TransportTCP && r.Allowed() && !slices.Contains(from, r.From) {
			from = append(from, r.From)
		}
	}
	if len(from) == 0 {
		return nil
	}
	peers := &listeners.Peers{}
	var pools []string
	for _, f := range from {
		name, ok := roleNames[f]
		if !ok {
			return nil
		}
		peers.Roles = append(peers.Roles, name)
		if p, ok := topo.Pools[f]; ok && p != nil {
			for _, m := range p.Members {
				peers.Names = append(peers.Names, m.Name)
			}
			pools = append(pools, p.FQDN)
		}
	}
	peers.Names = append(peers.Names, pools...) // members first: a member's name is its certificate's file name
	return peers
}
