package listeners

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// The identity prepared per listener says exactly what wire's Identity encoders say, for
// listeners with and without a certificate, guards, and requests with and without the optional
// fields (including characters JSON escapes).
func TestListenerIdentityMatchesWire(t *testing.T) {
	specs := []Spec{
		{Role: "director", Member: "dir01.contoso.com", Pool: "dirpool.contoso.com", Name: "https-443", Protocol: wire.ProtoHTTPS, Port: 443},
		{Role: "edge-int", Member: "edge<01>&", Pool: "p\"ool", Name: "guard-http-80", Protocol: wire.ProtoHTTP, Port: 80, Guard: true},
		{Role: "fe", Member: "fe01", Name: "x", Protocol: wire.ProtoHTTP},
	}
	requests := []func(*wire.Identity){
		func(*wire.Identity) {},
		func(id *wire.Identity) {
			id.Local, id.Remote, id.RemoteIP, id.Host = "127.0.0.1:443", "127.0.0.1:5000", "127.0.0.1", "pool.contoso.com"
			id.Method, id.Path = "GET", wire.WellKnownPath
		},
		func(id *wire.Identity) {
			id.Local, id.Remote, id.RemoteIP, id.Host, id.SNI, id.XForwardedFor = "[::1]:443", "[::1]:5000", "::1", "h\u2028<x>", "sni.contoso.com", "203.0.113.9, 198.51.100.1"
			id.TLSVersion, id.ALPN, id.Method, id.Path = "TLS 1.2", "http/1.1", "POST", "/a?b=\"c\"&d=\xff"
			id.ClientCert = &wire.CertInfo{Subject: "CN=edge01-int", Issuer: "CN=ca", Serial: "0a", Verified: true, SHA256: "ab"}
		},
	}
	for _, spec := range specs {
		for _, cert := range []string{"", "4f2a9c"} {
			li := newListenerIdentity(spec, cert)
			if !li.fast {
				t.Fatalf("%s: the prepared identity document does not match wire's encoder", spec.Name)
			}
			for i, fill := range requests {
				id := spec.identity(cert)
				fill(id)
				if got, want := string(li.appendJSON(nil, id)), string(id.AppendJSON(nil)); got != want {
					t.Errorf("%s cert %q request %d: document\n got %s\nwant %s", spec.Name, cert, i, got, want)
				}
				got, want := http.Header{}, http.Header{}
				li.setHeaders(got, id)
				id.SetHeaders(want)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s cert %q request %d: headers\n got %v\nwant %v", spec.Name, cert, i, got, want)
				}
			}
		}
	}
}
