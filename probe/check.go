package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
)

// Observation is what one check saw, before it is held against the row's expectation.
type Observation struct {
	// Observed is the state: open, refused, filtered, handshake-ok, handshake-failed, http 200, ...
	Observed wire.State
	// Code classes what went wrong (or, for a refusal, a filter or a failed handshake, what
	// happened): the judge uses it when the row's expectation does not hold.
	Code wire.Code
	// Connected is true once TCP connected.
	Connected bool
	// HandshakeFailed is true when TCP connected and TLS did not come up (or the server
	// rejected the client certificate, or its certificate did not verify).
	HandshakeFailed bool
	// ProberRejected is true when the handshake failed because the prober refused the server's
	// certificate (chain, name, validity, interception), not because the server refused: a
	// handshake-fails row (the server must refuse) does not hold on it.
	ProberRejected bool
	// ServerRefused is true when the server itself ended the handshake after the prober had
	// accepted what it saw of it: a TLS alert it sent, or (its certificate verified) a close or
	// reset. Only this holds a handshake-fails row: a timeout, the prober's own refusal of the
	// server, or a close before the server showed a verified certificate (a middlebox, a wrong
	// host) say nothing of what the server does with the client's offer.
	ServerRefused bool
	// EarlyAlert is true when a TLS alert ended the handshake before any server certificate was
	// seen: the server's refusal (a version or suite it will not take) or a device's in the path,
	// which the prober cannot tell apart.
	EarlyAlert bool
	// Unproven, when set, says why the check's success proves nothing (a quiet hold on a bare
	// connection: a silent drop of idle state looks the same): the judge makes an allow row
	// that would pass unproven instead.
	Unproven string
	// CertRequested is true when the server asked for a client certificate during the handshake
	// (a CertificateRequest): what makes a handshake mutual TLS.
	CertRequested bool
	// OK is true when the check's own success condition held (verified handshake, an answer
	// from the service, a banner).
	OK bool
	// Detail says what happened in words ("no answer in 3s", "certificate is valid for x, not y").
	Detail string
	// Source is the local address the connection used.
	Source     string
	TLSVersion string
	// Negotiated is what the TLS handshake settled on: version, suite, curve, ALPN
	// (wireprofile.Negotiated).
	Negotiated string
	Identity   *wire.Identity
	ServerCert *CertSummary
	Server     string
	// Chain is the subject of every certificate the server presented, leaf first; Lint what the
	// certificate lint found on it (set when the job has a lint profile and a chain was seen).
	Chain     []string
	Presented []CertLink
	Lint      []certs.Finding
	Linted    bool
	// ALPN and QUICVersion describe a QUIC handshake.
	ALPN, QUICVersion string
	// Held is how long a hold check's connection stayed up idle (the whole hold, or until cut);
	// Cut says it was cut.
	Held time.Duration
	Cut  bool
	// Cutoff is what a bisecting hold measured: the longest idle whose proof was answered and
	// the shortest that was not (zero: none).
	Cutoff [2]time.Duration
	// Unverified is set when the chain did not verify but the check went on, read-only, to
	// learn the mock's identity behind a possible interceptor; VerifyErr is why it did not
	// verify, VerifyCode its class. The judge fails the row with it.
	Unverified bool
	VerifyErr  error
	VerifyCode wire.Code
	// HLB is what an HLB check (distribution, affinity-source, affinity-cookie) saw over its
	// connections; the judge holds it against the pool (check_hlb.go).
	HLB *HLBSeen
}

// Checker runs one kind of check for a job. Implementations get a context that ends at the
// job's timeout.
type Checker interface {
	Check(ctx context.Context, j *Job) Observation
}

// CheckerFunc adapts a function to Checker.
type CheckerFunc func(ctx context.Context, j *Job) Observation

// Check calls f.
func (f CheckerFunc) Check(ctx context.Context, j *Job) Observation { return f(ctx, j) }

// Checkers maps a check kind to its implementation; each lives in its own file.
var Checkers = map[wire.Check]Checker{
	wire.CheckTCP:        CheckerFunc(checkTCP),
	wire.CheckTLS:        CheckerFunc(checkTLS),
	wire.CheckMTLS:       CheckerFunc(checkMTLS),
	wire.CheckHTTP:       CheckerFunc(checkHTTP),
	wire.CheckHTTPS:      CheckerFunc(checkHTTPS),
	wire.CheckSIPOptions: CheckerFunc(checkSIPOptions),
	wire.CheckCLS:        CheckerFunc(checkCLS),
	wire.CheckUDPQUIC:    CheckerFunc(checkUDPQUIC),
	wire.CheckH3:         CheckerFunc(checkH3),
	wire.CheckHold:       CheckerFunc(checkHold),
	// The HLB checks against a pool's VIP: check_hlb.go.
	wire.CheckDistribution:   CheckerFunc(checkDistribution),
	wire.CheckAffinitySource: CheckerFunc(checkAffinitySource),
	wire.CheckAffinityCookie: CheckerFunc(checkAffinityCookie),
}

// UnsupportedCheckError is a row whose check this prober does not have (a scenario newer
// than the prober); its result carries wire.CodeUnsupported.
type UnsupportedCheckError struct{ Check wire.Check }

func (e *UnsupportedCheckError) Error() string {
	return fmt.Sprintf("no check named %q in this prober", e.Check)
}

// remaining is how long ctx has left, or d when it has no deadline.
func remaining(ctx context.Context, d time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return d
}
