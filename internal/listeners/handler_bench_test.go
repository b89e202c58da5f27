package listeners

import (
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// benchWriter is the least a ResponseWriter can be: a header map cleared per request (net/http
// makes a fresh one per response) and a body that is dropped.
type benchWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }
func (w *benchWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// benchRequest is a keep-alive GET of the identity document over TLS 1.2, as wrk sends it.
func benchRequest(b *testing.B) *http.Request {
	r, err := http.NewRequest(http.MethodGet, "https://192.0.2.10:443"+wire.WellKnownPath, nil)
	if err != nil {
		b.Fatal(err)
	}
	r.RemoteAddr, r.Host = "127.0.0.1:51234", "192.0.2.10:443"
	r.RequestURI = wire.WellKnownPath
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, ServerName: "pool01.contoso.com", HandshakeComplete: true}
	ws := &watchState{local: "192.0.2.10:443"}
	return r.WithContext(context.WithValue(r.Context(), watchKey{}, ws))
}

func benchSpec() Spec {
	return Spec{Role: "director", Member: "dir01.contoso.com", Pool: "dirpool.contoso.com", Name: ListenerName(wire.ProtoHTTPS, 443),
		Protocol: wire.ProtoHTTPS, Port: 443, Addr: "127.0.0.1:0"}
}

// BenchmarkWebHandler is one identity-document answer through the HTTPS handler (headers,
// body, journal event), journal discarded: the mock's own work per request beside net/http's.
func BenchmarkWebHandler(b *testing.B) {
	benchHandler(b, journal.Discard)
}

// BenchmarkWebHandlerJournal is BenchmarkWebHandler with a real journal file (group commit).
func BenchmarkWebHandlerJournal(b *testing.B) {
	w, err := journal.Open(filepath.Join(b.TempDir(), "j.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	benchHandler(b, w)
}

func benchHandler(b *testing.B, rec journal.Recorder) {
	h := newWebHandler(benchSpec(), Env{Journal: rec})
	h.certSHA256 = "4f2a9c1e0b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e"
	r := benchRequest(b)
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
	if w.status != http.StatusOK || w.n == 0 {
		b.Fatalf("answered %d with %d bytes", w.status, w.n)
	}
}
