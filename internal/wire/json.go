package wire

import (
	"encoding/json"
	"reflect"
	"strconv"

	"github.com/mockdirector/mockdirector/internal/jsonw"
)

// AppendJSON appends the identity as encoding/json marshals it, without reflection: it is the
// answer to every probe of /.well-known/mockdirector, and this is several times faster. When
// the Identity type has changed since this was written, it falls back to encoding/json (and the
// wire tests fail until this is brought up to date).
func (id *Identity) AppendJSON(b []byte) []byte {
	if !identityFast {
		j, _ := json.Marshal(id)
		return append(b, j...)
	}
	return id.AppendJSONTail(id.AppendJSONRequest(id.AppendJSONHead(b)))
}

// The identity document in three parts, for a listener that encodes the parts that do not change
// per request once: AppendJSON is AppendJSONHead, AppendJSONRequest, AppendJSONTail. Only valid
// where AppendJSON does not fall back to encoding/json (IdentityFastJSON).

// IdentityFastJSON reports whether AppendJSON encodes the parts itself (the Identity type is
// the one its encoder was written for).
func IdentityFastJSON() bool { return identityFast }

// AppendJSONHead appends `{"service":...,"port":N`: what names the listener.
func (id *Identity) AppendJSONHead(b []byte) []byte {
	b = append(b, `{"service":`...)
	b = jsonw.AppendString(b, id.Service)
	b = jsonw.AppendField(b, "role", id.Role)
	b = jsonw.AppendField(b, "member", id.Member)
	b = jsonw.AppendField(b, "pool", id.Pool)
	b = jsonw.AppendField(b, "listener", id.Listener)
	b = jsonw.AppendField(b, "protocol", id.Protocol)
	b = append(b, `,"port":`...)
	return strconv.AppendInt(b, int64(id.Port), 10)
}

// AppendJSONRequest appends the fields a connection and a request fill in: addresses, Host,
// SNI, X-Forwarded-For, TLS, the client certificate, method and path.
func (id *Identity) AppendJSONRequest(b []byte) []byte {
	b = jsonw.AppendField(b, "local", id.Local)
	b = jsonw.AppendField(b, "remote", id.Remote)
	b = jsonw.AppendField(b, "remote_ip", id.RemoteIP)
	b = jsonw.AppendOmit(b, "host", id.Host)
	b = jsonw.AppendOmit(b, "sni", id.SNI)
	b = jsonw.AppendOmit(b, "x_forwarded_for", id.XForwardedFor)
	b = jsonw.AppendOmit(b, "tls_version", id.TLSVersion)
	b = jsonw.AppendOmit(b, "alpn", id.ALPN)
	if c := id.ClientCert; c != nil {
		b = c.AppendJSON(append(b, `,"client_cert":`...))
	}
	b = jsonw.AppendOmit(b, "method", id.Method)
	return jsonw.AppendOmit(b, "path", id.Path)
}

// AppendJSONTail appends the served certificate, the guard mark, the listening ports and the
// closing brace.
func (id *Identity) AppendJSONTail(b []byte) []byte {
	b = jsonw.AppendOmit(b, "cert_sha256", id.CertSHA256)
	if id.Guard {
		b = append(b, `,"guard":true`...)
	}
	if len(id.Listening) > 0 {
		b = append(b, `,"listening":[`...)
		for i, l := range id.Listening {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, l)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// AppendJSON appends the certificate as encoding/json marshals it.
func (c *CertInfo) AppendJSON(b []byte) []byte {
	b = append(b, `{"subject":`...)
	b = jsonw.AppendString(b, c.Subject)
	b = jsonw.AppendField(b, "issuer", c.Issuer)
	b = jsonw.AppendField(b, "serial", c.Serial)
	b = append(b, `,"verified":`...)
	b = strconv.AppendBool(b, c.Verified)
	b = jsonw.AppendOmit(b, "sha256", c.SHA256)
	return append(b, '}')
}

// DecodeJSON reads an identity from a JSON body: the well-known document itself, or an answer
// that carries it under "_mockdirector" (the autodiscover JSON). ok is false when the body is
// not a mock's identity.
func DecodeJSON(body []byte) (id *Identity, ok bool) {
	var direct Identity
	if json.Unmarshal(body, &direct) == nil && direct.Service == ServiceName {
		return &direct, true
	}
	var wrapped struct {
		ID Identity `json:"_mockdirector"`
	}
	if json.Unmarshal(body, &wrapped) == nil && wrapped.ID.Service == ServiceName {
		return &wrapped.ID, true
	}
	return nil, false
}

// WrappedKey is the field under which a JSON answer other than the well-known document (the
// autodiscover answer) carries the identity.
const WrappedKey = "_mockdirector"

// identityLayout is the layout of Identity (and CertInfo) AppendJSON was written for.
const identityLayout = `Identity{Service string "service";Role string "role";Member string "member";Pool string "pool";` +
	`Listener string "listener";Protocol string "protocol";Port int "port";Local string "local";Remote string "remote";` +
	`RemoteIP string "remote_ip";Host string "host,omitempty";SNI string "sni,omitempty";` +
	`XForwardedFor string "x_forwarded_for,omitempty";TLSVersion string "tls_version,omitempty";ALPN string "alpn,omitempty";` +
	`ClientCert *wire.CertInfo "client_cert,omitempty";Method string "method,omitempty";Path string "path,omitempty";` +
	`CertSHA256 string "cert_sha256,omitempty";Guard bool "guard,omitempty";Listening []string "listening,omitempty";}` +
	`CertInfo{Subject string "subject";Issuer string "issuer";Serial string "serial";Verified bool "verified";SHA256 string "sha256,omitempty";}`

var identityFast = jsonw.Layout(reflect.TypeFor[Identity](), reflect.TypeFor[CertInfo]()) == identityLayout
