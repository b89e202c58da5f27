// Package bench holds the benchmarks of mockdirector (`make bench`): HTTPS keep-alive requests
// against a mock listener, journal on, next to the same load on a bare net/http TLS server with
// the same certificate, so the cost of identity, journaling and the TLS acceptor shows as a ratio.
//
// Those run in one process with 8 clients, which is not how users load the mock. The scripts
// beside them do: bench/https.sh (wrk, 64 connections, keep-alive and new connections, against
// the mock's 443 and a bare net/http TLS server), bench/sip.sh (SIP OPTIONS over mutual TLS at
// 32 connections, against the mock's 5061 and a bare sipgo server) and bench/idle.sh (RSS per
// idle mutual-TLS connection at 10,000), each printing the figures of one run side by side.
// bench/profile.sh takes a CPU profile of the mock under the same loads, and bench/journalcost.sh
// sets the mock with its journal beside the mock journaling nothing. The peers and load
// clients they start are in bench/cmd.
//
// Like with like: the bare peers are held to the TLS the mock's wire profile negotiates with
// the load client (the default profile: TLS 1.2 with TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 for
// wrk's OpenSSL, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA for Go's client, P-256, no session tickets;
// bench/cmd/internal/baretls), and the scripts check both sides negotiated the same before they
// load. Against Go's default TLS 1.3 AES-GCM the ratio measured the suite more than the mock.
// On a machine shared with other work the scripts print each server's CPU time per request
// beside its req/s: a server starved of CPU answers fewer requests but spends the same on each,
// so bare/mock CPU per request is the steadier figure. bench/cmd/mockprof -pprof serves the
// live mock's heap, goroutine, mutex and block profiles (the 10k idle connection heap, say);
// bareweb and baresip take -cpuprofile to set beside the mock's.
package bench
