package listeners

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

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
	b = idField(b, "role", id.Role)
	b = idField(b, "member", id.Member)
	b = idField(b, "pool", id.Pool)
	b = idField(b, "listener", id.Listener)
	b = idField(b, "protocol", id.Protocol)
	b = append(b, `,"port":`...)
	b = strconv.AppendInt(b, int64(id.Port), 10)
	b = idField(b, "local", id.Local)
	b = idField(b, "remote", id.Remote)
	b = idField(b, "remote_ip", id.RemoteIP)
	b = idOmit(b, "host", id.Host)
	b = idOmit(b, "sni", id.SNI)
	b = idOmit(b, "x_forwarded_for", id.XForwardedFor)
	b = idOmit(b, "tls_version", id.TLSVersion)
	b = idOmit(b, "alpn", id.ALPN)
	if c := id.ClientCert; c != nil {
		b = append(b, `,"client_cert":{"subject":`...)
		b = journal.AppendString(b, c.Subject)
		b = idField(b, "issuer", c.Issuer)
		b = idField(b, "serial", c.Serial)
		b = append(b, `,"verified":`...)
		b = strconv.AppendBool(b, c.Verified)
		b = append(b, '}')
	}
	b = idOmit(b, "method", id.Method)
	b = idOmit(b, "path", id.Path)
	return append(b, '}')
}

func idField(b []byte, key, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return journal.AppendString(b, v)
}

func idOmit(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return idField(b, key, v)
}

// identityLayout is the layout of Identity (and CertInfo) AppendJSON was written for.
const identityLayout = `Identity{Service string "service";Role string "role";Member string "member";Pool string "pool";` +
	`Listener string "listener";Protocol string "protocol";Port int "port";Local string "local";Remote string "remote";` +
	`RemoteIP string "remote_ip";Host string "host,omitempty";SNI string "sni,omitempty";` +
	`XForwardedFor string "x_forwarded_for,omitempty";TLSVersion string "tls_version,omitempty";ALPN string "alpn,omitempty";` +
	`ClientCert *journal.CertInfo "client_cert,omitempty";Method string "method,omitempty";Path string "path,omitempty";}` +
	`CertInfo{Subject string "subject";Issuer string "issuer";Serial string "serial";Verified bool "verified";}`

func layoutOf(types ...reflect.Type) string {
	var sb strings.Builder
	for _, t := range types {
		sb.WriteString(t.Name() + "{")
		for i := range t.NumField() {
			f := t.Field(i)
			fmt.Fprintf(&sb, "%s %s %q;", f.Name, f.Type, f.Tag.Get("json"))
		}
		sb.WriteString("}")
	}
	return sb.String()
}

var identityFast = layoutOf(reflect.TypeFor[Identity](), reflect.TypeFor[journal.CertInfo]()) == identityLayout
