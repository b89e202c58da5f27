package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/quic-go/quic-go"
)

// ALPNs the lab's QUIC check offers: HTTP/3 (the Directors' 443) and the mock's QUIC responder
// (4443, 5061). Written here, not taken from the prober or the mock, to keep the lab independent.
var quicALPNs = []string{"h3", "mockdirector"}

// quicOn is the lab's own UDP check: a QUIC handshake with quic-go from the case's namespace and
// source. Success is obsOpen (the negotiated ALPN goes to Listener, the server certificate's
// subject to Member); no handshake in the timeout is obsFiltered. The socket is unconnected, so
// an ICMP port unreachable is not seen: a closed port reads as filtered here (both deny), unlike
// in mockdirector probe, which tells them apart.
func (e *checkEnv) quicOn(ctx context.Context, c matrixCase, r *caseResult) (string, error) {
	raddr, err := net.ResolveUDPAddr("udp", c.Target)
	if err != nil {
		return obsFailed, fmt.Errorf("QUIC target: %w", err)
	}
	pc, err := listenUDPFrom(c.NS, c.Src)
	if err != nil {
		return obsFailed, err
	}
	tr := &quic.Transport{Conn: pc}
	defer pc.Close()
	defer tr.Close()
	conf := &tls.Config{RootCAs: e.pool, ServerName: c.ServerName, MinVersion: tls.VersionTLS13, NextProtos: quicALPNs}
	if c.ClientCert != "" {
		kp, err := tls.LoadX509KeyPair(filepath.Join(e.Certs, c.ClientCert+".crt"), filepath.Join(e.Certs, c.ClientCert+".key"))
		if err != nil {
			return obsFailed, fmt.Errorf("lab: client certificate: %w", err)
		}
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &kp, nil }
	}
	conn, err := tr.Dial(ctx, raddr, conf, &quic.Config{HandshakeIdleTimeout: e.Timeout})
	if err != nil {
		var idle *quic.IdleTimeoutError
		var hs *quic.HandshakeTimeoutError
		if errors.As(err, &idle) || errors.As(err, &hs) {
			return obsFiltered, fmt.Errorf("QUIC handshake: %w", err)
		}
		if o := classify(err); o != obsFailed {
			return o, fmt.Errorf("QUIC handshake: %w", err)
		}
		return obsFailed, fmt.Errorf("QUIC handshake: %w", err)
	}
	st := conn.ConnectionState()
	r.Listener = "udp/quic alpn=" + st.TLS.NegotiatedProtocol
	if certs := st.TLS.PeerCertificates; len(certs) > 0 {
		r.Member = "cert " + strings.TrimSpace(certs[0].Subject.CommonName)
	}
	conn.CloseWithError(0, "mdlab: handshake only")
	return obsOpen, nil
}
