package winstore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Store is what the selection needs of an operating system certificate store: on Windows the
// machine's store (Open); in tests, a stand-in, since no real store is reachable there.
type Store interface {
	// Name is the store as messages name it, e.g. LocalMachine\My.
	Name() string
	// Identities are the store's certificates that have a private key, each with the chain
	// the system built for it (leaf first; the root last when the system found one).
	Identities() ([]Identity, error)
	// Certificates are all the store's certificates, with or without a private key: what the
	// messages list when a thumbprint matches no identity.
	Certificates() ([]*x509.Certificate, error)
}

// Identity is one certificate of a store that has a private key.
type Identity struct {
	// Chain is the leaf first, then the issuers the system found, up to the root.
	Chain []*x509.Certificate
	// Signer opens the private key (Windows: CryptAcquireCertificatePrivateKey, CNG first).
	Signer func() (crypto.Signer, error)
}

// Selection is the certificate a thumbprint selected, ready to serve.
type Selection struct {
	// Cert is the served chain (the leaf and its intermediates, not the root) with its key.
	Cert tls.Certificate
	// Leaf is the selected certificate.
	Leaf *x509.Certificate
	// Root is the self-signed root the system chained the leaf to; nil when it found none.
	Root *x509.Certificate
	// Notes say what a person should know about the key (no RSA-PSS: no TLS 1.3).
	Notes []string
}

// Errors of the selection; each comes wrapped with the details and the fix.
var (
	// ErrNotFound: no certificate of the store has the thumbprint.
	ErrNotFound = errors.New("no certificate with that thumbprint")
	// ErrNoPrivateKey: the certificate is there but Windows holds no private key for it.
	ErrNoPrivateKey = errors.New("no private key")
	// ErrCACertificate: the thumbprint is a CA's, not a server certificate's.
	ErrCACertificate = errors.New("a CA certificate")
	// ErrKey: the private key could not be opened, does not match, or does not sign.
	ErrKey = errors.New("private key unusable")
)

// maxListed bounds the certificates a not-found message lists.
const maxListed = 12

// Select finds the certificate whose thumbprint is t in s, opens its private key and checks
// that it signs (a PKCS#1 v1.5 signature, verified with the certificate's public key), so a
// key serve cannot use fails at start and not at the first handshake.
func Select(s Store, t Thumbprint) (*Selection, error) {
	ids, idErr := s.Identities()
	for _, id := range ids {
		if len(id.Chain) > 0 && ThumbprintOf(id.Chain[0]) == t {
			return selected(s, t, id)
		}
	}
	for _, id := range ids {
		for _, c := range id.Chain[1:] {
			if ThumbprintOf(c) == t {
				return nil, fmt.Errorf("%s %s is %q, the CA that issued %q (%w): pass the thumbprint of the server's own certificate, %s",
					s.Name(), t, c.Subject.CommonName, id.Chain[0].Subject.CommonName, ErrCACertificate, ThumbprintOf(id.Chain[0]))
			}
		}
	}
	all, certErr := s.Certificates()
	for _, c := range all {
		if ThumbprintOf(c) != t {
			continue
		}
		if c.IsCA {
			return nil, fmt.Errorf("%s %s is %q, %w: pass the thumbprint of the server's own certificate", s.Name(), t, c.Subject.CommonName, ErrCACertificate)
		}
		if idErr != nil {
			return nil, fmt.Errorf("%s %s (%q) is there, but the certificates with a private key could not be read: %w", s.Name(), t, c.Subject.CommonName, idErr)
		}
		return nil, fmt.Errorf("%s %s (%q): %w: import it with its key (the PFX: Import-PfxCertificate -CertStoreLocation Cert:\\LocalMachine\\My), or, for a certificate requested on another host, export it there with its private key (certlm.msc: All Tasks, Export, Yes, export the private key)",
			s.Name(), t, c.Subject.CommonName, ErrNoPrivateKey)
	}
	err := fmt.Errorf("%s: %w %s%s", s.Name(), ErrNotFound, t, listing(ids, all, idErr == nil))
	if idErr != nil {
		err = fmt.Errorf("%w (and the certificates with a private key could not be read: %w)", err, idErr)
	}
	if certErr != nil {
		err = fmt.Errorf("%w (and the store's certificates could not be listed: %w)", err, certErr)
	}
	return nil, err
}

// listing names the certificates a person could have meant: those with a private key that
// are not CAs, then those without one, marked so when the identities were read (keysKnown).
func listing(ids []Identity, all []*x509.Certificate, keysKnown bool) string {
	var lines []string
	seen := map[Thumbprint]bool{}
	for _, id := range ids {
		if len(id.Chain) == 0 || id.Chain[0].IsCA {
			continue
		}
		seen[ThumbprintOf(id.Chain[0])] = true
		lines = append(lines, describe(id.Chain[0], ""))
	}
	note := " (no private key)"
	if !keysKnown {
		note = ""
	}
	for _, c := range all {
		if !seen[ThumbprintOf(c)] && !c.IsCA {
			lines = append(lines, describe(c, note))
		}
	}
	if len(lines) == 0 {
		return "; the store holds no server certificate: import the PFX first (Import-PfxCertificate -CertStoreLocation Cert:\\LocalMachine\\My)"
	}
	more := ""
	if len(lines) > maxListed {
		more = fmt.Sprintf("\n  ... and %d more (Get-ChildItem Cert:\\LocalMachine\\My)", len(lines)-maxListed)
		lines = lines[:maxListed]
	}
	return "; the store holds:\n  " + strings.Join(lines, "\n  ") + more
}

func describe(c *x509.Certificate, note string) string {
	return fmt.Sprintf("%s  %s  expires %s%s", ThumbprintOf(c), c.Subject.CommonName, c.NotAfter.UTC().Format(time.DateOnly), note)
}

// selected opens and checks the key of the identity id and splits its chain into what is
// served and the root.
func selected(s Store, t Thumbprint, id Identity) (*Selection, error) {
	leaf := id.Chain[0]
	if leaf.IsCA {
		return nil, fmt.Errorf("%s %s is %q, %w: pass the thumbprint of the server's own certificate", s.Name(), t, leaf.Subject.CommonName, ErrCACertificate)
	}
	where := fmt.Sprintf("%s %s (%q)", s.Name(), t, leaf.Subject.CommonName)
	key, err := id.Signer()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w (run serve as Administrator, or give its account Read on the key: certlm.msc, Personal, the certificate, All Tasks, Manage Private Keys)", where, ErrKey, err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := key.Public().(equaler); !ok || !e.Equal(leaf.PublicKey) {
		return nil, fmt.Errorf("%s: %w: the key Windows returned is not the certificate's (re-import the PFX)", where, ErrKey)
	}
	sel := &Selection{Leaf: leaf}
	sel.Cert.Leaf = leaf
	sel.Cert.PrivateKey = key
	for i, c := range id.Chain {
		if i > 0 && i == len(id.Chain)-1 && isSelfSigned(c) {
			sel.Root = c
			break
		}
		sel.Cert.Certificate = append(sel.Cert.Certificate, c.Raw)
	}
	schemes, notes, err := keySchemes(key, leaf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", where, ErrKey, err)
	}
	sel.Cert.SupportedSignatureAlgorithms = schemes
	sel.Notes = notes
	return sel, nil
}

// keySchemes signs once with the key as a TLS handshake would and verifies the signature. An RSA
// key that signs PKCS#1 v1.5 but not RSA-PSS (a CryptoAPI-only provider: CryptSignHash has no
// PSS) is kept to the PKCS#1 v1.5 schemes, which TLS 1.2 takes and TLS 1.3 does not, and a note
// says so; nil schemes leave the choice to crypto/tls.
func keySchemes(key crypto.Signer, leaf *x509.Certificate) ([]tls.SignatureScheme, []string, error) {
	digest := sha256.Sum256([]byte("mockdirector: does this key sign?"))
	switch pub := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			return nil, nil, fmt.Errorf("signing (RSA PKCS#1 v1.5, SHA-256): %w", err)
		}
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			return nil, nil, fmt.Errorf("the signature does not verify with the certificate's public key: %w", err)
		}
		pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
		sig, err = key.Sign(rand.Reader, digest[:], pss)
		if err == nil {
			if err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, pss); err == nil {
				return nil, nil, nil
			}
		}
		return []tls.SignatureScheme{tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512},
			[]string{fmt.Sprintf("the private key signs RSA PKCS#1 v1.5 but not RSA-PSS (%v): TLS 1.2 only, no TLS 1.3; a Lync 2013 profile needs no more, --profile modern does (re-import the PFX into the Microsoft Software Key Storage Provider: certutil -csp \"Microsoft Software Key Storage Provider\" -importpfx My FILE.pfx)", err)}, nil
	case *ecdsa.PublicKey:
		sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			return nil, nil, fmt.Errorf("signing (ECDSA, SHA-256): %w", err)
		}
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			return nil, nil, errors.New("the signature does not verify with the certificate's public key")
		}
		return nil, nil, nil
	}
	return nil, nil, fmt.Errorf("a %T key: serve takes RSA or ECDSA from the store", leaf.PublicKey)
}

// isSelfSigned says whether the last certificate of a chain the system built is its root. The
// system has verified the chain, so the names suffice: a signature check would refuse the
// SHA-1 self-signatures of older enterprise roots, which no one checks.
func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer)
}
