package probe

import "context"

// checkTLS runs a handshake and verifies the server's certificate: chain, name, validity,
// serverAuth; the TLS version, suite and curve are recorded. It presents the job's client
// identity only when the server asks for one: under TLS 1.2 (every Windows profile) a server
// that requires a client certificate ends the handshake before it completes, so a tls check on
// an MTLS port (5061, 50001-50003) would otherwise never see the end of the handshake.
func checkTLS(ctx context.Context, j *Job) Observation {
	tc, o := handshake(ctx, j, true)
	// A tls check learns no identity, so an unverified chain is judged as it is: the verify
	// error names an untrusted issuer before any name mismatch.
	if tc != nil {
		tc.Close()
	}
	return o
}
