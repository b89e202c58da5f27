package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

// The cdp check proves the path a Lync MTLS peer takes to check revocation: from the source, it
// fetches every CRL Distribution Point and AIA (caIssuers) URL of the certificate chains the
// source is presented on MTLS (the certificates of the rows' MTLS destinations from the source,
// read from the certificate directory; without one, the chain of the source's own certificate,
// which the same CA issued), over HTTP, to the host each URL names (the row's destination when
// it is the topology's pki host), and holds each answer: a CRL signed by the issuer and current
// (certs.VerifyCRL), or the issuer's certificate. The row passes only when every URL answered
// so, and at least one was fetched.

// CheckCDP is the check of the certificate requirement rows (scenarios.CheckCDP).
const CheckCDP = wire.CheckCDP

func init() { Checkers[CheckCDP] = CheckerFunc(checkCDP) }

// CDPUserAgent is what Windows' certificate chain engine sends when it fetches a CRL (Windows
// Server 2012 R2): a proxy or firewall that treats CryptoAPI apart sees the same.
const CDPUserAgent = "Microsoft-CryptoAPI/6.3"

// cdpMaxBody bounds a CDP or AIA answer (a CRL of a large CA runs to megabytes).
const cdpMaxBody = 16 << 20

// CDPPlan is what a cdp job fetches: the certificates whose URLs it follows, and the pki host.
type CDPPlan struct {
	// Files are the certificate files (chains) whose CDP and AIA URLs are fetched: the MTLS
	// peers of the source in the certificate directory. Empty: the source's own chain.
	Files []string
	// Peers names whose certificate each file is, for messages ("director dir01.contoso.local").
	Peers []string
	// PKIHost is the topology's pki host: a URL naming it is fetched from the row's target.
	PKIHost string
	// Now is the time CRLs are checked against (zero: time.Now()).
	Now time.Time
}

// planCDP lists the certificates a cdp row from role checks: those of the pools the role talks
// MTLS to in the scenario (allow rows of protocol sip-mtls or cls-mtls), found in the
// certificate directory of the credentials.
func planCDP(o Options, from string) *CDPPlan {
	p := &CDPPlan{PKIHost: o.Topology.PKIHost()}
	dir := o.Credentials.Dir
	if dir == "" && o.Credentials.CertFile == "" {
		dir = "mockdirector-certs"
	}
	if dir == "" {
		return p
	}
	for _, r := range o.Scenario.From(from) {
		if !r.Allowed() || r.Protocol != scenarios.ProtoSIPMTLS && r.Protocol != scenarios.ProtoCLSMTLS {
			continue
		}
		pool, ok := o.Topology.Pools[r.To]
		if !ok {
			continue
		}
		for _, m := range pool.Members {
			f := certs.CertPath(dir, m.Name)
			if slices.Contains(p.Files, f) {
				continue
			}
			if _, err := os.Stat(f); err == nil {
				p.Files = append(p.Files, f)
				p.Peers = append(p.Peers, r.To+" "+m.Name)
			}
		}
	}
	return p
}

// cdpURL is one URL to fetch: a CDP (the CRL of issuer) or an AIA (issuer's certificate).
type cdpURL struct {
	url    string
	crl    bool
	issuer *x509.Certificate
	of     string // the certificate that names it, for messages
}

// fetched is what one URL answered.
type fetched struct {
	u         cdpURL
	connected bool
	state     wire.State
	code      wire.Code
	ok        bool
	detail    string
	identity  *wire.Identity
	atTarget  bool
}

func checkCDP(ctx context.Context, j *Job) Observation {
	urls, notes, err := cdpURLs(j)
	if err != nil {
		return Observation{Observed: wire.StateError, Code: wire.CodeError, Detail: err.Error()}
	}
	if len(urls) == 0 {
		d := "nothing to fetch: the chain names no http:// CRL Distribution Point or AIA URL, so no peer can check its revocation (issue the certificates from a CA that publishes one)"
		if len(notes) > 0 {
			d += "; " + strings.Join(notes, "; ")
		}
		return Observation{Observed: wire.StateError, Code: wire.CodeError, Detail: d}
	}
	res := make([]fetched, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() { res[i] = fetchCDP(ctx, j, u) })
	}
	wg.Wait()

	o := Observation{Observed: wire.AnswerState("http", http.StatusOK), OK: true}
	if j.Source.IsValid() {
		o.Source = j.Source.String()
	}
	var bad, good []string
	for _, f := range res {
		o.Connected = o.Connected || f.connected
		if f.identity != nil && f.atTarget && o.Identity == nil {
			o.Identity = f.identity
		}
		if f.ok {
			good = append(good, f.u.url+" ("+f.detail+")")
			continue
		}
		if o.OK { // the first failure says what was observed
			o.OK, o.Observed, o.Code = false, f.state, f.code
		}
		bad = append(bad, f.u.url+": "+f.detail)
	}
	if o.OK {
		o.Detail = fmt.Sprintf("fetched %d CDP/AIA URLs: %s", len(good), strings.Join(good, "; "))
	} else {
		o.Detail = fmt.Sprintf("%d of %d CDP/AIA URLs failed: %s", len(bad), len(res), strings.Join(bad, "; "))
		if len(good) > 0 {
			o.Detail += fmt.Sprintf(" (fine: %d)", len(good))
		}
	}
	if len(notes) > 0 {
		o.Detail += "; " + strings.Join(notes, "; ")
	}
	return o
}

// cdpURLs collects the URLs of the job's chains, each with the issuer its answer must match.
// notes say what is not fetched (URLs of other schemes, a certificate naming no CDP).
func cdpURLs(j *Job) ([]cdpURL, []string, error) {
	if j.Roots == nil {
		why := "no trust to hold the answers against"
		if j.CredentialErr != nil {
			why += ": " + j.CredentialErr.Error()
		}
		return nil, nil, fmt.Errorf("%s (pass --certs DIR, or --ca)", why)
	}
	var chains [][]*x509.Certificate
	var whose []string
	if j.CDP != nil {
		for i, f := range j.CDP.Files {
			c, err := certs.ReadCerts(f)
			if err != nil {
				return nil, nil, fmt.Errorf("certificate of %s: %w", j.CDP.Peers[i], err)
			}
			chains, whose = append(chains, c), append(whose, j.CDP.Peers[i])
		}
	}
	if len(chains) == 0 {
		if j.Identity == nil || len(j.Identity.Cert.Certificate) == 0 {
			why := "no certificate to take the CDP and AIA URLs from: no MTLS peer's certificate in the certificate directory, and no client certificate"
			if j.CredentialErr != nil {
				why += ": " + j.CredentialErr.Error()
			}
			return nil, nil, errors.New(why)
		}
		var c []*x509.Certificate
		for _, der := range j.Identity.Cert.Certificate {
			x, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, nil, fmt.Errorf("client certificate %s: %w", j.Identity.Source, err)
			}
			c = append(c, x)
		}
		chains, whose = append(chains, c), append(whose, "the source's own certificate (no MTLS peer's certificate at hand)")
	}
	var out []cdpURL
	var notes []string
	if j.CDP == nil || len(j.CDP.Files) == 0 {
		notes = append(notes, "the URLs are the source's own certificate's (no MTLS peer's certificate at hand: their CA's URLs are the same only if the same CA issued them)")
	}
	seen := map[string]bool{}
	for i, chain := range chains {
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		verified, err := chain[0].Verify(x509.VerifyOptions{Roots: j.Roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			return nil, nil, fmt.Errorf("the chain of %s does not verify against the trust, so its CRLs cannot be checked: %w", whose[i], err)
		}
		full := verified[0]
		for k, c := range full[:len(full)-1] { // the root names no CDP of its own
			issuer := full[k+1]
			name := c.Subject.CommonName
			if len(c.CRLDistributionPoints) == 0 {
				notes = append(notes, fmt.Sprintf("%s names no CRL Distribution Point (Lync requires one on every server certificate)", name))
			}
			add := func(raw string, crl bool) {
				u, err := url.Parse(raw)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					notes = append(notes, fmt.Sprintf("%s of %s not fetched (not an http:// URL)", raw, name))
					return
				}
				if seen[raw] {
					return
				}
				seen[raw] = true
				out = append(out, cdpURL{url: raw, crl: crl, issuer: issuer, of: name})
			}
			for _, raw := range c.CRLDistributionPoints {
				add(raw, true)
			}
			for _, raw := range c.IssuingCertificateURL {
				add(raw, false)
			}
		}
	}
	// A certificate without a CDP fails the row even when the others' URLs answer: its
	// revocation cannot be checked on that path.
	for _, n := range notes {
		if strings.Contains(n, "names no CRL Distribution Point") {
			return out, notes, errors.New(strings.Join(notes, "; "))
		}
	}
	return out, notes, nil
}

// fetchCDP GETs one URL from the job's source and holds the answer against what it must be.
func fetchCDP(ctx context.Context, j *Job, u cdpURL) fetched {
	f := fetched{u: u, state: wire.StateError, code: wire.CodeError}
	pu, _ := url.Parse(u.url)
	port := pu.Port()
	if port == "" {
		port = "80"
		if pu.Scheme == "https" {
			port = "443"
		}
	}
	jc := *j
	jc.Hold = 0
	jc.Host = pu.Hostname()
	jc.Target = net.JoinHostPort(jc.Host, port)
	if j.CDP != nil && strings.EqualFold(pu.Hostname(), j.CDP.PKIHost) {
		// The pki host: the row's destination (its address, port offset or address book).
		jc.Host = j.Host
		jc.Target = net.JoinHostPort(j.Host, port)
		if port == strconv.Itoa(j.Row.Port) {
			jc.Target = j.Target
		}
		f.atTarget = true
	}
	c, o := dial(ctx, &jc)
	if c == nil {
		f.state, f.code = o.Observed, o.Code
		f.detail = fmt.Sprintf("%s (to %s)", o.Detail, jc.Target)
		return f
	}
	defer c.Close()
	f.connected = true
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if pu.Scheme == "https" {
		tc := tls.Client(c, &tls.Config{ServerName: pu.Hostname(), RootCAs: j.Roots, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			f.state, f.code, f.detail = wire.StateHandshakeFailed, wire.CodeHandshake, "TLS handshake: "+err.Error()
			return f
		}
		c = tc
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url, nil)
	if err != nil {
		f.detail = "request: " + err.Error()
		return f
	}
	req.Header.Set("User-Agent", CDPUserAgent)
	req.Close = true
	start := time.Now()
	if err := req.Write(c); err != nil {
		f.state, f.code, f.detail = wire.StateOpen, wire.CodeProtocol, "sending the request: "+err.Error()
		return f
	}
	res, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		f.state, f.code = wire.StateOpen, wire.CodeProtocol
		f.detail = "connected, but no HTTP answer: " + err.Error()
		if isTimeout(err) {
			f.code, f.detail = wire.CodeTimeout, fmt.Sprintf("connected, but no HTTP answer in %s", roundDur(time.Since(start)))
		}
		return f
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, cdpMaxBody+1))
	f.state, f.identity = wire.AnswerState("http", res.StatusCode), httpIdentity(res.Header, nil)
	if res.StatusCode != http.StatusOK {
		f.code, f.detail = wire.CodeHTTPStatus, fmt.Sprintf("HTTP %s (a peer gets no %s)", res.Status, what(u))
		return f
	}
	switch {
	case err != nil:
		f.code, f.detail = wire.CodeProtocol, "reading the answer: "+err.Error()
		return f
	case len(body) > cdpMaxBody:
		f.code, f.detail = wire.CodeProtocol, fmt.Sprintf("the answer is larger than %d MiB", cdpMaxBody>>20)
		return f
	}
	now := time.Now()
	if j.CDP != nil && !j.CDP.Now.IsZero() {
		now = j.CDP.Now
	}
	if u.crl {
		crl, err := certs.VerifyCRL(body, u.issuer, now)
		if err != nil {
			f.code, f.detail = wire.CodeProtocol, err.Error()
			if crl != nil && strings.Contains(err.Error(), "expired") {
				f.code = wire.CodeExpired
			}
			return f
		}
		f.ok, f.code = true, wire.CodeOK
		f.detail = fmt.Sprintf("CRL of %s, number %v, %d revoked, next update %s", u.issuer.Subject.CommonName, crl.Number, len(crl.RevokedCertificateEntries), crl.NextUpdate.UTC().Format(time.RFC3339))
		return f
	}
	got, err := parseCert(body)
	switch {
	case err != nil:
		f.code, f.detail = wire.CodeProtocol, "not a certificate: "+err.Error()
	case !got.Equal(u.issuer):
		f.code, f.detail = wire.CodeProtocol, fmt.Sprintf("a certificate, but not the issuer's: got %s, want %s (the one that issued %s)", got.Subject, u.issuer.Subject, u.of)
	default:
		f.ok, f.code, f.detail = true, wire.CodeOK, "CA certificate "+got.Subject.CommonName
	}
	return f
}

func what(u cdpURL) string {
	if u.crl {
		return "CRL: revocation checks of " + u.of + " fail"
	}
	return "CA certificate: chain building of " + u.of + " cannot fetch its issuer"
}

// parseCert reads a certificate in DER (what an AIA URL serves) or PEM.
func parseCert(data []byte) (*x509.Certificate, error) {
	if c, err := x509.ParseCertificate(data); err == nil {
		return c, nil
	}
	if b, _ := pem.Decode(data); b != nil && b.Type == "CERTIFICATE" {
		return x509.ParseCertificate(b.Bytes)
	}
	return nil, errors.New("neither DER nor PEM")
}
