package wire

import (
	"strconv"
	"strings"
)

// HeaderSIP carries the identity on every SIP answer of the mock:
//
//	X-MockDirector: role=director;member=dir01;listener=sip-mtls-5061;port=5061;source=192.0.2.10:51234;cert=<sha256>
const HeaderSIP = "X-MockDirector"

// SIPValue is the value of the X-MockDirector header of a SIP answer.
func (id *Identity) SIPValue() string {
	var b strings.Builder
	kv := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	kv("role", id.Role)
	kv("member", id.Member)
	kv("listener", id.Listener)
	if id.Port != 0 {
		kv("port", strconv.Itoa(id.Port))
	}
	kv("source", id.Remote)
	kv("cert", id.CertSHA256)
	if id.Guard {
		kv("guard", "true")
	}
	return b.String()
}

// ParseSIP reads the identity of an X-MockDirector header value. ok is false when the value
// names no role: not a mock's.
func ParseSIP(v string) (id *Identity, ok bool) {
	id = &Identity{Service: ServiceName, Protocol: string(ProtoSIPMTLS)}
	for kv := range strings.SplitSeq(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
		id.set(k, val)
	}
	return id, id.Role != ""
}

// set assigns one key=value field of the SIP header or the CLS banner.
func (id *Identity) set(k, v string) {
	switch k {
	case "role":
		id.Role = v
	case "member":
		id.Member = v
	case "listener":
		id.Listener = v
	case "port":
		id.Port, _ = strconv.Atoi(v)
	case "source":
		id.Remote = v
		id.RemoteIP = HostOnly(v)
	case "cert":
		id.CertSHA256 = v
	case "guard":
		id.Guard = v == "true"
	}
}
