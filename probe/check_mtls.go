package probe

import (
	"context"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// checkMTLS runs a handshake presenting the source role's client certificate and waits briefly
// for the server to reject it: handshake-ok means accepted, handshake-failed rejected.
func checkMTLS(ctx context.Context, j *Job) Observation {
	if j.Identity == nil {
		return credentialMissing(j)
	}
	tc, o := handshake(ctx, j, true)
	if tc == nil {
		return o
	}
	defer tc.Close()
	if o.Unverified {
		return o
	}
	if err := awaitRejection(ctx, tc); err != nil {
		rejected(&o, j, err)
		return o
	}
	if !o.CertRequested {
		// A TLS-terminating HLB or proxy with a certificate from the same CA completes the
		// handshake without asking for one: the row claims mutual TLS, which did not happen.
		o.OK, o.Code = false, wire.CodeNoCertRequest
		o.Detail += ", but the server never asked for a client certificate: not mutual TLS (a TLS-terminating HLB or proxy in the path?)"
		return o
	}
	o.Detail += ", client certificate " + describeIdentity(j) + " accepted"
	return o
}

func credentialMissing(j *Job) Observation {
	o := Observation{Observed: wire.StateError, Code: wire.CodeError, Detail: "no client certificate to present"}
	if j.CredentialErr != nil {
		o.Detail += ": " + j.CredentialErr.Error()
	}
	return o
}
