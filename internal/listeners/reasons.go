package listeners

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// errNoClientCert is a handshake without a client certificate on a listener that requires one.
var errNoClientCert = errors.New("no client certificate")

// MinRSABits is the smallest RSA key a client certificate may have before a refused handshake
// is put down to the key (crypto/rsa refuses smaller keys outright).
const MinRSABits = 1024

// DefaultMinClientRSABits is the smallest RSA key a client certificate may have on a listener
// that verifies client certificates (Limits.MinClientRSABits): what current CAs issue and
// NIST allows after 2013. A lab whose peers still have Lync's documented minimum (1024) sets
// serve --min-client-rsa-bits 1024.
const DefaultMinClientRSABits = 2048

// weakKeyError is a chain that verifies, with an RSA leaf key below the listener's minimum.
type weakKeyError struct{ bits, min int }

func (e *weakKeyError) Error() string {
	return fmt.Sprintf("RSA %d-bit key, below the %d bits this listener requires", e.bits, e.min)
}

// verifyClient parses the client's chain and verifies it for client authentication against
// roots, with an RSA leaf key of at least minRSA bits (0: DefaultMinClientRSABits, negative: no
// minimum beyond crypto/tls's own). It returns what the journal shows of the leaf, the parsed
// leaf, and why it does not verify.
func verifyClient(rawCerts [][]byte, roots *x509.CertPool, minRSA int) (*journal.CertInfo, *x509.Certificate, error) {
	if len(rawCerts) == 0 {
		return nil, nil, errNoClientCert
	}
	var chain []*x509.Certificate
	for _, r := range rawCerts {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return nil, nil, fmt.Errorf("client certificate does not parse: %w", err)
		}
		chain = append(chain, c)
	}
	return verifyChain(chain, roots, minRSA)
}

// verifyChain is verifyClient for a chain crypto/tls parsed already (ConnectionState's
// PeerCertificates): the handshake and the web handler check the certificates the connection
// holds instead of parsing a second copy of them.
func verifyChain(chain []*x509.Certificate, roots *x509.CertPool, minRSA int) (*journal.CertInfo, *x509.Certificate, error) {
	if len(chain) == 0 {
		return nil, nil, errNoClientCert
	}
	info := certInfo(chain[0])
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil && weakSignature(chain) {
		// crypto/x509 reports a SHA-1 signature as an unknown authority; the chain says why.
		err = &weakSignatureError{err: err, alg: weakAlg(chain)}
	}
	if minRSA == 0 {
		minRSA = DefaultMinClientRSABits
	}
	if k, ok := chain[0].PublicKey.(*rsa.PublicKey); ok && err == nil && minRSA > 0 && k.N.BitLen() < minRSA {
		err = &weakKeyError{bits: k.N.BitLen(), min: minRSA}
	}
	info.Verified = err == nil
	return info, chain[0], err
}

// weakSignatureError is a chain refused because a certificate in it is signed with SHA-1 or
// worse.
type weakSignatureError struct {
	err error
	alg x509.SignatureAlgorithm
}

func (e *weakSignatureError) Error() string { return e.err.Error() }
func (e *weakSignatureError) Unwrap() error { return e.err }

// hashName names the hash of a weak signature algorithm the way people say it.
func hashName(alg x509.SignatureAlgorithm) string {
	switch alg {
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return "SHA-1"
	case x509.MD5WithRSA:
		return "MD5"
	case x509.MD2WithRSA:
		return "MD2"
	}
	return alg.String()
}

// weakSignature reports whether a certificate of the chain is signed with an algorithm current
// TLS stacks refuse.
func weakSignature(chain []*x509.Certificate) bool {
	return weakAlg(chain) != x509.UnknownSignatureAlgorithm
}

// weakAlg is the first weak signature algorithm of the chain (UnknownSignatureAlgorithm: none).
func weakAlg(chain []*x509.Certificate) x509.SignatureAlgorithm {
	for _, c := range chain {
		switch c.SignatureAlgorithm {
		case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
			return c.SignatureAlgorithm
		}
	}
	return x509.UnknownSignatureAlgorithm
}

func certInfo(c *x509.Certificate) *journal.CertInfo {
	return &journal.CertInfo{Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: c.SerialNumber.Text(16)}
}

// certProblem classifies why a client certificate was not accepted: the code, and a few words.
func certProblem(err error, leaf *x509.Certificate) (wire.Code, string) {
	var ws *weakSignatureError
	var us *unknownServerError
	var wk *weakKeyError
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case errors.Is(err, errNoClientCert):
		return wire.CodeNoClientCert, "no client certificate (this listener requires mutual TLS)"
	case errors.As(err, &us):
		return wire.CodeUnknownServer, us.Error()
	case errors.As(err, &wk):
		return wire.CodeWeakKey, wk.Error() + " (re-issue it with 2048 bits or more; a lab that needs 1024 runs serve --min-client-rsa-bits 1024)"
	case errors.As(err, &ws):
		return wire.CodeWeakSignature, fmt.Sprintf("signed with an insecure algorithm (%s): re-issue it from a CA that signs with SHA-256", hashName(ws.alg))
	case errors.As(err, &ua):
		return wire.CodeUnknownAuthority, "unknown authority (not issued by a CA this listener trusts)"
	case errors.As(err, &ci):
		switch ci.Reason {
		case x509.Expired:
			if ci.Cert != nil && time.Now().Before(ci.Cert.NotBefore) {
				return wire.CodeNotYetValid, "expired or not yet valid: " + ci.Detail
			}
			return wire.CodeExpired, "expired or not yet valid: " + ci.Detail
		case x509.IncompatibleUsage:
			return wire.CodeBadEKU, "bad EKU (the certificate is not valid for client authentication)"
		case x509.NotAuthorizedToSign:
			return wire.CodeUnknownAuthority, "issuer is not a CA"
		}
		return wire.CodeHandshake, ci.Error()
	}
	if weakKey(leaf) {
		return wire.CodeWeakKey, "the key is too small: " + err.Error()
	}
	return wire.CodeHandshake, err.Error()
}

// weakKey reports whether the certificate's key is smaller than crypto/tls accepts.
func weakKey(c *x509.Certificate) bool {
	if c == nil {
		return false
	}
	k, ok := c.PublicKey.(*rsa.PublicKey)
	return ok && k.N.BitLen() < MinRSABits
}

// handshakeProblem classifies a failed server handshake the way the report prints it.
func handshakeProblem(err, verifyErr error, leaf *x509.Certificate) (wire.Code, string) {
	if verifyErr != nil {
		code, why := certProblem(verifyErr, leaf)
		if code == wire.CodeNoClientCert {
			return code, why
		}
		return code, "client certificate refused: " + why
	}
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case noClientCertificate(err):
		return wire.CodeNoClientCert, "no client certificate (this listener requires mutual TLS)"
	case errors.Is(err, context.DeadlineExceeded):
		return wire.CodeTimeout, fmt.Sprintf("handshake not finished in %s", HandshakeTimeout)
	case errors.As(err, &rh):
		return wire.CodeNotTLS, "not TLS (plain text on a TLS port)"
	case isRemoteAlert(err):
		return wire.CodeHandshake, "the client refused the handshake (it may have refused our certificate): " + err.Error()
	case errors.As(err, &alert):
		return wire.CodeHandshake, err.Error()
	case weakKey(leaf):
		return wire.CodeWeakKey, fmt.Sprintf("the client certificate's key is smaller than %d bits: %v", MinRSABits, err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		return wire.CodeHandshake, "client closed the connection during the handshake (it may have refused our certificate): " + err.Error()
	}
	return wire.CodeHandshake, err.Error()
}

// noClientCertificate recognises crypto/tls's refusal of a handshake without a client
// certificate under RequireAnyClientCert. crypto/tls exports no error value for it (it is an
// errors.New in handshake_server.go), so this one case reads the message; the alert the client
// gets (certificate_required) is crypto/tls's own and stays as it is.
func noClientCertificate(err error) bool {
	return strings.Contains(err.Error(), "client didn't provide a certificate")
}

// isRemoteAlert reports whether the handshake ended on an alert the client sent.
func isRemoteAlert(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "remote error"
}

// connectOnlyReason says why a connection that sent nothing was journaled as connect-only.
func connectOnlyReason(err error) string {
	const why = "no ClientHello: a TCP health monitor or a scanner"
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("%s (idle for %s, then closed)", why, HandshakeTimeout)
	}
	return why + " (closed without sending anything)"
}
