package journal

import (
	"encoding/json"
	"reflect"
	"strconv"
	"time"

	"github.com/mockdirector/mockdirector/internal/jsonw"
)

// AppendJSON appends e as encoding/json would marshal it (same fields, order, omitempty and
// escaping), without reflection: the journal encodes one event per request, and this is about
// five times faster than json.Marshal. When the event types have changed since this encoder was
// written (a field added), it falls back to json.Marshal, so nothing is ever left out; the
// journal tests fail until the encoder is brought up to date.
func AppendJSON(b []byte, e *Event) ([]byte, error) {
	if !fastEncoding || e.Time.Before(minTime) || !e.Time.Before(maxTime) || !jsonw.Finite(e.DurationMS) {
		c := *e // a copy: only this path lets the event escape to the heap
		j, err := json.Marshal(&c)
		return append(b, j...), err
	}
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = jsonw.AppendField(b, "kind", e.Kind)
	b = jsonw.AppendField(b, "role", e.Role)
	b = jsonw.AppendField(b, "member", e.Member)
	b = jsonw.AppendField(b, "listener", e.Listener)
	b = jsonw.AppendField(b, "protocol", string(e.Protocol))
	b = append(b, `,"port":`...)
	b = strconv.AppendInt(b, int64(e.Port), 10)
	b = jsonw.AppendField(b, "transport", string(e.Transport))
	b = jsonw.AppendField(b, "local", e.Local)
	b = jsonw.AppendField(b, "remote", e.Remote)
	if t := e.TLS; t != nil {
		b = append(b, `,"tls":{`...)
		n := len(b)
		b = jsonw.AppendOmit(b, "version", t.Version)
		b = jsonw.AppendOmit(b, "cipher", t.Cipher)
		b = jsonw.AppendOmit(b, "sni", t.SNI)
		b = jsonw.AppendOmit(b, "alpn", t.ALPN)
		if c := t.ClientCert; c != nil {
			b = c.AppendJSON(append(b, `,"client_cert":`...))
		}
		b = jsonw.AppendOmit(b, "quic_version", t.QUICVersion)
		b = jsonw.CloseObject(b, n)
	}
	if h := e.HTTP; h != nil {
		b = append(b, `,"http":{"method":`...)
		b = jsonw.AppendString(b, h.Method)
		b = jsonw.AppendField(b, "path", h.Path)
		b = jsonw.AppendField(b, "host", h.Host)
		b = jsonw.AppendOmit(b, "x_forwarded_for", h.XForwardedFor)
		b = jsonw.AppendOmit(b, "user_agent", h.UserAgent)
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(h.Status), 10)
		b = append(b, '}')
	}
	if s := e.SIP; s != nil {
		b = append(b, `,"sip":{"method":`...)
		b = jsonw.AppendString(b, s.Method)
		b = jsonw.AppendOmit(b, "call_id", s.CallID)
		b = jsonw.AppendOmit(b, "from", s.From)
		b = jsonw.AppendOmit(b, "via", s.Via)
		if s.Status != 0 {
			b = append(b, `,"status":`...)
			b = strconv.AppendInt(b, int64(s.Status), 10)
		}
		b = append(b, '}')
	}
	if c := e.CLS; c != nil {
		b = append(b, `,"cls":{"banner":`...)
		b = jsonw.AppendString(b, c.Banner)
		b = append(b, `,"echoed":`...)
		b = strconv.AppendInt(b, int64(c.Echoed), 10)
		b = jsonw.AppendOmit(b, "command", c.Command)
		b = jsonw.AppendOmit(b, "reply", c.Reply)
		b = append(b, '}')
	}
	b = jsonw.AppendField(b, "outcome", string(e.Outcome))
	b = jsonw.AppendOmit(b, "reason", e.Reason)
	b = jsonw.AppendOmit(b, "code", string(e.Code))
	if e.DurationMS != 0 {
		b = append(b, `,"duration_ms":`...)
		b = jsonw.AppendFloat(b, e.DurationMS)
	}
	return append(b, '}'), nil
}

// minTime and maxTime bound the times the fast path writes: encoding/json refuses a year
// outside 0-9999 in the time's own zone, and two days inside those bounds no zone offset can
// take the year out of them. Times beyond go to encoding/json, which decides. (Two comparisons
// instead of the calendar computation of Time.Year on every event.)
var (
	minTime = time.Date(0, 1, 3, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC)
)

// encodedLayout is the layout of the event types AppendJSON was written for; fastEncoding is
// whether they still have it.
const encodedLayout = `Event{Time time.Time "time";Kind string "kind";Role string "role";Member string "member";` +
	`Listener string "listener";Protocol wire.Protocol "protocol";Port int "port";Transport wire.JournalTransport "transport";` +
	`Local string "local";Remote string "remote";TLS *journal.TLSInfo "tls,omitempty";` +
	`HTTP *journal.HTTPInfo "http,omitempty";SIP *journal.SIPInfo "sip,omitempty";CLS *journal.CLSInfo "cls,omitempty";` +
	`Outcome wire.Outcome "outcome";Reason string "reason,omitempty";Code wire.Code "code,omitempty";DurationMS float64 "duration_ms,omitempty";}` +
	`TLSInfo{Version string "version,omitempty";Cipher string "cipher,omitempty";SNI string "sni,omitempty";` +
	`ALPN string "alpn,omitempty";ClientCert *wire.CertInfo "client_cert,omitempty";QUICVersion string "quic_version,omitempty";}` +
	`CertInfo{Subject string "subject";Issuer string "issuer";Serial string "serial";Verified bool "verified";SHA256 string "sha256,omitempty";}` +
	`HTTPInfo{Method string "method";Path string "path";Host string "host";XForwardedFor string "x_forwarded_for,omitempty";` +
	`UserAgent string "user_agent,omitempty";Status int "status";}` +
	`SIPInfo{Method string "method";CallID string "call_id,omitempty";From string "from,omitempty";Via string "via,omitempty";` +
	`Status int "status,omitempty";}` +
	`CLSInfo{Banner string "banner";Echoed int "echoed";Command string "command,omitempty";Reply string "reply,omitempty";}`

// layout describes the event types' fields, names, types and JSON tags, as encodedLayout does.
func layout() string {
	return jsonw.Layout(reflect.TypeFor[Event](), reflect.TypeFor[TLSInfo](), reflect.TypeFor[CertInfo](),
		reflect.TypeFor[HTTPInfo](), reflect.TypeFor[SIPInfo](), reflect.TypeFor[CLSInfo]())
}

var fastEncoding = layout() == encodedLayout

// FastEncoding reports whether AppendJSON uses its own encoder (false: the event types changed
// and it falls back to encoding/json).
func FastEncoding() bool { return fastEncoding }
