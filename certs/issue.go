// Package certs makes and loads the certificates mockdirector serves and presents: a private root
// CA, a leaf per pool member with the SANs a Lync deployment uses, the CA's CRL and its
// publication at the CDP and AIA URLs (crl.go, pkiserve.go), the Lync lint, and the tls.Config
// pairs that listeners and checks use, so neither builds TLS configuration by hand.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"slices"
	"time"
)

// KeyType names a key algorithm and size.
type KeyType string

// Key types. RSA 2048 is the default: it is what Lync Server 2013 recommends and what its
// Windows Server 2012 R2 peers and older hardware load balancers expect; ECDSA P-256 stays an
// option (the lint warns about it for the Lync roles).
const (
	ECDSAP256 KeyType = "ecdsa-p256"
	RSA2048   KeyType = "rsa2048"
	RSA3072   KeyType = "rsa3072"
	RSA4096   KeyType = "rsa4096"
)

// DefaultKeyType is the key type of a Request or Options that names none.
const DefaultKeyType = RSA2048

// KeyTypes lists the accepted key types.
var KeyTypes = []KeyType{RSA2048, RSA3072, RSA4096, ECDSAP256}

// ParseKeyType checks a --key-type value.
func ParseKeyType(s string) (KeyType, error) {
	k := KeyType(s)
	if slices.Contains(KeyTypes, k) {
		return k, nil
	}
	return "", fmt.Errorf("key type %q is not one of rsa2048, rsa3072, rsa4096, ecdsa-p256", s)
}

func newKey(k KeyType) (crypto.Signer, error) {
	switch k {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "", RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	}
	return nil, fmt.Errorf("key type %q is not supported", k)
}

// Pair is a certificate with its private key.
type Pair struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Request describes a certificate to issue.
type Request struct {
	// CommonName is the subject CN: the pool FQDN for a Lync server (IIS and the Lync
	// certificate wizard show the CN, and Lync expects the pool FQDN there).
	CommonName string
	// DNSNames and IPs are the SANs, in order; duplicates are dropped.
	DNSNames []string
	IPs      []net.IP
	// Key is the key type; empty means DefaultKeyType (RSA 2048).
	Key KeyType
	// NotBefore/NotAfter bound validity; zero NotBefore means now-Backdate, zero NotAfter means
	// NotBefore+Validity: the backdate is part of the validity, never added to it.
	NotBefore, NotAfter time.Time
	// Validity is used when NotAfter is zero; zero means DefaultValidity.
	Validity time.Duration
	// CRLURLs and IssuerURLs become the CRL Distribution Points and the AIA caIssuers URLs
	// (PKI.Extensions gives the mock's own). Lync requires a CDP on every server certificate.
	CRLURLs, IssuerURLs []string
	// ExtKeyUsage defaults to serverAuth+clientAuth: every MTLS hop of Lync needs both.
	ExtKeyUsage []x509.ExtKeyUsage
	// CA makes a CA certificate.
	CA bool
	// SignatureAlgorithm overrides the default (used by the fault set).
	SignatureAlgorithm x509.SignatureAlgorithm
	// PrivateKey, when set, is certified instead of a new key of type Key (the fault set uses
	// it for an RSA 1024 key, which Key does not offer).
	PrivateKey crypto.Signer
}

// DefaultValidity is 825 days, backdate included: the longest many TLS clients (and testssl's
// check) accept for a leaf.
const DefaultValidity = 825 * 24 * time.Hour

// Backdate is how far before now a certificate becomes valid, so a peer whose clock lags a little
// accepts it. It is taken out of the validity, not added to it.
const Backdate = time.Hour

// Issue signs a new certificate for req with parent (nil: self-signed).
func Issue(req Request, parent *Pair) (*Pair, error) {
	key, err := req.PrivateKey, error(nil)
	if key == nil {
		key, err = newKey(req.Key)
	}
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	nb, na := req.NotBefore, req.NotAfter
	if nb.IsZero() {
		nb = now.Add(-Backdate)
	}
	if na.IsZero() {
		v := req.Validity
		if v == 0 {
			v = DefaultValidity
		}
		na = nb.Add(v)
	}
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: req.CommonName, Organization: []string{"mockdirector"}},
		NotBefore:             nb,
		NotAfter:              na,
		SignatureAlgorithm:    req.SignatureAlgorithm,
		CRLDistributionPoints: req.CRLURLs,
		IssuingCertificateURL: req.IssuerURLs,
	}
	if req.CA {
		tpl.IsCA = true
		tpl.BasicConstraintsValid = true
		tpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tpl.KeyUsage = x509.KeyUsageDigitalSignature
		if _, isRSA := key.(*rsa.PrivateKey); isRSA {
			tpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		tpl.ExtKeyUsage = req.ExtKeyUsage
		if tpl.ExtKeyUsage == nil {
			tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		}
		seen := map[string]bool{}
		for _, n := range req.DNSNames {
			if n != "" && !seen[n] {
				seen[n] = true
				tpl.DNSNames = append(tpl.DNSNames, n)
			}
		}
		tpl.IPAddresses = req.IPs
	}
	signerCert, signerKey := tpl, key
	if parent != nil {
		signerCert, signerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, signerCert, key.Public(), signerKey)
	if err != nil {
		return nil, fmt.Errorf("issue %s: %w", req.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Pair{Cert: cert, Key: key}, nil
}
