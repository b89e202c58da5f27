// Package probe proves the rows of a scenario with real traffic: it acts as a source role of the
// port table, runs one check per row (tcp, tls, mtls, http, https, sip-options, cls; udp-quic and
// h3 over UDP; hold for idle timeouts; cdp for the CRL and AIA fetches of the MTLS peers) against
// the destination role, and says for each row what was expected, what was observed and why, in a
// table, JSON or JUnit. It works against mockdirector serve and against real servers.
package probe

import (
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
)

// Result is the outcome of one row: what was expected, what was observed, and a one-line reason
// a network engineer can act on.
type Result struct {
	ID        string         `json:"id"`
	From      string         `json:"from"`
	To        string         `json:"to"`
	Port      int            `json:"port"`
	Transport wire.Transport `json:"transport,omitempty"`
	Protocol  wire.Protocol  `json:"protocol"`
	Check     wire.Check     `json:"check"`
	Target    string         `json:"target"`
	Source    string         `json:"source,omitempty"`
	Expected  wire.Expect    `json:"expected"`
	Observed  wire.State     `json:"observed"`
	Verdict   wire.Verdict   `json:"verdict"`
	Reason    string         `json:"reason"`
	// Code is the reason's class (wire's reason codes): what tables, reports and the lab
	// group and match on, never the sentence.
	Code       wire.Code `json:"code"`
	DurationMS float64   `json:"duration_ms"`
	Attempts   int       `json:"attempts,omitempty"`
	TLSVersion string    `json:"tls_version,omitempty"`
	// Negotiated is what every TLS row's handshake settled on, as
	// "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA P-256 alpn=-" (version, suite, curve or "-"
	// for RSA key exchange, ALPN): what the server chose for the client the prober was.
	Negotiated string         `json:"negotiated,omitempty"`
	Identity   *wire.Identity `json:"identity,omitempty"`
	ServerCert *CertSummary   `json:"server_cert,omitempty"`
	// Server is what the destination calls itself (SIP Server header, HTTP Server header).
	Server string `json:"server,omitempty"`
	Origin string `json:"origin,omitempty"`
	// Chain is the subject of every certificate the server presented, leaf first; Presented
	// the same chain with issuers and SHA-256 fingerprints (what names a TLS interceptor).
	Chain     []string   `json:"chain,omitempty"`
	Presented []CertLink `json:"presented,omitempty"`
	// Lint is what the certificate lint found on the server's chain (tls and mtls checks), and
	// LintExpected the row's lint expectation ("pass" or the codes), if any.
	Lint         []certs.Finding `json:"lint,omitempty"`
	LintExpected string          `json:"lint_expected,omitempty"`
	// ALPN and QUICVersion describe a QUIC handshake (udp-quic, h3).
	ALPN        string `json:"alpn,omitempty"`
	QUICVersion string `json:"quic_version,omitempty"`
	// HoldMS is how long a hold check was to keep its connection idle; HeldMS how long it stayed
	// up before the check went on (the whole hold) or was cut.
	HoldMS float64 `json:"hold_ms,omitempty"`
	HeldMS float64 `json:"held_ms,omitempty"`
	// IdleCutoffMS is what --hold-bisect measured: the longest idle whose proof was answered
	// and the shortest that was not; the path's idle timeout lies between.
	IdleCutoffMS []float64 `json:"idle_cutoff_ms,omitempty"`
	// HLB is what an HLB check saw: the answers per member, the cookies, DSR and SNAT.
	HLB *HLBSeen `json:"hlb,omitempty"`

	// Index is the job's position in the plan, for stable ordering of streamed results.
	Index int `json:"-"`
	// detail is the reason without the "CHECK port to name (target): " head the table
	// already shows (empty for a result decoded from JSON: the table prints Reason).
	detail string
}

// Group names the source -> destination group of the result (a table section, a JUnit suite).
func (r Result) Group() string { return r.From + " -> " + r.To }

// CertSummary is the leaf certificate a TLS server presented.
type CertSummary struct {
	Subject  string    `json:"subject"`
	SANs     []string  `json:"sans,omitempty"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"not_after"`
}

// CertLink is one certificate of a presented chain: subject, issuer and SHA-256 fingerprint.
type CertLink struct {
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	SHA256  string `json:"sha256"`
}

// Summary counts verdicts. Unproven rows (a refusal nothing proves came from the path) are
// counted apart: they do not fail the exit code unless the run was --strict (then they are
// fail rows).
type Summary struct {
	Pass     int `json:"pass"`
	Fail     int `json:"fail"`
	Skip     int `json:"skip"`
	Unproven int `json:"unproven"`
}

// Report is a whole run: the JSON document of --format json.
type Report struct {
	Scenario   string    `json:"scenario"`
	Started    time.Time `json:"started"`
	DurationMS float64   `json:"duration_ms"`
	Results    []Result  `json:"results"`
	Summary    Summary   `json:"summary"`
	// TimeoutMS is the per-check timeout the run used.
	TimeoutMS float64 `json:"timeout_ms,omitempty"`
}

// Add appends a result and counts it.
func (r *Report) Add(res Result) {
	r.Results = append(r.Results, res)
	switch res.Verdict {
	case wire.VerdictPass:
		r.Summary.Pass++
	case wire.VerdictFail:
		r.Summary.Fail++
	case wire.VerdictUnproven:
		r.Summary.Unproven++
	default:
		r.Summary.Skip++
	}
}

// ExitCode is 0 when no row failed and at least one passed (skips and unproven rows do not
// count against: --strict turns unproven rows into fail rows), else 1: a run in which nothing
// was proven (every row skipped or unproven) shows nothing of the firewall, and CI must not
// read it as green.
func (r *Report) ExitCode() int {
	if r.Summary.Fail > 0 || r.NothingProven() {
		return 1
	}
	return 0
}

// NothingProven says no row passed and none failed: every row was skipped or unproven.
func (r *Report) NothingProven() bool { return r.Summary.Pass == 0 && r.Summary.Fail == 0 }
