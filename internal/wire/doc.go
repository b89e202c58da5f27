// Package wire is mockdirector's one vocabulary: what crosses the wire between the mock and a
// prober (the mock's Identity, with one encoder and one decoder per carrier: the JSON document,
// the HTTP headers, the SIP header, the CLS banner and the QUIC identity line) and the words for
// outcomes that every package shares (transports, protocols, expectations, checks, observed
// states, verdicts, journal outcomes and reason codes). Each word is defined here once; the
// listeners encode, the prober and the lab decode, the journal, report and metrics print, and
// none of them parses another's prose.
//
// wire imports nothing of mockdirector but the JSON helpers, so every package can use it.
package wire
