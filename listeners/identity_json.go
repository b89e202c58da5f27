package listeners

import (
	"encoding/json"
	"reflect"
	"strconv"

	"github.com/mockdirector/mockdirector/journal"
)

// AppendJSON appends the identity as encoding/json marshals it, without reflection: it is the
// answer to every probe of /.well-known/mockdirector, and this is several times faster. When the
// Identity type has changed since this was written, it falls back to encoding/json (and the
// listeners tests fail until this is brought up to date).
func (id *Identity) AppendJSON(b []byte) []byte {
	if !identityFast {
		j, _ := json.Marshal(id)
		return append(b, j...)
	}
	b = append(b, `{"service":`...)
	b = journal.AppendString(b, id.Service)
	b = journal.AppendField(b, "role", id.Role)
	b = journal.AppendField(b, "member", id.Member)
	b = journal.AppendField(b, "pool", id.Pool)
	b = journal.AppendField(b, "listener", id.Listener)
	b = journal.AppendField(b, "protocol", id.Protocol)
	b = append(b, `,"port":`...)
	b = strconv.AppendInt(b, int64(id.Port), 10)
	b = journal.AppendField(b, "local", id.Local)
	b = journal.AppendField(b, "remote", id.Remote)
	b = journal.AppendField(b, "remote_ip", id.RemoteIP)
	b = journal.AppendOmit(b, "host", id.Host)
	b = journal.AppendOmit(b, "sni", id.SNI)
	b = journal.AppendOmit(b, "x_forwarded_for", id.XForwardedFor)
	b = journal.AppendOmit(b, "tls_version", id.TLSVersion)
	b = journal.AppendOmit(b, "alpn", id.ALPN)
	if c := id.ClientCert; c != nil {
		b = append(b, `,"client_cert":{"subject":`...)
		b = journal.AppendString(b, c.Subject)
		b = journal.AppendField(b, "issuer", c.Issuer)
		b = journal.AppendField(b, "serial", c.Serial)
		b = append(b, `,"verified":`...)
		b = strconv.AppendBool(b, c.Verified)
		b = append(b, '}')
	}
	b = journal.AppendOmit(b, "method", id.Method)
	b = journal.AppendOmit(b, "path", id.Path)
	return append(b, '}')
}

// identityLayout is the layout of Identity (and CertInfo) AppendJSON was written for.
const identityLayout = `Identity{Service string "service";Role string "role";Member string "member";Pool string "pool";` +
	`Listener string "listener";Protocol string "protocol";Port int "port";Local string "local";Remote string "remote";` +
	`RemoteIP string "remote_ip";Host string "host,omitempty";SNI string "sni,omitempty";` +
	`XForwardedFor string "x_forwarded_for,omitempty";TLSVersion string "tls_version,omitempty";ALPN string "alpn,omitempty";` +
	`ClientCert *journal.CertInfo "client_cert,omitempty";Method string "method,omitempty";Path string "path,omitempty";}` +
	`CertInfo{Subject string "subject";Issuer string "issuer";Serial string "serial";Verified bool "verified";}`

var identityFast = journal.Layout(reflect.TypeFor[Identity](), reflect.TypeFor[journal.CertInfo]()) == identityLayout
