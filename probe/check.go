package probe

import (
	"context"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/listeners"
	"github.com/mockdirector/mockdirector/scenarios"
)

// Observation is what one check saw, before it is held against the row's expectation.
type Observation struct {
	// Observed is the state: open, refused, filtered, handshake-ok, handshake-failed, http 200, ...
	Observed string
	// Connected is true once TCP connected.
	Connected bool
	// HandshakeFailed is true when TCP connected and TLS did not come up (or the server
	// rejected the client certificate, or its certificate did not verify).
	HandshakeFailed bool
	// OK is true when the check's own success condition held (verified handshake, an answer
	// from the service, a banner).
	OK bool
	// Detail says what happened in words ("no answer in 3s", "certificate is valid for x, not y").
	Detail string
	// Source is the local address the connection used.
	Source     string
	TLSVersion string
	Identity   *listeners.Identity
	ServerCert *CertSummary
	Server     string
	// Chain is the subject of every certificate the server presented, leaf first; Lint what the
	// certificate lint found on it (set when the job has a lint profile and a chain was seen).
	Chain  []string
	Lint   []certs.Finding
	Linted bool
	// ALPN and QUICVersion describe a QUIC handshake.
	ALPN, QUICVersion string
	// Held is how long a hold check's connection stayed up idle (the whole hold, or until cut);
	// Cut says it was cut.
	Held time.Duration
	Cut  bool
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
var Checkers = map[string]Checker{
	scenarios.CheckTCP:        CheckerFunc(checkTCP),
	scenarios.CheckTLS:        CheckerFunc(checkTLS),
	scenarios.CheckMTLS:       CheckerFunc(checkMTLS),
	scenarios.CheckHTTP:       CheckerFunc(checkHTTP),
	scenarios.CheckHTTPS:      CheckerFunc(checkHTTPS),
	scenarios.CheckSIPOptions: CheckerFunc(checkSIPOptions),
	scenarios.CheckCLS:        CheckerFunc(checkCLS),
	scenarios.CheckUDPQUIC:    CheckerFunc(checkUDPQUIC),
	scenarios.CheckH3:         CheckerFunc(checkH3),
	scenarios.CheckHold:       CheckerFunc(checkHold),
}

// remaining is how long ctx has left, or d when it has no deadline.
func remaining(ctx context.Context, d time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return d
}
