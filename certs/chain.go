package certs

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mockdirector/mockdirector/topology"
)

// Intermediate CA files inside a certificate directory. When they exist, leaves are issued by the
// intermediate and each leaf .crt holds the leaf followed by the intermediate, so listeners serve
// the chain complete and peers need to trust only ca.crt.
const (
	IntermediateCertFile = "intermediate.crt"
	IntermediateKeyFile  = "intermediate.key"
)

// IntermediateValidity is how long a generated intermediate CA is valid (the root: ten years).
const IntermediateValidity = 5 * 365 * 24 * time.Hour

// signerFor returns the CA that issues leaves in opts.Dir: the intermediate when one exists (or
// opts.Intermediate asks for one, which is then created), else the root. caFresh says the root
// was just created, so an old intermediate (signed by the previous root) must be replaced.
func signerFor(opts Options, root *Pair, caFresh bool) (signer *Pair, written []string, err error) {
	ic, ik := filepath.Join(opts.Dir, IntermediateCertFile), filepath.Join(opts.Dir, IntermediateKeyFile)
	if !caFresh && exists(ic) {
		p, err := LoadPair(ic, ik)
		if err != nil {
			return nil, nil, err
		}
		if err := p.Cert.CheckSignatureFrom(root.Cert); err != nil {
			return nil, nil, fmt.Errorf("%s is not issued by %s: re-create the directory with --force", ic, filepath.Join(opts.Dir, CACertFile))
		}
		return p, nil, nil
	}
	if !opts.Intermediate {
		if caFresh && exists(ic) {
			// A fresh root makes an old intermediate useless; leave nothing that misleads.
			os.Remove(ic)
			os.Remove(ik)
			os.Remove(crlFile(opts.Dir, StemIntermediate))
		}
		return root, nil, nil
	}
	req := Request{CommonName: "mockdirector intermediate CA", CA: true, Key: opts.Key, Validity: IntermediateValidity}
	publish(&req, opts.PKIBase, StemRoot)
	p, err := Issue(req, root)
	if err != nil {
		return nil, nil, err
	}
	if err := WritePair(p, ic, ik, true); err != nil {
		return nil, nil, err
	}
	return p, []string{ic, ik}, nil
}

// WriteChain writes a leaf followed by the intermediates that issued it (not the root) as one
// PEM file (0644), and its key (0600). overwrite false refuses to replace either file.
func WriteChain(leaf *Pair, intermediates []*x509.Certificate, certFile, keyFile string, overwrite bool) error {
	if err := WritePair(leaf, certFile, keyFile, overwrite); err != nil {
		return err
	}
	if len(intermediates) == 0 {
		return nil
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Cert.Raw})
	for _, c := range intermediates {
		data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return writeAtomic(certFile, data, 0o644)
}

// intermediatesOf lists what must be served after a leaf issued by signer: nothing when the
// signer is the root, else the signer's certificate.
func intermediatesOf(signer, root *Pair) []*x509.Certificate {
	if signer == nil || signer == root || signer.Cert.Equal(root.Cert) {
		return nil
	}
	return []*x509.Certificate{signer.Cert}
}

// LoadSigner loads the CA that issues leaves in dir (the intermediate if there is one) and the
// root, for `certs issue`.
func LoadSigner(dir string) (signer, root *Pair, err error) {
	root, err = LoadPair(filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, nil, err
	}
	signer, _, err = signerFor(Options{Dir: dir}, root, false)
	if err != nil {
		return nil, nil, err
	}
	return signer, root, nil
}

// IssueInto issues req with the directory's CA and writes name.crt (with the intermediate, if
// any) and name.key, refusing to overwrite unless force. Unless req has its own, the CDP and AIA
// are the issuing CA's under the directory's pki base (pki.url; the default topology's for a
// directory made before it).
func IssueInto(dir, name string, req Request, force bool) (*Pair, []string, error) {
	signer, root, err := LoadSigner(dir)
	if err != nil {
		return nil, nil, err
	}
	cp, kp := CertPath(dir, name), KeyPath(dir, name)
	if !force {
		for _, f := range []string{cp, kp} {
			if exists(f) {
				return nil, nil, fmt.Errorf("refusing to overwrite %s: pass --force", f)
			}
		}
	}
	base, err := PKIBaseOf(dir)
	if err != nil {
		return nil, nil, err
	}
	if base == "" {
		base = topology.Default().PKIBaseURL()
	}
	publish(&req, base, stemOf(signer, root))
	leaf, err := Issue(req, signer)
	if err != nil {
		return nil, nil, err
	}
	if err := WriteChain(leaf, intermediatesOf(signer, root), cp, kp, force); err != nil {
		return nil, nil, err
	}
	return leaf, []string{cp, kp}, nil
}
