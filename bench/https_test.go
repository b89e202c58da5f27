package bench

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// The benchmark binds 127.0.10.90 (mock) and 127.0.10.91 (bare), on ephemeral ports.
const (
	mockHost   = "127.0.10.90"
	bareHost   = "127.0.10.91"
	serverName = "dir-pool.contoso.local"
)

// fixture is the certificate both servers use and the client trust.
type fixture struct {
	server *certs.Identity
	roots  *tls.Config
}

func newFixture(b *testing.B) fixture {
	dir := b.TempDir()
	if _, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir}); err != nil {
		b.Fatal(err)
	}
	id, err := certs.LoadFromDir(dir, "dir01.contoso.local")
	if err != nil {
		b.Fatal(err)
	}
	return fixture{server: id, roots: &tls.Config{RootCAs: id.Roots, ServerName: serverName}}
}

// startMock serves one mock HTTPS listener with the journal in a real file; it returns the URL
// of the identity and the journal writer.
func startMock(b *testing.B, fx fixture) (string, *journal.Writer) {
	w, err := journal.Open(filepath.Join(b.TempDir(), "journal.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	return startMockWith(b, fx, w), w
}

// startMockWith serves one mock HTTPS listener journaling to rec.
func startMockWith(b *testing.B, fx fixture, rec journal.Recorder) string {
	spec := listeners.Spec{Role: scenarios.RoleDirector, Member: "dir01.contoso.local", Pool: serverName,
		Name: listeners.ListenerName(wire.ProtoHTTPS, 4443), Protocol: wire.ProtoHTTPS, Port: 4443,
		Addr: net.JoinHostPort(mockHost, "0")}
	g, err := listeners.Bind([]listeners.Spec{spec}, listeners.Env{TLS: fx.server, Journal: rec})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
		if c, ok := rec.(interface{ Close() error }); ok {
			c.Close()
		}
	})
	return "https://" + g.Listeners[0].Addr().String() + wire.WellKnownPath
}

// startBare serves a plain net/http TLS server with the same certificate, answering the same
// bytes the mock answers (its identity headers and a body of the same size, made once), so the
// figure compares what the mock does per request, not the size of its answer.
func startBare(b *testing.B, fx fixture) string {
	body, _ := json.Marshal(wire.Identity{Service: wire.ServiceName, Role: "director",
		Member: "dir01.contoso.local", Pool: serverName, Listener: "https-4443", Protocol: "https", Port: 4443,
		Local: "127.0.10.90:40000", Remote: "127.0.0.1:50000", RemoteIP: "127.0.0.1", Host: "127.0.10.90:40000",
		SNI: serverName, TLSVersion: "TLS 1.3", ALPN: "http/1.1", Method: "GET", Path: wire.WellKnownPath})
	body = append(body, '\n')
	headers := http.Header{}
	for k, v := range map[string]string{
		wire.HeaderRole: "director", wire.HeaderMember: "dir01.contoso.local", wire.HeaderListener: "https-4443",
		wire.HeaderSource: "127.0.0.1:50000", wire.HeaderHost: "127.0.10.90:40000", wire.HeaderSNI: serverName,
		"Server": "Microsoft-IIS/8.5 (mockdirector)", "Content-Type": "application/json",
	} {
		headers.Set(k, v)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bareHost, "0"))
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hd := w.Header()
			for k, v := range headers {
				hd[k] = v
			}
			w.Write(body)
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{fx.server.Cert}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"h2", "http/1.1"}},
	}
	go srv.ServeTLS(ln, "", "")
	b.Cleanup(func() { srv.Close() })
	return "https://" + ln.Addr().String() + wire.WellKnownPath
}

// client is the same keep-alive client for both servers: HTTP/1.1 only, or h2.
func client(fx fixture, h2 bool) *http.Client {
	tr := &http.Transport{TLSClientConfig: fx.roots.Clone(), MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	if h2 {
		tr.ForceAttemptHTTP2 = true
	} else {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: tr}
}

func load(b *testing.B, cl *http.Client, url string) {
	// Warm the connections up so handshakes stay out of the figure.
	for range 4 {
		get(b, cl, url)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get(b, cl, url)
		}
	})
}

func get(b *testing.B, cl *http.Client, url string) {
	res, err := cl.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("status %d", res.StatusCode)
	}
}

// BenchmarkHTTPS runs the same keep-alive GET load, with the same client and parallelism,
// against a bare net/http TLS server and a mock HTTPS listener that journals every request to a
// file before it answers. Compare mock ns/op with bare ns/op of the same protocol.
func BenchmarkHTTPS(b *testing.B) {
	fx := newFixture(b)
	bare := startBare(b, fx)
	mock, w := startMock(b, fx)
	for _, proto := range []struct {
		name string
		h2   bool
	}{{"h1", false}, {"h2", true}} {
		b.Run(proto.name+"/bare", func(b *testing.B) { load(b, client(fx, proto.h2), bare) })
		b.Run(proto.name+"/mock", func(b *testing.B) {
			before := w.Lines()
			load(b, client(fx, proto.h2), mock)
			b.StopTimer()
			if got := w.Lines() - before; got < int64(b.N) {
				b.Fatalf("journal has %d lines for %d requests", got, b.N)
			}
		})
	}
}
