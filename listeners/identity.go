package listeners

import "github.com/mockdirector/mockdirector/internal/wire"

// Identity is the mock's identity as it crosses the wire (see internal/wire).
type Identity = wire.Identity

// ServiceName and the other names below are the wire package's, kept here while callers move.
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
)

func hostOnly(addr string) string { return wire.HostOnly(addr) }
