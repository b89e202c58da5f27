package listeners

import (
	"bytes"
	"net/http"
	"net/textproto"
	"strconv"

	"github.com/mockdirector/mockdirector/internal/wire"
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

// listenerIdentity is what the answers of one listener say about it on every request,
// prepared once: the identity headers' values that do not change (role, member, listener,
// port, certificate, guard) as ready header slices, and the identity document's fields before
// and after what a request changes, already encoded. Only the source, Host, SNI, TLS and the
// path are encoded per request.
type listenerIdentity struct {
	role, member, listener, port, cert, guard []string
	// jsonHead is `{"service":...,"port":N` and jsonTail `,"cert_sha256":...}`; fast says the
	// split encoding was checked against wire's AppendJSON (else every document is encoded whole).
	jsonHead, jsonTail []byte
	fast               bool
}

// Canonical header keys of the identity headers, so the hot path fills the map directly.
var (
	hdrRole       = textproto.CanonicalMIMEHeaderKey(wire.HeaderRole)
	hdrMember     = textproto.CanonicalMIMEHeaderKey(wire.HeaderMember)
	hdrListener   = textproto.CanonicalMIMEHeaderKey(wire.HeaderListener)
	hdrSource     = textproto.CanonicalMIMEHeaderKey(wire.HeaderSource)
	hdrHost       = textproto.CanonicalMIMEHeaderKey(wire.HeaderHost)
	hdrSNI        = textproto.CanonicalMIMEHeaderKey(wire.HeaderSNI)
	hdrXFF        = textproto.CanonicalMIMEHeaderKey(wire.HeaderXFF)
	hdrPort       = textproto.CanonicalMIMEHeaderKey(wire.HeaderPort)
	hdrCertSHA256 = textproto.CanonicalMIMEHeaderKey(wire.HeaderCertSHA256)
	hdrGuard      = textproto.CanonicalMIMEHeaderKey(wire.HeaderGuard)
)

func newListenerIdentity(spec Spec, certSHA256 string) *listenerIdentity {
	t := spec.identity(certSHA256)
	li := &listenerIdentity{role: []string{t.Role}, member: []string{t.Member}, listener: []string{t.Listener}}
	if t.Port != 0 {
		li.port = []string{strconv.Itoa(t.Port)}
	}
	if t.CertSHA256 != "" {
		li.cert = []string{t.CertSHA256}
	}
	if t.Guard {
		li.guard = []string{"true"}
	}
	li.jsonHead = t.AppendJSONHead(nil)
	t.Listening = nil // a document with listening ports is encoded whole (appendJSON)
	li.jsonTail = t.AppendJSONTail(nil)
	// The split is used only when it encodes what wire does, for an identity with every field a
	// request fills in (an Identity field added since would show here).
	s := spec.identity(certSHA256)
	s.Local, s.Remote, s.RemoteIP, s.Host, s.SNI, s.XForwardedFor = "192.0.2.1:443", "198.51.100.7:5123", "198.51.100.7", "h<", "sni", "203.0.113.1"
	s.TLSVersion, s.ALPN, s.Method, s.Path = "TLS 1.2", "http/1.1", "GET", "/p?q=\"1\""
	s.ClientCert = &wire.CertInfo{Subject: "CN=a", Issuer: "CN=b", Serial: "1f", Verified: true}
	li.fast = wire.IdentityFastJSON() && bytes.Equal(li.appendJSON(nil, s), s.AppendJSON(nil))
	return li
}

// setHeaders sets the X-MockDirector-* headers of an answer as wire's Identity.SetHeaders does,
// for an identity of this listener.
func (li *listenerIdentity) setHeaders(hd http.Header, id *wire.Identity) {
	v := make([]string, 4)
	v[0], v[1], v[2], v[3] = id.Remote, id.Host, id.SNI, id.XForwardedFor
	hd[hdrRole], hd[hdrMember], hd[hdrListener] = li.role, li.member, li.listener
	hd[hdrSource] = v[0:1:1]
	hd[hdrHost] = v[1:2:2]
	if id.SNI != "" {
		hd[hdrSNI] = v[2:3:3]
	}
	if id.XForwardedFor != "" {
		hd[hdrXFF] = v[3:4:4]
	}
	if li.port != nil {
		hd[hdrPort] = li.port
	}
	if li.cert != nil {
		hd[hdrCertSHA256] = li.cert
	}
	if li.guard != nil {
		hd[hdrGuard] = li.guard
	}
}

// appendJSON appends the identity document of id, an identity of this listener, as wire's
// Identity.AppendJSON does.
func (li *listenerIdentity) appendJSON(b []byte, id *wire.Identity) []byte {
	if !li.fast || len(id.Listening) > 0 {
		return id.AppendJSON(b)
	}
	b = append(b, li.jsonHead...)
	b = id.AppendJSONRequest(b)
	return append(b, li.jsonTail...)
}
