package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/certs"
)

// acceptWait is how long an mtls check waits, after a TLS 1.3 handshake, for the server to
// reject the client certificate (in TLS 1.3 the client finishes first; a rejection arrives as an
// alert on the first read).
const acceptWait = 300 * time.Millisecond

// handshake dials and runs a TLS handshake with the job's server name, verifying the server's
// chain, name, validity and serverAuth usage against the job's trust. With clientCert it presents
// the job's identity whenever the server asks. On success it returns the connection; either way
// the observation carries the server certificate when one was seen.
func handshake(ctx context.Context, j *Job, clientCert bool) (*tls.Conn, Observation) {
	raw, o := dial(ctx, j)
	if raw == nil {
		return nil, o
	}
	conf := &tls.Config{
		ServerName:         sniName(j.ServerName),
		InsecureSkipVerify: true, // verified below, so a bad certificate is reported, not just refused
		MinVersion:         tls.VersionTLS12,
	}
	if clientCert && j.Identity != nil {
		cert := j.Identity.Cert
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	tc := tls.Client(raw, conf)
	start := time.Now()
	err := tc.HandshakeContext(ctx)
	st := tc.ConnectionState()
	if len(st.PeerCertificates) > 0 {
		o.ServerCert = summarize(st.PeerCertificates[0])
		o.Chain = subjects(st.PeerCertificates)
		if j.Lint != nil {
			o.Lint, o.Linted = certs.Lint(st.PeerCertificates, *j.Lint), true
		}
	}
	if err != nil {
		tc.Close()
		o.OK, o.HandshakeFailed, o.Observed = false, true, ObservedHandshakeFailed
		switch {
		case isTimeout(err) || errors.Is(err, context.DeadlineExceeded):
			o.Detail = fmt.Sprintf("TCP open but no TLS answer in %s (not a TLS service, or something in the path holds the handshake)", roundDur(time.Since(start)))
		case isRemoteAlert(err) && clientCert:
			o.Detail = "the server rejected the client certificate " + describeIdentity(j) + ": " + err.Error()
		default:
			o.Detail = "TLS handshake failed: " + err.Error()
		}
		return nil, o
	}
	o.TLSVersion = tls.VersionName(st.Version)
	if err := verifyServer(st.PeerCertificates, j); err != nil {
		tc.Close()
		o.OK, o.HandshakeFailed, o.Observed = false, true, ObservedHandshakeFailed
		o.Detail = "server certificate rejected: " + err.Error()
		return nil, o
	}
	o.Observed, o.OK = ObservedHandshakeOK, true
	o.Detail = fmt.Sprintf("%s handshake, certificate %q valid for %s", o.TLSVersion, o.ServerCert.Subject, j.ServerName)
	return tc, o
}

// awaitRejection reads briefly after the handshake so a TLS 1.3 server's rejection of the client
// certificate shows. It returns an error only for a rejection.
func awaitRejection(ctx context.Context, tc *tls.Conn) error {
	wait := min(acceptWait, remaining(ctx, acceptWait))
	tc.SetReadDeadline(time.Now().Add(wait))
	defer tc.SetReadDeadline(time.Time{})
	var b [1]byte
	_, err := tc.Read(b[:])
	if err != nil && !isTimeout(err) {
		return err
	}
	return nil
}

func isRemoteAlert(err error) bool {
	return err != nil && strings.Contains(err.Error(), "remote error: tls:")
}

func describeIdentity(j *Job) string {
	if j.Identity == nil || j.Identity.Leaf == nil {
		return "(none presented)"
	}
	return fmt.Sprintf("(CN=%s, issuer %s)", j.Identity.Leaf.Subject.CommonName, j.Identity.Leaf.Issuer.CommonName)
}

func sniName(name string) string {
	if net.ParseIP(name) != nil {
		return ""
	}
	return name
}

// verifyServer checks the server chain against the trust, the expected name, the validity
// period and the serverAuth extended key usage, with a message that says which failed.
func verifyServer(chain []*x509.Certificate, j *Job) error {
	if len(chain) == 0 {
		return errors.New("no certificate presented")
	}
	leaf := chain[0]
	now := time.Now()
	if now.After(leaf.NotAfter) {
		return fmt.Errorf("%q expired on %s", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	if now.Before(leaf.NotBefore) {
		return fmt.Errorf("%q is not valid before %s (check the clocks)", leaf.Subject.CommonName, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	roots := j.Roots
	if roots == nil {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil {
			return fmt.Errorf("no trust to verify against: pass --certs DIR or --ca FILE")
		}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: j.ServerName, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	var he x509.HostnameError
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &he):
		return fmt.Errorf("%q is not valid for %s (SANs: %s)", leaf.Subject.CommonName, j.ServerName, strings.Join(sans(leaf), ", "))
	case errors.As(err, &ua):
		if j.Roots == nil {
			hint := "pass --certs DIR or --ca FILE"
			if j.CredentialErr != nil {
				hint = j.CredentialErr.Error()
			}
			return fmt.Errorf("%q is issued by %q, which the system roots do not hold (%s)", leaf.Subject.CommonName, leaf.Issuer.CommonName, hint)
		}
		return fmt.Errorf("%q is issued by %q%s, which the trust does not hold (another CA? check the CA file the prober uses)", leaf.Subject.CommonName, leaf.Issuer.CommonName, keyID(leaf.AuthorityKeyId))
	case errors.As(err, &ci) && ci.Reason == x509.IncompatibleUsage:
		return fmt.Errorf("%q lacks the serverAuth extended key usage", leaf.Subject.CommonName)
	}
	return err
}

// keyID shortens an authority key identifier for a message: two CAs of the same name differ here.
func keyID(id []byte) string {
	if len(id) == 0 {
		return ""
	}
	return fmt.Sprintf(" (key id %x)", id[:min(len(id), 6)])
}

func summarize(c *x509.Certificate) *CertSummary {
	return &CertSummary{Subject: c.Subject.String(), SANs: sans(c), Issuer: c.Issuer.String(), NotAfter: c.NotAfter.UTC()}
}

// subjects lists the subject of every certificate of a chain, leaf first.
func subjects(chain []*x509.Certificate) []string {
	out := make([]string, len(chain))
	for i, c := range chain {
		out[i] = c.Subject.String()
	}
	return out
}

func sans(c *x509.Certificate) []string {
	out := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}
