package probe

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
)

// suiteCurve is the suite and curve of a handshake, short enough for a table's reason:
// "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, P-256" (the curve left out for RSA key exchange).
func suiteCurve(st tls.ConnectionState) string {
	s := tls.CipherSuiteName(st.CipherSuite)
	if st.CurveID != 0 {
		s += ", " + wireprofile.CurveName(st.CurveID)
	}
	return s
}

// acceptWait is how long an mtls check waits, after a TLS 1.3 handshake, for the server to
// reject the client certificate (in TLS 1.3 the client finishes first; a rejection arrives as an
// alert on the first read).
const acceptWait = 300 * time.Millisecond

// handshake dials and runs a TLS handshake with the job's server name, verifying the server's
// chain (first), then its name, validity and serverAuth usage against the job's trust. With
// clientCert it presents the job's identity whenever the server asks. The observation records
// the presented chain (subject, issuer, SHA-256 of each).
//
// When the chain does not verify, the connection is still returned, with o.Unverified set: the
// check may complete its read-only request on it to learn the mock's identity (and so tell a TLS
// interceptor, whose leaf the mock does not serve, from a bad certificate), and the judge fails
// the row either way. A nil connection means no TLS came up.
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
	var asked atomic.Bool
	if clientCert && j.Identity != nil {
		cert := j.Identity.Cert
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { asked.Store(true); return &cert, nil }
	}
	if j.ClientProfile != nil {
		conf = j.ClientProfile.ClientTLS(conf) // versions, suites and curves of that host's client
	}
	tc := tls.Client(raw, conf)
	start := time.Now()
	err := tc.HandshakeContext(ctx)
	o.CertRequested = asked.Load()
	st := tc.ConnectionState()
	if len(st.PeerCertificates) > 0 {
		o.ServerCert = summarize(st.PeerCertificates[0])
		o.Chain = subjects(st.PeerCertificates)
		o.Presented = links(st.PeerCertificates)
		if j.Lint != nil {
			o.Lint, o.Linted = certs.Lint(st.PeerCertificates, *j.Lint), true
		}
	}
	if err != nil {
		tc.Close()
		o.OK, o.HandshakeFailed, o.Observed = false, true, wire.StateHandshakeFailed
		if len(st.PeerCertificates) > 0 && !isTimeout(err) {
			// Under TLS 1.2 (the schannel profiles) the server judges the client certificate
			// before the client has finished, so a server that refuses it ends the handshake
			// before the chain is verified below. The chain still goes first: an issuer the
			// trust does not hold is the finding, the refusal that followed is said after it.
			if code, verr := verifyServer(st.PeerCertificates, j); verr != nil {
				o.ProberRejected, o.VerifyErr, o.VerifyCode, o.Code = true, verr, code, code
				o.Detail = "server certificate rejected: " + verr.Error() + " (then the handshake failed: " + err.Error() + ")"
				return nil, o
			}
		}
		switch {
		case isTimeout(err) || errors.Is(err, context.DeadlineExceeded):
			o.Code = wire.CodeNotTLS
			o.Detail = fmt.Sprintf("TCP open but no TLS answer in %s (not a TLS service, or something in the path holds the handshake)", roundDur(time.Since(start)))
		case isRemoteAlert(err) && clientCert:
			rejected(&o, j, err)
		default:
			o.Code = alertCode(err, wire.CodeHandshake)
			o.Detail = "TLS handshake failed: " + err.Error()
			o.ServerRefused = isRemoteAlert(err) || closedByPeer(err)
		}
		if len(st.PeerCertificates) == 0 {
			// An alert or a close before the server showed its (verified) certificate may as
			// well come from a device in the path: no refusal of the server's is known.
			o.ServerRefused, o.EarlyAlert = false, isRemoteAlert(err)
		}
		return nil, o
	}
	o.TLSVersion = tls.VersionName(st.Version)
	o.Negotiated = wireprofile.Negotiated(st)
	if code, err := verifyServer(st.PeerCertificates, j); err != nil {
		o.OK, o.HandshakeFailed, o.ProberRejected, o.Observed = false, true, true, wire.StateHandshakeFailed
		o.Unverified, o.VerifyErr, o.VerifyCode, o.Code = true, err, code, code
		o.Detail = "server certificate rejected: " + err.Error()
		return tc, o
	}
	o.Observed, o.OK = wire.StateHandshakeOK, true
	o.Detail = fmt.Sprintf("%s handshake (%s), certificate %q valid for %s", o.TLSVersion, suiteCurve(st), o.ServerCert.Subject, j.ServerName)
	return tc, o
}

// unverified closes out a check that went on, read-only, over a chain that did not verify:
// what it learnt (the identity, the answer) stays, the row's observation is the rejection.
func unverified(verify, after Observation) Observation {
	after.OK, after.HandshakeFailed, after.ProberRejected = false, true, true
	after.Observed, after.Code = wire.StateHandshakeFailed, verify.Code
	after.Unverified, after.VerifyErr, after.VerifyCode = true, verify.VerifyErr, verify.VerifyCode
	after.Detail = verify.Detail + " (read-only over the unverified connection: " + after.Detail + ")"
	return after
}

// unverifiedOr is unverified(verify, after) when verify is an unverified handshake, else after.
func unverifiedOr(verify, after Observation) Observation {
	if verify.Unverified {
		return unverified(verify, after)
	}
	return after
}

// rejected records that the server refused the client certificate.
func rejected(o *Observation, j *Job, err error) {
	// Called where the server's certificate verified (or, under TLS 1.2, on the alert it sent
	// while judging the client's): the refusal is the server's.
	o.OK, o.HandshakeFailed, o.ServerRefused, o.Observed = false, true, true, wire.StateHandshakeFailed
	def := wire.CodeHandshake // a certificate presented and refused: the alert says why, if it does
	if j.Identity == nil {
		def = wire.CodeNoClientCert
	}
	o.Code = alertCode(err, def)
	o.Detail = "the server rejected the client certificate " + describeIdentity(j) + ": " + err.Error()
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

// isRemoteAlert reports a TLS alert from the peer. crypto/tls wraps an alert it received in a
// *net.OpError of Op "remote error" (its alert type is unexported); tls.AlertError is what a
// QUIC connection and a handshake error carry.
func isRemoteAlert(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return true
	}
	var ae tls.AlertError
	return errors.As(err, &ae)
}

// alertNumber is the TLS alert of a remote error, if any.
func alertNumber(err error) (uint8, bool) {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return uint8(ae), true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil {
		if v := reflect.ValueOf(op.Err); v.Kind() == reflect.Uint8 {
			return uint8(v.Uint()), true
		}
	}
	return 0, false
}

// alertCode classes a TLS alert (RFC 8446 section 6.2), def when there is none or it says
// nothing more.
func alertCode(err error, def wire.Code) wire.Code {
	n, ok := alertNumber(err)
	if !ok {
		return def
	}
	switch n {
	case 116: // certificate_required
		return wire.CodeNoClientCert
	case 48: // unknown_ca
		return wire.CodeUnknownAuthority
	case 45: // certificate_expired
		return wire.CodeExpired
	case 44: // certificate_revoked
		return wire.CodeRevoked
	}
	return def
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

// verifyServer checks the server chain against the trust first, then the expected name, the
// validity period and the serverAuth extended key usage, with a message that says which failed
// and its reason code. The chain goes first: a TLS interceptor's re-signed certificate usually
// carries the right name, or none, and the question is who issued it.
func verifyServer(chain []*x509.Certificate, j *Job) (wire.Code, error) {
	if len(chain) == 0 {
		return wire.CodeHandshake, errors.New("no certificate presented")
	}
	leaf := chain[0]
	now := time.Now()
	if now.After(leaf.NotAfter) {
		return wire.CodeExpired, fmt.Errorf("%q expired on %s", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	if now.Before(leaf.NotBefore) {
		return wire.CodeNotYetValid, fmt.Errorf("%q is not valid before %s (check the clocks)", leaf.Subject.CommonName, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	roots := j.Roots
	if roots == nil {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil {
			return wire.CodeUnknownAuthority, fmt.Errorf("no trust to verify against: pass --certs DIR or --ca FILE")
		}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case err == nil:
	case errors.As(err, &ua):
		if j.Roots == nil {
			hint := "pass --certs DIR or --ca FILE"
			if j.CredentialErr != nil {
				hint = j.CredentialErr.Error()
			}
			return wire.CodeUnknownAuthority, fmt.Errorf("%q is issued by %s, which the system roots do not hold (%s)", leaf.Subject.CommonName, leaf.Issuer, hint)
		}
		return wire.CodeUnknownAuthority, fmt.Errorf("%q is issued by %s%s, which the trust does not hold: the trusted CA bundle does not contain that issuer (another CA, or a TLS interceptor re-signing on the path? check the CA file the prober uses)", leaf.Subject.CommonName, leaf.Issuer, keyID(leaf.AuthorityKeyId))
	case errors.As(err, &ci) && ci.Reason == x509.IncompatibleUsage:
		return wire.CodeBadEKU, fmt.Errorf("%q lacks the serverAuth extended key usage", leaf.Subject.CommonName)
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return wire.CodeExpired, fmt.Errorf("the chain of %q does not verify: %w", leaf.Subject.CommonName, err)
	default:
		return wire.CodeHandshake, err
	}
	var he x509.HostnameError
	if err := leaf.VerifyHostname(j.ServerName); err != nil {
		if errors.As(err, &he) {
			return wire.CodeWrongName, fmt.Errorf("%q is not valid for %s (SANs: %s)", leaf.Subject.CommonName, j.ServerName, strings.Join(sans(leaf), ", "))
		}
		return wire.CodeWrongName, err
	}
	return wire.CodeNone, nil
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

// links is the presented chain as subject, issuer and SHA-256 fingerprint, leaf first.
func links(chain []*x509.Certificate) []CertLink {
	out := make([]CertLink, len(chain))
	for i, c := range chain {
		out[i] = CertLink{Subject: c.Subject.String(), Issuer: c.Issuer.String(), SHA256: Fingerprint(c)}
	}
	return out
}

// Fingerprint is the SHA-256 of a certificate's DER, in lower-case hex (the form
// wire.Identity.CertSHA256 carries).
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
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

// closedByPeer reports a connection the other end closed or reset during the handshake.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(portableDialErr(err), syscall.ECONNRESET)
}
