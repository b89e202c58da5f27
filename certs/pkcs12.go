package certs

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"software.sslmate.com/src/go-pkcs12"
)

// PFXFormat names how a PFX is encrypted.
type PFXFormat string

// PFX formats.
//
// PFXLegacy (the default) is go-pkcs12's LegacyDES: certificates and key under PBE-SHA1-3DES,
// MAC HMAC-SHA-1. It is what Windows Server 2012 R2 and 2016 import (Lync Server 2013 and Skype
// for Business Server 2015 run there; they cannot read AES-encrypted PFX files) and what
// OpenSSL 3 reads without the legacy provider (unlike LegacyRC2). PFXModern is Modern2023
// (PBES2, PBKDF2-HMAC-SHA-256, AES-256-CBC, HMAC-SHA-256): Windows Server 2019 and later,
// OpenSSL 1.1.1 and later. Use it when every importer is that recent: the legacy encryption is
// weak, so protect a legacy PFX in transit by other means.
const (
	PFXLegacy PFXFormat = "legacy"
	PFXModern PFXFormat = "modern"
)

// IsPFX says whether a file name looks like PKCS#12 (.pfx or .p12).
func IsPFX(file string) bool {
	ext := strings.ToLower(filepath.Ext(file))
	return ext == ".pfx" || ext == ".p12"
}

// EncodePFX encodes a key, its leaf and the CA certificates (intermediates, and the root if the
// importer should get it too) as PKCS#12.
func EncodePFX(key crypto.Signer, chain []*x509.Certificate, password string, f PFXFormat) ([]byte, error) {
	if len(chain) == 0 {
		return nil, errors.New("pfx: no certificate")
	}
	enc := pkcs12.LegacyDES
	switch f {
	case "", PFXLegacy:
	case PFXModern:
		enc = pkcs12.Modern2023
	default:
		return nil, fmt.Errorf("pfx format %q is not legacy or modern", f)
	}
	return enc.Encode(key, chain[0], chain[1:], password)
}

// ReadPFX decodes a PKCS#12 file: key, leaf first then the CA certificates it holds, in chain
// order where they chain. A wrong password or a damaged file is an error naming the file.
func ReadPFX(file, password string) (crypto.Signer, []*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fileErr(file, err)
	}
	key, leaf, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		switch {
		case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
			if password == "" {
				return nil, nil, fmt.Errorf("%s: the PFX is password-protected: pass its password with --cert-password", file)
			}
			return nil, nil, fmt.Errorf("%s: wrong PFX password (check --cert-password): %w", file, err)
		}
		return nil, nil, fmt.Errorf("%s: not a readable PFX/PKCS#12 file (damaged, or PEM with a .pfx name?): %w", file, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("%s: unsupported private key type %T", file, key)
	}
	return signer, orderChain(leaf, cas), nil
}

// orderChain puts cas after leaf in issuing order; certificates that do not chain follow.
func orderChain(leaf *x509.Certificate, cas []*x509.Certificate) []*x509.Certificate {
	out := []*x509.Certificate{leaf}
	left := append([]*x509.Certificate(nil), cas...)
	for cur := leaf; ; {
		next := -1
		for i, c := range left {
			if cur.CheckSignatureFrom(c) == nil && !cur.Equal(c) {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		cur = left[next]
		out = append(out, cur)
		left = append(left[:next], left[next+1:]...)
	}
	return append(out, left...)
}

// LoadIdentityPassword is LoadIdentity for PEM or PFX: a certFile ending .pfx or .p12 is read as
// PKCS#12 with password (keyFile may then be empty); caFile empty takes the roots (self-signed
// CA certificates) from the PFX. Intermediates in either form are served after the leaf; roots
// are not.
func LoadIdentityPassword(certFile, keyFile, caFile, password string) (*Identity, error) {
	if !IsPFX(certFile) {
		return LoadIdentity(certFile, keyFile, caFile)
	}
	key, chain, err := ReadPFX(certFile, password)
	if err != nil {
		return nil, err
	}
	id := &Identity{Leaf: chain[0], Source: certFile}
	id.Cert.PrivateKey = key
	id.Cert.Leaf = chain[0]
	var roots []*x509.Certificate
	for i, c := range chain {
		if i > 0 && isSelfSigned(c) {
			roots = append(roots, c)
			continue
		}
		id.Cert.Certificate = append(id.Cert.Certificate, c.Raw)
	}
	if caFile != "" {
		if id.Roots, err = LoadPool(caFile); err != nil {
			return nil, err
		}
		return id, nil
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("%s holds no root CA certificate: pass the CA bundle that client certificates must chain to with --ca", certFile)
	}
	id.Roots = x509.NewCertPool()
	for _, r := range roots {
		id.Roots.AddCert(r)
	}
	return id, nil
}

// ExportOptions says what `certs export` writes for one identity of a directory.
type ExportOptions struct {
	// Dir is the certificate directory; Name the identity (member FQDN or probe).
	Dir, Name string
	// Out is the directory to write into (default Dir).
	Out string
	// Password protects the PFX; empty writes no PFX.
	Password string
	// Format of the PFX.
	Format PFXFormat
	// IncludeRoot puts the root CA into the PFX as well (Windows then offers to trust it).
	IncludeRoot bool
	Force       bool
}

// Export writes name.pfx (key, leaf, intermediates[, root]), name.der and name.cer (the leaf, DER
// and PEM), and ca-bundle.crt (intermediates then root, PEM): what a Windows Edge, a reverse
// proxy or an HLB imports. It returns the files written.
func Export(o ExportOptions) ([]string, error) {
	out := o.Out
	if out == "" {
		out = o.Dir
	}
	if err := os.MkdirAll(out, DirMode); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	chain, err := ReadCerts(CertPath(o.Dir, o.Name))
	if err != nil {
		return nil, err
	}
	pair, err := LoadPair(CertPath(o.Dir, o.Name), KeyPath(o.Dir, o.Name))
	if err != nil {
		return nil, err
	}
	root, err := ReadCerts(filepath.Join(o.Dir, CACertFile))
	if err != nil {
		return nil, err
	}
	type file struct {
		path string
		data []byte
		mode os.FileMode
	}
	var files []file
	if o.Password != "" {
		pfxChain := chain
		if o.IncludeRoot {
			pfxChain = append(append([]*x509.Certificate(nil), chain...), root...)
		}
		pfx, err := EncodePFX(pair.Key, pfxChain, o.Password, o.Format)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", o.Name, err)
		}
		files = append(files, file{filepath.Join(out, o.Name+".pfx"), pfx, 0o600})
	}
	files = append(files,
		file{filepath.Join(out, o.Name+".der"), chain[0].Raw, 0o644},
		file{filepath.Join(out, o.Name+".cer"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[0].Raw}), 0o644})
	var bundle []byte
	for _, c := range append(append([]*x509.Certificate(nil), chain[1:]...), root...) {
		bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	files = append(files, file{filepath.Join(out, "ca-bundle.crt"), bundle, 0o644})
	if !o.Force {
		for _, f := range files {
			if exists(f.path) {
				return nil, fmt.Errorf("refusing to overwrite %s: pass --force", f.path)
			}
		}
	}
	var written []string
	for _, f := range files {
		if err := writeAtomic(f.path, f.data, f.mode); err != nil {
			return written, err
		}
		written = append(written, f.path)
	}
	return written, nil
}

// Import copies a site's own certificate (PEM chain + key, or PFX) into dir as name.crt (leaf
// and intermediates, not roots) and name.key (0600), after checking that the key matches. It does
// not touch ca.crt: pass the site's CA bundle to serve with --ca.
func Import(dir, name, certFile, keyFile, password string, force bool) ([]string, error) {
	var key crypto.Signer
	var chain []*x509.Certificate
	var err error
	if IsPFX(certFile) {
		if key, chain, err = ReadPFX(certFile, password); err != nil {
			return nil, err
		}
	} else {
		if keyFile == "" {
			return nil, fmt.Errorf("import %s: a PEM certificate needs its key: pass --key-file", certFile)
		}
		if chain, err = ReadCerts(certFile); err != nil {
			return nil, err
		}
		p, err := LoadPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		key = p.Key
	}
	if !publicKeysMatch(key.Public(), chain[0].PublicKey) {
		return nil, fmt.Errorf("import: %s does not hold the private key of %s", keyFile, certFile)
	}
	var inter []*x509.Certificate
	for _, c := range chain[1:] {
		if !isSelfSigned(c) {
			inter = append(inter, c)
		}
	}
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	cp, kp := CertPath(dir, name), KeyPath(dir, name)
	if err := WriteChain(&Pair{Cert: chain[0], Key: key}, inter, cp, kp, force); err != nil {
		return nil, err
	}
	return []string{cp, kp}, nil
}
