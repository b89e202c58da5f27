package listeners

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

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

// BenchmarkWebHandlerJournal is BenchmarkWebHandler with a real journal file.
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

// benchTx is a server transaction whose Respond renders the answer as sipgo's transport would
// (String) and drops it.
type benchTx struct {
	sip.ServerTransaction
	n int
}

func (t *benchTx) Respond(res *sip.Response) error { t.n += len(res.String()); return nil }

// BenchmarkSIPAnswer is one OPTIONS answered by the SIP listener's handler (the response, its
// identity header, the journal event), journal discarded.
func BenchmarkSIPAnswer(b *testing.B) {
	benchSIP(b, journal.Discard)
}

// BenchmarkSIPAnswerJournal is BenchmarkSIPAnswer with a real journal file.
func BenchmarkSIPAnswerJournal(b *testing.B) {
	w, err := journal.Open(filepath.Join(b.TempDir(), "j.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	benchSIP(b, w)
}

const benchOptions = "OPTIONS sip:dir01.contoso.com:5061;transport=tls SIP/2.0\r\n" +
	"Via: SIP/2.0/TLS 127.0.0.1:51234;branch=z9hG4bK776asdhds;rport\r\n" +
	"Max-Forwards: 70\r\n" +
	"To: <sip:dir01.contoso.com>\r\n" +
	"From: <sip:edge01-int.contoso.com>;tag=1928301774\r\n" +
	"Call-ID: a84b4c76e66710@edge01-int.contoso.com\r\n" +
	"CSeq: 63104 OPTIONS\r\n" +
	"Content-Length: 0\r\n\r\n"

func benchSIP(b *testing.B, rec journal.Recorder) {
	spec := benchSpec()
	spec.Name, spec.Protocol, spec.Port = ListenerName(wire.ProtoSIPMTLS, 5061), wire.ProtoSIPMTLS, 5061
	l := &sipListener{spec: spec, env: Env{Journal: rec}, ln: &sipConnListener{server: "RTC/5.0"}, server: "RTC/5.0",
		certSHA256: "4f2a9c1e0b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e"}
	l.prepare()
	l.ln.conns.Store("127.0.0.1:51234", &sipConnInfo{local: "127.0.0.1:5061", tls: &journal.TLSInfo{Version: "TLS 1.2", Cipher: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
		conn: &sipConn{Conn: nopConn{}, ln: l.ln}, idHeader: sip.NewHeader(wire.HeaderSIP, l.identityValue("127.0.0.1:51234"))})
	answer := l.answer(200, "OK")
	p := sip.NewParser()
	tx := &benchTx{}
	b.ReportAllocs()
	for b.Loop() {
		m, err := p.ParseSIP([]byte(benchOptions))
		if err != nil {
			b.Fatal(err)
		}
		req := m.(*sip.Request)
		req.SetSource("127.0.0.1:51234")
		answer(req, tx)
	}
	if tx.n == 0 {
		b.Fatal("nothing answered")
	}
}

// BenchmarkSIPParse is the parse of the request alone, to subtract from BenchmarkSIPAnswer.
func BenchmarkSIPParse(b *testing.B) {
	p := sip.NewParser()
	b.ReportAllocs()
	for b.Loop() {
		m, err := p.ParseSIP([]byte(benchOptions))
		if err != nil {
			b.Fatal(err)
		}
		m.(*sip.Request).SetSource("127.0.0.1:51234")
	}
}

// nopConn is a connection that is never read or written (the deadline the answer re-arms).
type nopConn struct{ net.Conn }

func (nopConn) SetReadDeadline(time.Time) error { return nil }

// BenchmarkSIPFramer is the mock's framing of one OPTIONS (before sipgo parses it).
func BenchmarkSIPFramer(b *testing.B) {
	f, data := &sipFramer{}, []byte(benchOptions)
	b.ReportAllocs()
	for b.Loop() {
		if _, bad := f.feed(data); bad != nil {
			b.Fatal(bad.reason)
		}
	}
}
