package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"

	"github.com/quic-go/quic-go/http3"

	"github.com/mockdirector/mockdirector/internal/quicprobe"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

// checkUDPQUIC proves a UDP path with a QUIC handshake (quicprobe.Handshake): open, refused (an
// ICMP port unreachable came back), filtered (no answer in time) or handshake-failed (something
// answered, but no handshake with a trusted certificate and a common ALPN came of it). It offers
// ALPN "mockdirector" (the mock's QUIC responder, which then says who answered) and h3 (an
// HTTPS listener's HTTP/3 side, or any HTTP/3 server); h3 only for a row of protocol https.
func checkUDPQUIC(ctx context.Context, j *Job) Observation {
	qv := &quicVerify{j: j}
	conf := qv.config()
	conf.NextProtos = []string{wire.QUICALPN, http3.NextProtoH3}
	if j.Row.Protocol == scenarios.ProtoHTTPS {
		conf.NextProtos = []string{http3.NextProtoH3}
	}
	out := quicprobe.Handshake(ctx, j.Target, quicSource(j), conf)
	o := quicObservation(out.State, out.Code, out.Reason, out.Local, j)
	if o.Observed == wire.StateError {
		return o
	}
	o.ALPN, o.QUICVersion, o.TLSVersion = out.ALPN, out.Version, out.TLSVersion
	qv.record(&o)
	if out.State == wire.StateOpen {
		o.Identity = out.Identity
		o.Detail = fmt.Sprintf("QUIC %s handshake, ALPN %s, %s, certificate %q", out.Version, out.ALPN, out.TLSVersion, out.ServerCert)
		if out.Reason != "" {
			o.Detail += " (" + out.Reason + ")"
		}
	}
	return qv.judged(o)
}

// quicObservation maps a quicprobe state onto the states every check shares.
func quicObservation(state wire.State, code wire.Code, reason, local string, j *Job) Observation {
	o := Observation{Source: local, Code: code}
	if o.Source == "" && j.Source.IsValid() {
		o.Source = j.Source.String()
	}
	switch state {
	case wire.StateOpen:
		o.Observed, o.Connected, o.OK = wire.StateOpen, true, true
	case wire.StateRefused:
		o.Observed, o.Detail = wire.StateRefused, "refused: "+reason
	case wire.StateFiltered:
		o.Observed, o.Detail = wire.StateFiltered, "filtered: "+reason
	case wire.StateHandshakeFailed:
		if local == "" {
			// The socket never came up: a local problem (bad source address, name not resolved).
			o.Observed, o.Code, o.Detail = wire.StateError, wire.CodeError, "UDP socket: "+reason
			return o
		}
		o.Observed, o.Connected, o.HandshakeFailed = wire.StateHandshakeFailed, true, true
		// Only the server's alert refusing the client certificate is known to be the
		// server's own refusal (quicprobe names it so); timeouts and the prober's own
		// refusals of the server's certificate are not.
		o.ServerRefused = code == wire.CodeNoClientCert
		o.Detail = "QUIC handshake failed: " + reason
	default:
		o.Observed, o.Code, o.Detail = wire.StateError, wire.CodeError, fmt.Sprintf("quicprobe state %q: %s", state, reason)
	}
	return o
}

// quicVerify verifies a QUIC server the way handshake verifies a TLS one: the chain before the
// name, the presented chain recorded. It lets the handshake finish whatever the verdict (so the
// mock's identity can be read behind a possible interceptor) and the check fails the row after.
type quicVerify struct {
	j         *Job
	mu        sync.Mutex
	presented []CertLink
	code      wire.Code
	err       error
}

// config is the client side of the handshake: the job's server name, its client certificate
// whenever the server asks, and the verification above.
func (q *quicVerify) config() *tls.Config {
	j := q.j
	conf := &tls.Config{ServerName: sniName(j.ServerName), MinVersion: tls.VersionTLS13,
		InsecureSkipVerify: true, // verified in VerifyConnection, which records instead of aborting
		VerifyConnection: func(st tls.ConnectionState) error {
			code, err := verifyServer(st.PeerCertificates, j)
			q.mu.Lock()
			defer q.mu.Unlock()
			q.presented, q.code, q.err = links(st.PeerCertificates), code, err
			return nil
		},
	}
	if conf.ServerName == "" {
		conf.ServerName = j.Host
	}
	if j.Identity != nil {
		cert := j.Identity.Cert
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	return conf
}

// record puts the presented chain on the observation.
func (q *quicVerify) record(o *Observation) {
	q.mu.Lock()
	defer q.mu.Unlock()
	o.Presented = q.presented
	if len(q.presented) > 0 {
		o.Chain = make([]string, len(q.presented))
		for i, l := range q.presented {
			o.Chain[i] = l.Subject
		}
	}
}

// judged turns an observation over a chain that did not verify into the rejection it is.
func (q *quicVerify) judged(o Observation) Observation {
	q.mu.Lock()
	err, code := q.err, q.code
	q.mu.Unlock()
	if err == nil || !o.Connected {
		return o
	}
	verify := Observation{Code: code, VerifyErr: err, VerifyCode: code, Unverified: true, Detail: "server certificate rejected: " + err.Error()}
	return unverified(verify, o)
}

// quicSource is the source address for quicprobe ("" lets the kernel choose).
func quicSource(j *Job) string {
	if j.Source.IsValid() {
		return j.Source.String()
	}
	return ""
}
