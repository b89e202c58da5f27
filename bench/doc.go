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
package bench
