package wire

import (
	"strings"
)

// CLSBannerPrefix starts the first line the mock's CLS listener sends after the handshake:
//
//	MOCKDIRECTOR-CLS/1 role=<role> member=<member> listener=<name> port=<port> source=<ip:port> cert=<sha256>
//
// then the line protocol: PING <token> -> PONG <token>, QUIT -> BYE (and the mock closes).
const CLSBannerPrefix = "MOCKDIRECTOR-CLS/1"

// CLS line protocol words.
const (
	CLSPing = "PING"
	CLSPong = "PONG"
	CLSQuit = "QUIT"
	CLSBye  = "BYE"
	CLSErr  = "ERR"
)

// CLSBanner is the banner line (without CRLF).
func (id *Identity) CLSBanner() string {
	var b strings.Builder
	b.WriteString(CLSBannerPrefix)
	for _, kv := range id.shortFields() {
		b.WriteString(" " + kv[0] + "=" + kv[1])
	}
	return b.String()
}

// ParseCLSBanner reads the identity of a banner line. ok is false when the line is not the
// mock's banner.
func ParseCLSBanner(line string) (id *Identity, ok bool) {
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != CLSBannerPrefix {
		return nil, false
	}
	id = &Identity{Service: ServiceName, Protocol: string(ProtoCLSMTLS)}
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		id.set(k, v)
	}
	return id, true
}
