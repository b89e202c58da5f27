package probe

import "context"

// checkTLS runs a handshake without a client certificate and verifies the server's: chain,
// name, validity, serverAuth; the TLS version is recorded.
func checkTLS(ctx context.Context, j *Job) Observation {
	tc, o := handshake(ctx, j, false)
	// A tls check learns no identity, so an unverified chain is judged as it is: the verify
	// error names an untrusted issuer before any name mismatch.
	if tc != nil {
		tc.Close()
	}
	return o
}
