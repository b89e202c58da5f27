package listeners

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/journal"
)

// webHandler answers the Lync web-service paths plausibly, says who answered on every answer,
// and journals each request before the answer is written.
type webHandler struct {
	spec Spec
	env  Env
	// certSHA256 is the served leaf's fingerprint, in every identity.
	certSHA256 string
	// server is the Server header of the wire profile ("Microsoft-IIS/8.5"); fqdn the
	// X-MS-Server-Fqdn a Lync web server sends (the member's FQDN).
	server, fqdn []string
	// ident is what every answer says about this listener, prepared once.
	ident *listenerIdentity
}

// Content-Type values, set directly on the hot path (shared: nothing appends to them).
var ctJSON = []string{"application/json"}

// webReq is the state of one request that does not outlive it: its identity and the buffer of
// the identity document (pooled: the handler returns it once the answer is written).
type webReq struct {
	id   wire.Identity
	body []byte
}

var webReqPool = sync.Pool{New: func() any { return &webReq{body: make([]byte, 0, 1024)} }}

// reqInfo holds the TLS and HTTP parts of a request's journal event in one allocation.
type reqInfo struct {
	tls  journal.TLSInfo
	http journal.HTTPInfo
}

func newWebHandler(spec Spec, env Env) *webHandler {
	h := &webHandler{spec: spec, env: env}
	prof, err := spec.wireProfile()
	if err != nil {
		prof = wireprofile.MustGet(wireprofile.Default) // New refused an unknown name already
	}
	h.server = []string{prof.HTTPServer}
	if spec.Member != "" {
		h.fqdn = []string{spec.Member}
	}
	if spec.Protocol.TLS() {
		// Only where this listener serves it: a plain port names no certificate (a reverse
		// proxy that bridges external 443 to 8080 presents its own, legitimately).
		h.certSHA256 = env.certSHA256()
	}
	h.ident = newListenerIdentity(spec, h.certSHA256)
	return h
}

func (h *webHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rq := webReqPool.Get().(*webReq)
	defer h.done(rq)
	id := h.identity(r, &rq.id)
	hd := w.Header()
	h.ident.setHeaders(hd, id)
	hd["Server"] = h.server
	if h.fqdn != nil {
		hd[headerServerFQDN] = h.fqdn
	}
	setAffinityCookie(hd, r, id.Member)
	if h.spec.Guard {
		// The hit is journaled already (on accept); the answer says it is a guard.
		_, write := h.guard(w, r, rq)
		write()
		return
	}
	status, write := h.route(w, r, rq)

	ev := baseEvent(h.spec, journal.KindHTTP, nil, nil)
	ev.Local, ev.Remote = id.Local, id.Remote
	ev.Outcome = journal.OutcomeOK
	ri := &reqInfo{http: journal.HTTPInfo{Method: r.Method, Path: id.Path, Host: r.Host, XForwardedFor: id.XForwardedFor, UserAgent: r.UserAgent(), Status: status}}
	if r.TLS != nil {
		ri.tls = journal.TLSInfo{Version: id.TLSVersion, Cipher: cipherName(r.TLS.CipherSuite), SNI: id.SNI, ALPN: id.ALPN, ClientCert: id.ClientCert}
		ev.TLS = &ri.tls
	}
	ev.HTTP = &ri.http
	ev.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	if err := h.env.journal().Record(ev); err != nil {
		// An answer we cannot journal would be an observation lost: refuse it instead.
		// The recorder logs the failure; the client is told no more than that (no paths).
		http.Error(w, "mockdirector: journal write failed", http.StatusServiceUnavailable)
		return
	}
	write()
}

// headerServerFQDN is the header in which Lync web services name the server that answered
// (canonical form, set directly on the hot path).
const headerServerFQDN = "X-Ms-Server-Fqdn"

// done gives a request's state back once its answer is written (nothing keeps it: the journal
// event copied what it needs).
func (h *webHandler) done(rq *webReq) {
	if cap(rq.body) > 64<<10 {
		return
	}
	rq.id = wire.Identity{}
	rq.body = rq.body[:0]
	webReqPool.Put(rq)
}

// identity fills id with what the listener says and what it saw of r.
func (h *webHandler) identity(r *http.Request, id *wire.Identity) *wire.Identity {
	*id = *h.spec.identity(h.certSHA256)
	id.Remote, id.RemoteIP, id.Host = r.RemoteAddr, wire.HostOnly(r.RemoteAddr), r.Host
	id.XForwardedFor = strings.Join(r.Header["X-Forwarded-For"], ", ")
	id.Method, id.Path = r.Method, r.URL.RequestURI()
	if ws, ok := r.Context().Value(watchKey{}).(*watchState); ok && ws.local != "" {
		id.Local = ws.local
	} else if la, ok := r.Context().Value(http.LocalAddrContextKey).(interface{ String() string }); ok {
		id.Local = la.String()
	}
	if r.TLS != nil {
		id.SNI = r.TLS.ServerName
		id.TLSVersion = tls.VersionName(r.TLS.Version)
		id.ALPN = r.TLS.NegotiatedProtocol
		if len(r.TLS.PeerCertificates) > 0 {
			id.ClientCert = certInfo(r.TLS.PeerCertificates[0])
			id.ClientCert.Verified = len(r.TLS.VerifiedChains) > 0 || h.verified(r)
		}
	}
	return id
}

// verified re-checks a client certificate that was requested but not required.
func (h *webHandler) verified(r *http.Request) bool {
	if h.env.TLS == nil {
		return false
	}
	_, _, err := verifyChain(r.TLS.PeerCertificates, h.env.TLS.Roots, h.env.limits().MinClientRSABits)
	return err == nil
}

// route picks the answer; it returns the status and a function that writes it, so the journal
// line is written before the client sees anything.
func (h *webHandler) route(w http.ResponseWriter, r *http.Request, rq *webReq) (int, func()) {
	id := &rq.id
	if h.env.TLS != nil && h.env.TLS.PKI != nil { // the CDP and AIA URLs of the certificates, for any Host
		if status, write, ok := h.env.TLS.PKI.Prepare(w, r); ok {
			return status, write
		}
	}
	p := strings.ToLower(r.URL.Path) // IIS paths are case-insensitive
	switch {
	case p == wire.WellKnownPath:
		return h.wellKnown(w, rq)
	case strings.HasPrefix(p, "/autodiscover/autodiscoverservice.svc/root"):
		return h.autodiscover(w, r, id) // autodiscover.go: XML or JSON, as the Accept header asks
	case strings.HasPrefix(p, "/ucwa"), strings.HasPrefix(p, "/mcx"):
		// UCWA and mobility want an OAuth web ticket first.
		w.Header().Add("WWW-Authenticate", `Bearer trusted_issuers="", client_id="00000004-0000-0ff1-ce00-000000000000"`)
		w.Header().Add("WWW-Authenticate", fmt.Sprintf(`MsRtcOAuth href="%s/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password"`, baseURL(r)))
		return h.text(w, http.StatusUnauthorized, id, "authentication required (web ticket)")
	case strings.HasPrefix(p, "/webticket"), strings.HasPrefix(p, "/abs"), strings.HasPrefix(p, "/groupexpansion"),
		strings.HasPrefix(p, "/certprov"), strings.HasPrefix(p, "/persistentchat"), strings.HasPrefix(p, "/rgsclients"):
		// Windows-authenticated services challenge anonymous callers.
		w.Header().Add("WWW-Authenticate", "Negotiate")
		w.Header().Add("WWW-Authenticate", "NTLM")
		return h.text(w, http.StatusUnauthorized, id, "authentication required (Negotiate/NTLM)")
	case strings.HasPrefix(p, "/meet"), strings.HasPrefix(p, "/dialin"), strings.HasPrefix(p, "/reach"),
		strings.HasPrefix(p, "/lwa"), strings.HasPrefix(p, "/scheduler"), p == "/":
		return h.page(w, http.StatusOK, id)
	}
	return h.text(w, http.StatusNotFound, id, "no such Lync web service")
}

// guard answers every request of a guard listener: the identity document on the well-known
// path, a 403 that says why everywhere else (both carry the identity headers, guard: true).
func (h *webHandler) guard(w http.ResponseWriter, r *http.Request, rq *webReq) (int, func()) {
	if strings.ToLower(r.URL.Path) == wire.WellKnownPath {
		return h.wellKnown(w, rq)
	}
	return h.text(w, http.StatusForbidden, &rq.id, guardReason(h.spec))
}

// wellKnown answers the identity document.
func (h *webHandler) wellKnown(w http.ResponseWriter, rq *webReq) (int, func()) {
	w.Header()["Content-Type"] = ctJSON
	rq.body = append(h.ident.appendJSON(rq.body[:0], &rq.id), '\n')
	return http.StatusOK, func() {
		w.WriteHeader(http.StatusOK)
		w.Write(rq.body)
	}
}

// baseURL is scheme://host of the request, for links in answers.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func (h *webHandler) json(w http.ResponseWriter, status int, v any) (int, func()) {
	// Compact, one line: json.MarshalIndent costs seven times as much, and this answer is on
	// the path of every probe (pipe it to jq to read it).
	b, err := json.Marshal(v)
	if err != nil {
		return h.text(w, http.StatusInternalServerError, &wire.Identity{}, err.Error())
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	return status, func() {
		w.WriteHeader(status)
		w.Write(append(b, '\n'))
	}
}

func (h *webHandler) text(w http.ResponseWriter, status int, id *wire.Identity, msg string) (int, func()) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	return status, func() {
		w.WriteHeader(status)
		fmt.Fprintf(w, "%d %s: %s\n%s", status, http.StatusText(status), msg, id.Summary())
	}
}

var pageTpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Pool}} - mockdirector</title></head>
<body><h1>{{.Pool}}</h1><p>Lync web services stand-in (mockdirector).</p>
<table>
<tr><th>role</th><td>{{.Role}}</td></tr><tr><th>member</th><td>{{.Member}}</td></tr>
<tr><th>listener</th><td>{{.Listener}}</td></tr><tr><th>source seen</th><td>{{.Remote}}</td></tr>
<tr><th>Host</th><td>{{.Host}}</td></tr><tr><th>SNI</th><td>{{.SNI}}</td></tr>
<tr><th>X-Forwarded-For</th><td>{{.XForwardedFor}}</td></tr><tr><th>path</th><td>{{.Path}}</td></tr>
</table></body></html>
`))

func (h *webHandler) page(w http.ResponseWriter, status int, id *wire.Identity) (int, func()) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return status, func() {
		w.WriteHeader(status)
		pageTpl.Execute(w, id)
	}
}
