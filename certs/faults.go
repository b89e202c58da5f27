package certs

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The fault set (`mockdirector certs faults --dir D`) is a directory of certificates for negative
// tests of every mutual TLS hop, each one wrong in exactly one way. D holds:
//
//	ca.crt, ca.key                        the root every correct peer trusts
//	intermediate.crt, intermediate.key    an intermediate CA under it; leaves are issued by it
//	untrusted-root.crt, .key              a second root nobody trusts
//	<fault>.crt, <fault>.key              one identity per fault below: leaf (and the
//	                                      intermediate, except where the fault is its absence)
//
// Every leaf but the faulty aspect is what Lync wants for the role: subject = pool FQDN, SANs =
// pool, member and simple URLs, EKU serverAuth + clientAuth, RSA 2048, SHA-256, a CDP and an AIA
// URL (the intermediate's, under base.CRLURLs' base when given, else http://pki.mockdirector.invalid:
// the fault set is not published), at most 825 days, served with the intermediate. The leaves share
// one RSA key (only rsa1024 has its own): the key is never what a fault is about, and RSA keys are
// slow to make. The faults, and what a correct peer does with each (as server: receiving it
// as a client certificate on 5061/50001-50003; as client: receiving it as a server certificate):
//
//	good                  nothing wrong: accepted both ways, no lint finding.
//	expired               valid until 30 days ago: refused both ways ("certificate has expired").
//	not-yet-valid         valid from 30 days from now: refused both ways (Go reports it as
//	                      "expired or is not yet valid").
//	wrong-san             subject and SAN name wrong.mockdirector.invalid: a client dialling the
//	                      pool FQDN refuses it (name mismatch). As a client certificate, TLS itself
//	                      does not check names: Lync then refuses a peer that is not a known server
//	                      of its topology; crypto/tls and the mock accept it (lint: SUBJECT_NOT_POOL,
//	                      SAN_MISSING).
//	no-client-auth        EKU serverAuth only: a server requiring a client certificate refuses it
//	                      (bad EKU). As a server certificate it verifies, but the lint for an MTLS
//	                      hop reports EKU_NO_CLIENT_AUTH: the same certificate must also work when
//	                      this server dials the other side.
//	untrusted-ca          issued by untrusted-root: refused both ways (unknown authority).
//	self-signed           the leaf signs itself: refused both ways (unknown authority).
//	rsa1024               an RSA 1024-bit key: Lync's documented minimum, so Lync and crypto/tls
//	                      accept it; OpenSSL at security level 2 (Debian/Ubuntu default) refuses it
//	                      ("EE certificate key too weak"); the lint warns KEY_RSA_BELOW_2048.
//	sha1                  signed by the intermediate with SHA-1 (x509.CreateCertificate still
//	                      signs SHA-1 when asked; the intermediate is RSA so SHA1WithRSA is used):
//	                      refused both ways by crypto/tls ("insecure algorithm SHA1-RSA") and
//	                      OpenSSL 3 at level 2.
//	missing-intermediate  issued by the intermediate but served without it: refused both ways
//	                      (unknown authority) by a peer that trusts only the root.
const (
	FaultGood                = "good"
	FaultExpired             = "expired"
	FaultNotYetValid         = "not-yet-valid"
	FaultWrongSAN            = "wrong-san"
	FaultNoClientAuth        = "no-client-auth"
	FaultUntrustedCA         = "untrusted-ca"
	FaultSelfSigned          = "self-signed"
	FaultRSA1024             = "rsa1024"
	FaultSHA1                = "sha1"
	FaultMissingIntermediate = "missing-intermediate"
)

// faultPKIBase is the CDP/AIA base of a fault set's certificates unless the caller gives one.
const faultPKIBase = "http://pki.mockdirector.invalid/mockdirector"

// UntrustedCAFile is the root of the untrusted-ca fault, in a fault directory.
const UntrustedCAFile = "untrusted-root.crt"

// Fault describes one certificate of the fault set.
type Fault struct {
	// Name is the file stem and the Entry name in tests.
	Name string
	// What is wrong with it.
	What string
	// LintCodes are the findings Lint reports for it (with the fault directory's root trusted
	// and the role's profile).
	LintCodes []string
}

// Faults lists the fault set in the order it is generated; the first is the good certificate.
var Faults = []Fault{
	{FaultGood, "nothing: the reference certificate", nil},
	{FaultExpired, "expired 30 days ago", []string{CodeExpired}},
	{FaultNotYetValid, "valid only from 30 days from now", []string{CodeNotYetValid}},
	{FaultWrongSAN, "subject and SAN are wrong.mockdirector.invalid", []string{CodeSubjectNotPool, CodeSANMissing}},
	{FaultNoClientAuth, "EKU serverAuth only (no clientAuth)", []string{CodeEKUClientAuth}},
	{FaultUntrustedCA, "issued by a CA nobody trusts", []string{CodeChainUntrusted}},
	{FaultSelfSigned, "self-signed leaf", []string{CodeSelfSigned}},
	{FaultRSA1024, "RSA 1024-bit key", []string{CodeKeySmall}},
	{FaultSHA1, "signed with SHA-1", []string{CodeSignatureSHA1}},
	{FaultMissingIntermediate, "served without its intermediate CA", []string{CodeChainUntrusted}},
}

// WrongSANName is the only name the wrong-san fault carries.
const WrongSANName = "wrong.mockdirector.invalid"

// GenerateFaults writes the fault set into dir for the leaf base describes (subject, SANs,
// addresses: normally Plan(topology)[member]). It refuses to overwrite anything without force.
func GenerateFaults(dir string, base Request, force bool) ([]string, error) {
	var files []string
	for _, f := range []string{CACertFile, CAKeyFile, IntermediateCertFile, IntermediateKeyFile, UntrustedCAFile, "untrusted-root.key"} {
		files = append(files, filepath.Join(dir, f))
	}
	for _, f := range Faults {
		files = append(files, CertPath(dir, f.Name), KeyPath(dir, f.Name))
	}
	if !force {
		for _, f := range files {
			if exists(f) {
				return nil, fmt.Errorf("refusing to overwrite %s: pass --force, or use an empty directory", f)
			}
		}
	}
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	now := time.Now()
	root, err := Issue(Request{CommonName: "mockdirector fault-set root CA", CA: true, Validity: 10 * 365 * 24 * time.Hour}, nil)
	if err != nil {
		return nil, err
	}
	leafKey, err := newKey(RSA2048)
	if err != nil {
		return nil, err
	}
	// RSA, so that it can sign the SHA-1 fault with SHA1WithRSA.
	crlURLs, aiaURLs := base.CRLURLs, base.IssuerURLs
	if crlURLs == nil {
		crlURLs, aiaURLs = []string{CRLURL(faultPKIBase, StemIntermediate)}, []string{CACertURL(faultPKIBase, StemIntermediate)}
	}
	inter, err := Issue(Request{CommonName: "mockdirector fault-set intermediate CA", CA: true, Key: RSA2048, Validity: IntermediateValidity,
		CRLURLs: []string{CRLURL(faultPKIBase, StemRoot)}, IssuerURLs: []string{CACertURL(faultPKIBase, StemRoot)}}, root)
	if err != nil {
		return nil, err
	}
	untrusted, err := Issue(Request{CommonName: "mockdirector untrusted CA", CA: true, Validity: 10 * 365 * 24 * time.Hour}, nil)
	if err != nil {
		return nil, err
	}
	if err := WritePair(root, files[0], files[1], true); err != nil {
		return nil, err
	}
	if err := WritePair(inter, files[2], files[3], true); err != nil {
		return files[:2], err
	}
	if err := WritePair(untrusted, files[4], files[5], true); err != nil {
		return files[:4], err
	}
	written := append([]string(nil), files[:6]...)
	for _, f := range Faults {
		req := base
		req.Key, req.PrivateKey = RSA2048, leafKey
		req.CRLURLs, req.IssuerURLs = crlURLs, aiaURLs
		req.ExtKeyUsage = nil
		req.NotBefore, req.NotAfter = time.Time{}, time.Time{}
		signer, chain := inter, []*x509.Certificate{inter.Cert}
		switch f.Name {
		case FaultExpired:
			req.NotBefore, req.NotAfter = now.Add(-90*24*time.Hour), now.Add(-30*24*time.Hour)
		case FaultNotYetValid:
			req.NotBefore, req.NotAfter = now.Add(30*24*time.Hour), now.Add(400*24*time.Hour)
		case FaultWrongSAN:
			req.CommonName, req.DNSNames, req.IPs = WrongSANName, []string{WrongSANName}, nil
		case FaultNoClientAuth:
			req.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		case FaultUntrustedCA:
			signer, chain = untrusted, nil
		case FaultSelfSigned:
			signer, chain = nil, nil
			req.CRLURLs, req.IssuerURLs = nil, nil
		case FaultRSA1024:
			k, err := rsa.GenerateKey(rand.Reader, 1024)
			if err != nil {
				return written, fmt.Errorf("faults: rsa1024: %w", err)
			}
			req.PrivateKey = k
		case FaultSHA1:
			req.SignatureAlgorithm = sha1For(signer)
		case FaultMissingIntermediate:
			chain = nil
		}
		leaf, err := Issue(req, signer)
		if err != nil {
			return written, fmt.Errorf("faults: %s: %w", f.Name, err)
		}
		if f.Name == FaultSHA1 && leaf.Cert.SignatureAlgorithm != req.SignatureAlgorithm {
			return written, fmt.Errorf("faults: sha1: the certificate came out signed with %s", leaf.Cert.SignatureAlgorithm)
		}
		cp, kp := CertPath(dir, f.Name), KeyPath(dir, f.Name)
		if err := WriteChain(leaf, chain, cp, kp, true); err != nil {
			return written, err
		}
		written = append(written, cp, kp)
	}
	return written, nil
}

func sha1For(signer *Pair) x509.SignatureAlgorithm {
	if _, ok := signer.Key.(*ecdsa.PrivateKey); ok {
		return x509.ECDSAWithSHA1
	}
	return x509.SHA1WithRSA
}
