package probe

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/quic-go/quic-go/http3"

	"github.com/mockdirector/mockdirector/listeners"
	"github.com/mockdirector/mockdirector/quicprobe"
	"github.com/mockdirector/mockdirector/scenarios"
)

// checkUDPQUIC proves a UDP path with a QUIC handshake (quicprobe.Handshake): open, refused (an
// ICMP port unreachable came back), filtered (no answer in time) or handshake-failed (something
// answered, but no handshake with a trusted certificate and a common ALPN came of it). It offers
// ALPN "mockdirector" (the mock's QUIC responder, which then says who answered) and h3 (an
// HTTPS listener's HTTP/3 side, or any HTTP/3 server); h3 only for a row of protocol https.
func checkUDPQUIC(ctx context.Context, j *Job) Observation {
	conf := quicTLS(j)
	conf.NextProtos = []string{listeners.QUICALPN, http3.NextProtoH3}
	if j.Row.Protocol == scenarios.ProtoHTTPS {
		conf.NextProtos = []string{http3.NextProtoH3}
	}
	out := quicprobe.Handshake(ctx, j.Target, quicSource(j), conf)
	o := quicObservation(out.State, out.Reason, out.Local, j)
	if o.Observed == ObservedError {
		return o
	}
	o.ALPN, o.QUICVersion, o.TLSVersion = out.ALPN, out.Version, out.TLSVersion
	if out.State == quicprobe.StateOpen {
		o.Identity = withRemoteIP(out.Identity)
		o.Detail = fmt.Sprintf("QUIC %s handshake, ALPN %s, %s, certificate %q", out.Version, out.ALPN, out.TLSVersion, out.ServerCert)
		if out.Reason != "" {
			o.Detail += " (" + out.Reason + ")"
		}
	}
	return o
}

// quicObservation maps a quicprobe state onto the states every check shares.
func quicObservation(state, reason, local string, j *Job) Observation {
	o := Observation{Source: local}
	if o.Source == "" && j.Source.IsValid() {
		o.Source = j.Source.String()
	}
	switch state {
	case quicprobe.StateOpen:
		o.Observed, o.Connected, o.OK = ObservedOpen, true, true
	case quicprobe.StateRefused:
		o.Observed, o.Detail = ObservedRefused, "refused: "+reason
	case quicprobe.StateFiltered:
		o.Observed, o.Detail = ObservedFiltered, "filtered: "+reason
	case quicprobe.StateHandshakeFails:
		if local == "" {
			// The socket never came up: a local problem (bad source address, name not resolved).
			o.Observed, o.Detail = ObservedError, "UDP socket: "+reason
			return o
		}
		o.Observed, o.Connected, o.HandshakeFailed = ObservedHandshakeFailed, true, true
		o.Detail = "QUIC handshake failed: " + reason
	default:
		o.Observed, o.Detail = ObservedError, fmt.Sprintf("quicprobe state %q: %s", state, reason)
	}
	return o
}

// quicTLS is the client side of a QUIC handshake: the job's server name and trust, and its client
// certificate whenever the server asks.
func quicTLS(j *Job) *tls.Config {
	conf := &tls.Config{ServerName: sniName(j.ServerName), RootCAs: j.Roots, MinVersion: tls.VersionTLS13}
	if conf.ServerName == "" {
		conf.ServerName = j.Host
	}
	if j.Identity != nil {
		cert := j.Identity.Cert
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	return conf
}

// quicSource is the source address for quicprobe ("" lets the kernel choose).
func quicSource(j *Job) string {
	if j.Source.IsValid() {
		return j.Source.String()
	}
	return ""
}
