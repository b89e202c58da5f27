package listeners

import (
	"bytes"
	"net/http"

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
	headers *wire.ListenerHeaders
	// jsonHead is `{"service":...,"port":N` and jsonTail `,"cert_sha256":...}`; fast says the
	// split encoding was checked against wire's AppendJSON (else every document is encoded whole).
	jsonHead, jsonTail []byte
	fast               bool
}

func newListenerIdentity(spec Spec, certSHA256 string) *listenerIdentity {
	t := spec.identity(certSHA256)
	li := &listenerIdentity{headers: t.PrepareHeaders()}
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
func (li *listenerIdentity) setHeaders(hd http.Header, id *wire.Identity) { li.headers.Set(hd, id) }

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
