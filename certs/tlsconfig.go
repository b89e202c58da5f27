package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
)

// Identity is what one side of a TLS hop holds: its chain and key, and the roots it trusts.
type Identity struct {
	// Cert is the chain (leaf first, intermediates after) and key, ready for crypto/tls.
	Cert tls.Certificate
	// Leaf is the parsed leaf certificate.
	Leaf *x509.Certificate
	// Roots are the CAs this side trusts for its peer.
	Roots *x509.CertPool
	// Source says where it came from, for messages.
	Source string
	// PKI, for an identity of a certificate directory (LoadFromDir), publishes the directory's
	// CA certificates and CRLs (PKIHandler) and makes ServerConfig refuse a revoked client
	// certificate. Nil for the site's own certificates.
	PKI *PKIStore
}

// LoadIdentity reads a PEM chain, its key and a CA bundle.
func LoadIdentity(certFile, keyFile, caFile string) (*Identity, error) {
	chain, err := ReadCerts(certFile)
	if err != nil {
		return nil, err
	}
	pair, err := LoadPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	if !publicKeysMatch(pair.Key.Public(), chain[0].PublicKey) {
		return nil, fmt.Errorf("%s does not hold the private key of %s", keyFile, certFile)
	}
	roots, err := LoadPool(caFile)
	if err != nil {
		return nil, err
	}
	id := &Identity{Leaf: chain[0], Roots: roots, Source: certFile}
	id.Cert.PrivateKey = pair.Key
	id.Cert.Leaf = chain[0]
	for _, c := range chain {
		id.Cert.Certificate = append(id.Cert.Certificate, c.Raw)
	}
	return id, nil
}

// LoadFromDir loads identity name (a member FQDN, or ProbeName) from a certs init directory.
func LoadFromDir(dir, name string) (*Identity, error) {
	id, err := LoadIdentity(CertPath(dir, name), KeyPath(dir, name), filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, err
	}
	id.PKI = OpenPKI(dir)
	return id, nil
}

// LoadPool reads a PEM CA bundle into a pool.
func LoadPool(caFile string) (*x509.CertPool, error) {
	cas, err := ReadCerts(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range cas {
		pool.AddCert(c)
	}
	return pool, nil
}

// ServerConfig is the server side of a hop. mtls requires and verifies a client certificate
// against Roots; otherwise a client certificate is asked for but not required, so the journal can
// still record it. With PKI set, a client certificate (or intermediate) that the directory's CRL
// lists fails the handshake with a *RevokedError (VerifyConnection, which also runs on session
// resumption and survives Clone, so a listener that sets its own VerifyPeerCertificate keeps it).
func (id *Identity) ServerConfig(mtls bool) *tls.Config {
	c := &tls.Config{
		Certificates: []tls.Certificate{id.Cert},
		ClientCAs:    id.Roots,
		MinVersion:   tls.VersionTLS12,
		ClientAuth:   tls.VerifyClientCertIfGiven,
	}
	if mtls {
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if id.PKI != nil {
		c.VerifyConnection = RevocationCheck(id.PKI)
	}
	return c
}

// RevocationCheck is a tls.Config.VerifyConnection that refuses a peer certificate chain the
// store's CRLs list (a *RevokedError), on either side of a hop (a prober that builds its own
// tls.Config sets it too). No peer certificate passes: whether one is required is ClientAuth's
// business.
func RevocationCheck(s *PKIStore) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return nil
		}
		return s.CheckRevoked(cs.PeerCertificates)
	}
}

// ClientConfig is the client side of a hop: it verifies the server as serverName against Roots
// and always sends its certificate when asked, even one that does not chain to the CAs the
// server names (crypto/tls would otherwise send none, and a test of "the server rejects this
// certificate" would only prove "no certificate").
//
// With PKI set, a server certificate the directory's CRL lists fails the handshake with a
// *RevokedError, as a Lync server refuses a revoked peer on its outgoing MTLS hops.
func (id *Identity) ClientConfig(serverName string) *tls.Config {
	cert := id.Cert
	c := &tls.Config{
		ServerName: serverName,
		RootCAs:    id.Roots,
		MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cert, nil
		},
	}
	if id.PKI != nil {
		c.VerifyConnection = RevocationCheck(id.PKI)
	}
	return c
}

func publicKeysMatch(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := a.(equaler); ok {
		return e.Equal(b)
	}
	return false
}

func parseKey(data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, err
			}
			switch k := k.(type) {
			case *rsa.PrivateKey:
				return k, nil
			case *ecdsa.PrivateKey:
				return k, nil
			case ed25519.PrivateKey:
				return k, nil
			}
			return nil, fmt.Errorf("unsupported key type %T", k)
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			return x509.ParseECPrivateKey(b.Bytes)
		}
	}
	return nil, errors.New("no PEM private key in the file")
}
