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
	var parts []string
	for _, kv := range id.shortFields() {
		parts = append(parts, kv[0]+"="+kv[1])
	}
	return strings.Join(parts, ";")
}

// shortFields are the key=value fields the SIP header and the CLS banner carry (set reads them
// back): who answered, the source it saw, the leaf it serves, whether it is a guard.
func (id *Identity) shortFields() [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	add("role", id.Role)
	add("member", id.Member)
	add("listener", id.Listener)
	if id.Port != 0 {
		add("port", strconv.Itoa(id.Port))
	}
	add("source", id.Remote)
	add("cert", id.CertSHA256)
	if id.Guard {
		add("guard", "true")
	}
	return out
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
