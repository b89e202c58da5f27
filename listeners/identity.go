package listeners

import "github.com/mockdirector/mockdirector/internal/wire"

// Identity is the mock's identity as it crosses the wire (see internal/wire).
//
// Deprecated: use wire.Identity. The names below are the wire package's, kept while callers
// outside listeners move (the prober, the benchmarks, the lab).
type Identity = wire.Identity

// Deprecated aliases of wire's names.
const (
	ServiceName   = wire.ServiceName
	WellKnownPath = wire.WellKnownPath

	HeaderRole     = wire.HeaderRole
	HeaderMember   = wire.HeaderMember
	HeaderListener = wire.HeaderListener
	HeaderSource   = wire.HeaderSource
	HeaderHost     = wire.HeaderHost
	HeaderSNI      = wire.HeaderSNI
	HeaderXFF      = wire.HeaderXFF

	// HeaderSIPIdentity is wire.HeaderSIP.
	HeaderSIPIdentity = wire.HeaderSIP
	// CLSBannerPrefix is wire.CLSBannerPrefix.
	CLSBannerPrefix = wire.CLSBannerPrefix
	// ProtoUDPQUIC is wire.ProtoUDPQUIC.
	ProtoUDPQUIC = wire.ProtoUDPQUIC
)

// identity is what the listener of spec says about itself, before what it saw of a connection
// (source, Host, SNI ...) is filled in; certSHA256 is the leaf it serves.
func (s Spec) identity(certSHA256 string) *wire.Identity {
	return &wire.Identity{
		Service: wire.ServiceName, Role: s.Role, Member: s.Member, Pool: s.Pool,
		Listener: s.Name, Protocol: string(s.Protocol), Port: s.Port,
		CertSHA256: certSHA256, Guard: s.Guard,
	}
}
