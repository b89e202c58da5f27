// Package certs makes and loads the certificates mockdirector serves and presents: a private root
// CA, a leaf per pool member with the SANs a Lync deployment uses, and the tls.Config pairs that
// listeners and checks use, so neither builds TLS configuration by hand.
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

// Key types. ECDSA P-256 is the default; RSA for sites whose Windows peers want it.
const (
	ECDSAP256 KeyType = "ecdsa-p256"
	RSA2048   KeyType = "rsa2048"
	RSA3072   KeyType = "rsa3072"
	RSA4096   KeyType = "rsa4096"
)

// KeyTypes lists the accepted key types.
var KeyTypes = []KeyType{ECDSAP256, RSA2048, RSA3072, RSA4096}

// ParseKeyType checks a --key value.
func ParseKeyType(s string) (KeyType, error) {
	k := KeyType(s)
	if slices.Contains(KeyTypes, k) {
		return k, nil
	}
	return "", fmt.Errorf("key type %q is not one of ecdsa-p256, rsa2048, rsa3072, rsa4096", s)
}

func newKey(k KeyType) (crypto.Signer, error) {
	switch k {
	case "", ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA2048:
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
	// Key is the key type; empty means ECDSA P-256.
	Key KeyType
	// NotBefore/NotAfter bound validity; zero means now-1h .. now+Validity.
	NotBefore, NotAfter time.Time
	// Validity is used when NotAfter is zero; zero means DefaultValidity.
	Validity time.Duration
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

// DefaultValidity is 825 days: the longest many TLS clients accept for a leaf.
const DefaultValidity = 825 * 24 * time.Hour

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
		nb = now.Add(-time.Hour)
	}
	if na.IsZero() {
		v := req.Validity
		if v == 0 {
			v = DefaultValidity
		}
		na = now.Add(v)
	}
	tpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            pkix.Name{CommonName: req.CommonName, Organization: []string{"mockdirector"}},
		NotBefore:          nb,
		NotAfter:           na,
		SignatureAlgorithm: req.SignatureAlgorithm,
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
