package topology

import (
	"fmt"
	"strings"

	"github.com/mockdirector/mockdirector/internal/wireprofile"
)

// validateWire checks the wire settings of listeners[i]: a known profile, a known_peers value,
// and no http3 under a profile whose host serves no HTTP/3. (http3 under the serve-wide
// profile is checked when serve plans the listeners: the topology does not know it.)
func (o Override) validateWire(i int) []problem {
	var ps []problem
	add := func(field, msg string) { ps = append(ps, problem{path: []any{field}, msg: msg}) }
	if o.Profile != "" {
		p, err := wireprofile.Get(o.Profile)
		switch {
		case err != nil:
			add("profile", fmt.Sprintf("listeners[%d]: profile %q is not a wire profile (one of %s)", i, o.Profile, strings.Join(wireprofile.Names(), ", ")))
		case o.HTTP3 && !p.HTTP3:
			add("http3", fmt.Sprintf("listeners[%d]: http3 is on, but profile %s (%s) serves no HTTP/3: use profile %s for this listener, or turn http3 off", i, p.Name, p.Description, wireprofile.Modern))
		}
	}
	switch o.KnownPeers {
	case "", KnownPeersTopology, KnownPeersAny:
	default:
		add("known_peers", fmt.Sprintf("listeners[%d]: known_peers %q is not %s or %s", i, o.KnownPeers, KnownPeersTopology, KnownPeersAny))
	}
	if o.Transport == TransportUDPQUIC && (o.Profile != "" || o.KnownPeers != "") {
		add("transport", fmt.Sprintf("listeners[%d]: profile and known_peers do not apply to transport %s (a QUIC responder speaks TLS 1.3 and asks for no client certificate)", i, TransportUDPQUIC))
	}
	return ps
}
