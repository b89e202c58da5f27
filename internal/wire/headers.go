package wire

import (
	"net/http"
	"net/textproto"
	"strconv"
)

// Identity headers on every HTTP(S) and HTTP/3 answer of the mock.
const (
	HeaderRole       = "X-MockDirector-Role"
	HeaderMember     = "X-MockDirector-Member"
	HeaderListener   = "X-MockDirector-Listener"
	HeaderSource     = "X-MockDirector-Source"
	HeaderHost       = "X-MockDirector-Host"
	HeaderSNI        = "X-MockDirector-SNI"
	HeaderXFF        = "X-MockDirector-XFF"
	HeaderPort       = "X-MockDirector-Port"
	HeaderCertSHA256 = "X-MockDirector-Cert-SHA256"
	HeaderGuard      = "X-MockDirector-Guard"
)

// HeaderProbeHost names the prober's machine (os.Hostname) on a probe --post to the admin
// API; informational, the source address is what the admin keys results by.
const HeaderProbeHost = "X-MockDirector-Probe-Host"

// Canonical forms, so SetHeaders can fill the map directly on the hot path.
var (
	hdrRole       = textproto.CanonicalMIMEHeaderKey(HeaderRole)
	hdrMember     = textproto.CanonicalMIMEHeaderKey(HeaderMember)
	hdrListener   = textproto.CanonicalMIMEHeaderKey(HeaderListener)
	hdrSource     = textproto.CanonicalMIMEHeaderKey(HeaderSource)
	hdrHost       = textproto.CanonicalMIMEHeaderKey(HeaderHost)
	hdrSNI        = textproto.CanonicalMIMEHeaderKey(HeaderSNI)
	hdrXFF        = textproto.CanonicalMIMEHeaderKey(HeaderXFF)
	hdrPort       = textproto.CanonicalMIMEHeaderKey(HeaderPort)
	hdrCertSHA256 = textproto.CanonicalMIMEHeaderKey(HeaderCertSHA256)
	hdrGuard      = textproto.CanonicalMIMEHeaderKey(HeaderGuard)
)

// SetHeaders sets the X-MockDirector-* headers of an answer. A listener prepares its part once
// (PrepareHeaders) and calls Set on every request; this is both in one call.
func (id *Identity) SetHeaders(hd http.Header) { id.PrepareHeaders().Set(hd, id) }

// ListenerHeaders are the identity headers of one listener, prepared once: the values that do
// not change per request (role, member, listener, port, certificate, guard) as ready header
// slices. Set fills an answer's headers as SetHeaders does, for an identity of that listener.
type ListenerHeaders struct {
	role, member, listener, port, cert, guard []string
}

// PrepareHeaders prepares the listener's part of the identity headers.
func (id *Identity) PrepareHeaders() *ListenerHeaders {
	p := &ListenerHeaders{role: []string{id.Role}, member: []string{id.Member}, listener: []string{id.Listener}}
	if id.Port != 0 {
		p.port = []string{strconv.Itoa(id.Port)}
	}
	if id.CertSHA256 != "" {
		p.cert = []string{id.CertSHA256}
	}
	if id.Guard {
		p.guard = []string{"true"}
	}
	return p
}

// Set sets the X-MockDirector-* headers of an answer for id, an identity of the listener p was
// prepared for: only the source, Host, SNI and X-Forwarded-For are copied (one allocation).
func (p *ListenerHeaders) Set(hd http.Header, id *Identity) {
	v := make([]string, 4)
	v[0], v[1], v[2], v[3] = id.Remote, id.Host, id.SNI, id.XForwardedFor
	hd[hdrRole], hd[hdrMember], hd[hdrListener] = p.role, p.member, p.listener
	hd[hdrSource] = v[0:1:1]
	hd[hdrHost] = v[1:2:2]
	if id.SNI != "" {
		hd[hdrSNI] = v[2:3:3]
	}
	if id.XForwardedFor != "" {
		hd[hdrXFF] = v[3:4:4]
	}
	if p.port != nil {
		hd[hdrPort] = p.port
	}
	if p.cert != nil {
		hd[hdrCertSHA256] = p.cert
	}
	if p.guard != nil {
		hd[hdrGuard] = p.guard
	}
}

// FromHeaders reads the identity an answer's X-MockDirector-* headers carry (a shorter form of
// the JSON document: no pool, client certificate or TLS details). ok is false when the answer
// has no identity headers: not a mock.
func FromHeaders(h http.Header) (id *Identity, ok bool) {
	if h.Get(HeaderRole) == "" {
		return nil, false
	}
	id = &Identity{
		Service: ServiceName, Role: h.Get(HeaderRole), Member: h.Get(HeaderMember),
		Listener: h.Get(HeaderListener), Remote: h.Get(HeaderSource), Host: h.Get(HeaderHost),
		SNI: h.Get(HeaderSNI), XForwardedFor: h.Get(HeaderXFF), CertSHA256: h.Get(HeaderCertSHA256),
		Guard: h.Get(HeaderGuard) == "true",
	}
	id.Port, _ = strconv.Atoi(h.Get(HeaderPort))
	id.RemoteIP = HostOnly(id.Remote)
	return id, true
}
