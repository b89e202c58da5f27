// Package probe proves the rows of a scenario with real traffic: it acts as a source role of the
// port table, runs one check per row (tcp, tls, mtls, http, https, sip-options, cls; udp-quic and
// h3 over UDP; hold for idle timeouts) against the destination role, and says for each row what was expected, what was observed and why, in a
// table, JSON or JUnit. It works against mockdirector serve and against real servers.
package probe

import (
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/listeners"
)

// Verdicts of a result.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
	VerdictSkip = "skip"
)

// Observed states every check shares; checks add their own ("http 200", "sip 200", "cls-banner").
const (
	ObservedOpen            = "open"
	ObservedRefused         = "refused"
	ObservedFiltered        = "filtered"
	ObservedHandshakeOK     = "handshake-ok"
	ObservedHandshakeFailed = "handshake-failed"
	ObservedCLSBanner       = "cls-banner"
	ObservedError           = "error"
	ObservedNotRun          = "not-run"
)

// Result is the outcome of one row: what was expected, what was observed, and a one-line reason
// a network engineer can act on.
type Result struct {
	ID         string              `json:"id"`
	From       string              `json:"from"`
	To         string              `json:"to"`
	Port       int                 `json:"port"`
	Transport  string              `json:"transport,omitempty"`
	Protocol   string              `json:"protocol"`
	Check      string              `json:"check"`
	Target     string              `json:"target"`
	Source     string              `json:"source,omitempty"`
	Expected   string              `json:"expected"`
	Observed   string              `json:"observed"`
	Verdict    string              `json:"verdict"`
	Reason     string              `json:"reason"`
	DurationMS float64             `json:"duration_ms"`
	Attempts   int                 `json:"attempts,omitempty"`
	TLSVersion string              `json:"tls_version,omitempty"`
	Identity   *listeners.Identity `json:"identity,omitempty"`
	ServerCert *CertSummary        `json:"server_cert,omitempty"`
	// Server is what the destination calls itself (SIP Server header, HTTP Server header).
	Server string `json:"server,omitempty"`
	Origin string `json:"origin,omitempty"`
	// Chain is the subject of every certificate the server presented, leaf first.
	Chain []string `json:"chain,omitempty"`
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

	// Index is the job's position in the plan, for stable ordering of streamed results.
	Index int `json:"-"`
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

// Summary counts verdicts.
type Summary struct {
	Pass int `json:"pass"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
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
	case VerdictPass:
		r.Summary.Pass++
	case VerdictFail:
		r.Summary.Fail++
	default:
		r.Summary.Skip++
	}
}

// ExitCode is 0 when every expectation held (skips do not count against), else 1.
func (r *Report) ExitCode() int {
	if r.Summary.Fail > 0 {
		return 1
	}
	return 0
}
