package listeners

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"

	"github.com/mockdirector/mockdirector/internal/wireprofile"
)

// wireProfile is the wire profile the listener of spec looks like: "" is wireprofile.Default
// (a Lync Server 2013 host on Windows Server 2012 R2).
func (s Spec) wireProfile() (wireprofile.Profile, error) {
	p, err := wireprofile.Get(s.Profile)
	if err != nil {
		return wireprofile.Profile{}, fmt.Errorf("%s listener %s: %w", s.Role, s.Name, err)
	}
	return p, nil
}

// checkProfile refuses a spec its wire profile cannot serve: HTTP/3 under a profile whose host
// has none (every Windows profile: http.sys has HTTP/3 from Windows Server 2022 only, and QUIC
// needs TLS 1.3, which none of them speaks). The generic QUIC responder and the UDP guards are
// the mock's own instruments for proving a UDP path, asked for by the topology or the table, not
// part of the host's imitation: they speak QUIC (TLS 1.3) whatever the profile.
func checkProfile(s Spec) error {
	p, err := s.wireProfile()
	if err != nil {
		return err
	}
	if s.HTTP3 && !s.Guard && !p.HTTP3 {
		return fmt.Errorf("%s listener %s: http3 is on, but wire profile %s (%s) serves no HTTP/3: a Windows Lync/Skype host has none; set `profile: modern` on this listener in the topology, or serve --profile modern",
			s.Role, s.Name, p.Name, p.Description)
	}
	return nil
}

// Peers are the servers a mutual TLS listener accepts client certificates from: a Lync server
// accepts MTLS only from servers its topology knows (LYNC-NOTES: "Lync servers accept MTLS only
// from servers known to the topology (the Edge's FQDN is in it)"), so a certificate that chains
// fine but names none of them is refused at the handshake, as production would.
type Peers struct {
	// Roles say which servers, as a person calls them ("Edge", "Director", "Front End").
	Roles []string `json:"roles"`
	// Names are their FQDNs (pool and member names), compared case-insensitively with the
	// client certificate's subject CN and DNS SANs.
	Names []string `json:"names"`
}

// knows reports whether the certificate names one of the peers.
func (p *Peers) knows(c *x509.Certificate) bool {
	names := append([]string{c.Subject.CommonName}, c.DNSNames...)
	for _, n := range names {
		if n != "" && slices.ContainsFunc(p.Names, func(k string) bool { return strings.EqualFold(k, n) }) {
			return true
		}
	}
	return false
}

// unknownServerError is a client certificate that chains to a trusted CA but names no server of
// the topology for a role the table allows on the port.
type unknownServerError struct {
	cn    string
	roles []string
}

func (e *unknownServerError) Error() string {
	roles := strings.Join(e.roles, " or ")
	if roles == "" {
		roles = "allowed"
	}
	return fmt.Sprintf("certificate valid, but CN=%s names no known %s server: Lync would refuse it; add it to the topology (or set `known_peers: any` on this listener)", e.cn, roles)
}
