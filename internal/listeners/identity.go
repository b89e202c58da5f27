package listeners

import "github.com/mockdirector/mockdirector/internal/wire"

// identity is what the listener of spec says about itself, before what it saw of a connection
// (source, Host, SNI ...) is filled in; certSHA256 is the leaf it serves.
func (s Spec) identity(certSHA256 string) *wire.Identity {
	return &wire.Identity{
		Service: wire.ServiceName, Role: s.Role, Member: s.Member, Pool: s.Pool,
		Listener: s.Name, Protocol: string(s.Protocol), Port: s.Port,
		CertSHA256: certSHA256, Guard: s.Guard,
	}
}
