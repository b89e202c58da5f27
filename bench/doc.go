// Package bench holds the benchmarks of mockdirector (`make bench`): HTTPS keep-alive requests
// against a mock listener, journal on, next to the same load on a bare net/http TLS server with
// the same certificate, so the cost of identity, journaling and the TLS acceptor shows as a ratio.
package bench
