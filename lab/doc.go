// Package lab is the end-to-end firewall lab, run by its own suite (go test ./lab, as root):
// network namespaces (every name starts with mdlab-, built under the prefix's lease, so one run
// at a time on a host) joined through an mdlab-fw router that enforces the hand-written
// firewall.nft, real peers (HAProxy as the Director HLB, with nftables DNAT as its UDP side;
// nginx as the reverse proxy; kamailio as the Edge internal interface), mockdirector serve for
// every Director and Front End member (the Directors also answer QUIC: HTTP/3 on 443, the QUIC
// responder on 4443 and 5061), and checks that run from inside the source namespaces. The e2e
// suite (lab_test.go) asserts the whole matrix and a set of firewall mutations against it. The
// package exports nothing: its code serves only that suite.
package lab
