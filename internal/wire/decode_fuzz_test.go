package wire_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// FuzzDecoders feeds one input to every identity decoder the prober trusts (the JSON document,
// the QUIC line, the SIP header, the CLS banner and the HTTP headers). None may panic, and
// whatever one of them accepts must survive its own encoder: decode(encode(decode(x))) is
// decode(x). A decoder that reads something its encoder writes differently would let a prober
// judge a row on a field the mock never sent.
func FuzzDecoders(f *testing.F) {
	id := wire.Identity{
		Service: wire.ServiceName, Role: "director", Member: "dir01.contoso.local", Listener: "sip-mtls-5061",
		Protocol: "sip-mtls", Port: 5061, Remote: "198.51.100.20:51234", RemoteIP: "198.51.100.20",
		CertSHA256: "0123abcd", Guard: true, Listening: []string{"tcp/443", "udp/443"},
	}
	f.Add(id.AppendJSON(nil))
	f.Add(id.QUICLine())
	f.Add([]byte(id.SIPValue()))
	f.Add([]byte(id.CLSBanner()))
	f.Add([]byte(`{"AccessLocation":"Internal","_mockdirector":` + string(id.AppendJSON(nil)) + `}`))
	f.Add([]byte(wire.CLSBannerPrefix + " role=a=b member= port=-1 port=99999999999999999999 guard=maybe"))
	f.Add([]byte(`{"service":"mockdirector","port":1e400,"listening":[null,1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, ok := wire.DecodeJSON(b); ok {
			again, ok := wire.DecodeJSON(got.AppendJSON(nil))
			if !ok || !same(again, got) {
				t.Fatalf("JSON identity does not survive its encoder:\n in  %q\n got %+v\n again %+v (ok %v)", b, got, again, ok)
			}
		}
		if got, ok := wire.ParseQUICLine(b); ok {
			again, ok := wire.ParseQUICLine(got.QUICLine())
			if !ok || !same(again, got) {
				t.Fatalf("QUIC identity line does not survive its encoder:\n in  %q\n got %+v\n again %+v (ok %v)", b, got, again, ok)
			}
		}
		s := string(b)
		if got, ok := wire.ParseCLSBanner(s); ok {
			again, ok := wire.ParseCLSBanner(got.CLSBanner())
			if !ok || !same(again, got) {
				t.Fatalf("CLS banner does not survive its encoder:\n in  %q\n got %+v\n again %+v (ok %v)", s, got, again, ok)
			}
		}
		if got, ok := wire.ParseSIP(s); ok {
			again, ok := wire.ParseSIP(got.SIPValue())
			if !ok || !same(again, got) {
				t.Fatalf("SIP identity header does not survive its encoder:\n in  %q\n got %+v\n again %+v (ok %v)", s, got, again, ok)
			}
		}
		h := http.Header{}
		for _, k := range []string{wire.HeaderRole, wire.HeaderMember, wire.HeaderPort, wire.HeaderSource, wire.HeaderGuard} {
			h.Set(k, s)
		}
		wire.FromHeaders(h)
	})
}

// same compares two decoded identities; an empty list and no list say the same.
func same(a, b *wire.Identity) bool {
	x, y := *a, *b
	if len(x.Listening) == 0 {
		x.Listening = nil
	}
	if len(y.Listening) == 0 {
		y.Listening = nil
	}
	return reflect.DeepEqual(x, y)
}
