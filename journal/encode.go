package journal

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AppendJSON appends e as encoding/json would marshal it (same fields, order, omitempty and
// escaping), without reflection: the journal encodes one event per request, and this is about
// five times faster than json.Marshal. When the event types have changed since this encoder was
// written (a field added), it falls back to json.Marshal, so nothing is ever left out; the
// journal tests fail until the encoder is brought up to date.
func AppendJSON(b []byte, e *Event) ([]byte, error) {
	if !fastEncoding || e.Time.Year() < 0 || e.Time.Year() > 9999 || !finite(e.DurationMS) {
		c := *e // a copy: only this path lets the event escape to the heap
		j, err := json.Marshal(&c)
		return append(b, j...), err
	}
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendField(b, "kind", e.Kind)
	b = appendField(b, "role", e.Role)
	b = appendField(b, "member", e.Member)
	b = appendField(b, "listener", e.Listener)
	b = appendField(b, "protocol", e.Protocol)
	b = append(b, `,"port":`...)
	b = strconv.AppendInt(b, int64(e.Port), 10)
	b = appendField(b, "transport", e.Transport)
	b = appendField(b, "local", e.Local)
	b = appendField(b, "remote", e.Remote)
	if t := e.TLS; t != nil {
		b = append(b, `,"tls":{`...)
		n := len(b)
		b = appendOmit(b, "version", t.Version)
		b = appendOmit(b, "cipher", t.Cipher)
		b = appendOmit(b, "sni", t.SNI)
		b = appendOmit(b, "alpn", t.ALPN)
		if c := t.ClientCert; c != nil {
			b = append(b, `,"client_cert":{"subject":`...)
			b = appendString(b, c.Subject)
			b = appendField(b, "issuer", c.Issuer)
			b = appendField(b, "serial", c.Serial)
			b = append(b, `,"verified":`...)
			b = strconv.AppendBool(b, c.Verified)
			b = append(b, '}')
		}
		b = appendOmit(b, "quic_version", t.QUICVersion)
		b = closeObject(b, n)
	}
	if h := e.HTTP; h != nil {
		b = append(b, `,"http":{"method":`...)
		b = appendString(b, h.Method)
		b = appendField(b, "path", h.Path)
		b = appendField(b, "host", h.Host)
		b = appendOmit(b, "x_forwarded_for", h.XForwardedFor)
		b = appendOmit(b, "user_agent", h.UserAgent)
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(h.Status), 10)
		b = append(b, '}')
	}
	if s := e.SIP; s != nil {
		b = append(b, `,"sip":{"method":`...)
		b = appendString(b, s.Method)
		b = appendOmit(b, "call_id", s.CallID)
		b = appendOmit(b, "from", s.From)
		b = appendOmit(b, "via", s.Via)
		if s.Status != 0 {
			b = append(b, `,"status":`...)
			b = strconv.AppendInt(b, int64(s.Status), 10)
		}
		b = append(b, '}')
	}
	if c := e.CLS; c != nil {
		b = append(b, `,"cls":{"banner":`...)
		b = appendString(b, c.Banner)
		b = append(b, `,"echoed":`...)
		b = strconv.AppendInt(b, int64(c.Echoed), 10)
		b = append(b, '}')
	}
	b = appendField(b, "outcome", e.Outcome)
	b = appendOmit(b, "reason", e.Reason)
	if e.DurationMS != 0 {
		b = append(b, `,"duration_ms":`...)
		b = appendFloat(b, e.DurationMS)
	}
	return append(b, '}'), nil
}

// appendField appends ,"key":"value".
func appendField(b []byte, key, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

// appendOmit is appendField for an omitempty field.
func appendOmit(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendField(b, key, v)
}

// closeObject ends an object whose fields (all optional) started at n with a comma each: the
// first comma goes.
func closeObject(b []byte, n int) []byte {
	if len(b) > n {
		copy(b[n:], b[n+1:])
		b = b[:len(b)-1]
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s quoted the way encoding/json does (HTML-safe, invalid UTF-8 replaced).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendFloat formats f as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// encodedLayout is the layout of the event types AppendJSON was written for; fastEncoding is
// whether they still have it.
const encodedLayout = `Event{Time time.Time "time";Kind string "kind";Role string "role";Member string "member";` +
	`Listener string "listener";Protocol string "protocol";Port int "port";Transport string "transport";` +
	`Local string "local";Remote string "remote";TLS *journal.TLSInfo "tls,omitempty";` +
	`HTTP *journal.HTTPInfo "http,omitempty";SIP *journal.SIPInfo "sip,omitempty";CLS *journal.CLSInfo "cls,omitempty";` +
	`Outcome string "outcome";Reason string "reason,omitempty";DurationMS float64 "duration_ms,omitempty";}` +
	`TLSInfo{Version string "version,omitempty";Cipher string "cipher,omitempty";SNI string "sni,omitempty";` +
	`ALPN string "alpn,omitempty";ClientCert *journal.CertInfo "client_cert,omitempty";QUICVersion string "quic_version,omitempty";}` +
	`CertInfo{Subject string "subject";Issuer string "issuer";Serial string "serial";Verified bool "verified";}` +
	`HTTPInfo{Method string "method";Path string "path";Host string "host";XForwardedFor string "x_forwarded_for,omitempty";` +
	`UserAgent string "user_agent,omitempty";Status int "status";}` +
	`SIPInfo{Method string "method";CallID string "call_id,omitempty";From string "from,omitempty";Via string "via,omitempty";` +
	`Status int "status,omitempty";}` +
	`CLSInfo{Banner string "banner";Echoed int "echoed";}`

// layout describes the event types' fields, names, types and JSON tags, as encodedLayout does.
func layout() string {
	return Layout(reflect.TypeFor[Event](), reflect.TypeFor[TLSInfo](), reflect.TypeFor[CertInfo](),
		reflect.TypeFor[HTTPInfo](), reflect.TypeFor[SIPInfo](), reflect.TypeFor[CLSInfo]())
}

// Layout describes struct types by their fields' names, types and JSON tags, so a hand-written
// encoder can tell whether the types it was written for have changed since.
func Layout(types ...reflect.Type) string {
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

var fastEncoding = layout() == encodedLayout

// FastEncoding reports whether AppendJSON uses its own encoder (false: the event types changed
// and it falls back to encoding/json).
func FastEncoding() bool { return fastEncoding }

// AppendString appends s as a JSON string, quoted and escaped exactly as encoding/json does
// (HTML-safe, invalid UTF-8 replaced), for other hand-written encoders on hot paths.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }

// AppendField appends ,"key":"value" (value escaped as AppendString does).
func AppendField(b []byte, key, v string) []byte { return appendField(b, key, v) }

// AppendOmit is AppendField for an omitempty field: nothing when v is empty.
func AppendOmit(b []byte, key, v string) []byte { return appendOmit(b, key, v) }
