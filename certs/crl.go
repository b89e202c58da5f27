package certs

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/topology"
)

// The mock's CA publishes like an enterprise CA: every certificate it issues names a CRL
// Distribution Point and an AIA caIssuers URL under one base URL (topology pki.base_url, default
// http://pki.<domain>/mockdirector), and the certificate directory keeps what is published there:
//
//	<base>/ca.crl             DIR/ca.crl, the root's CRL (DER); in the CDP of the intermediate,
//	                          and of every leaf the root issues
//	<base>/ca.crt             DIR/ca.crt served as DER; the AIA of the same certificates
//	<base>/intermediate.crl   DIR/intermediate.crl, when an intermediate issues the leaves
//	<base>/intermediate.crt   DIR/intermediate.crt served as DER
//
// DIR/pki.url records the base the directory's certificates carry; PKIHandler answers the paths
// under it for any Host, and Identity.ServerConfig refuses a client certificate its CRL lists.
const (
	CACRLFile           = "ca.crl"
	IntermediateCRLFile = "intermediate.crl"
	// PKIBaseFile holds the base URL (one line) the directory's certificates carry.
	PKIBaseFile = "pki.url"
	// CRLValidity is how long a CRL is valid (nextUpdate - thisUpdate): a week, as an AD CS base
	// CRL. Ensure (every serve start) re-signs a CRL past half of it.
	CRLValidity = 7 * 24 * time.Hour
)

// CA file stems: the root and the intermediate, as named in URLs and files.
const (
	StemRoot         = "ca"
	StemIntermediate = "intermediate"
)

// CRLURL and CACertURL are the CDP and AIA URLs of the CA with file stem stem under base.
func CRLURL(base, stem string) string { return strings.TrimSuffix(base, "/") + "/" + stem + ".crl" }

// CACertURL is the AIA caIssuers URL of the CA with file stem stem under base.
func CACertURL(base, stem string) string {
	return strings.TrimSuffix(base, "/") + "/" + stem + ".crt"
}

// publish sets the CDP and AIA of req to the CA stem under base (unless the request has its own).
func publish(req *Request, base, stem string) {
	if base == "" {
		return
	}
	if req.CRLURLs == nil {
		req.CRLURLs = []string{CRLURL(base, stem)}
	}
	if req.IssuerURLs == nil {
		req.IssuerURLs = []string{CACertURL(base, stem)}
	}
}

// PKIBaseOf reads the base URL recorded in dir; "" when the directory predates it.
func PKIBaseOf(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, PKIBaseFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", filepath.Join(dir, PKIBaseFile), err)
	}
	return strings.TrimSpace(string(b)), nil
}

// reconcileBase returns the base the leaves of dir carry: the one recorded, which must be the
// topology's (else the certificates would point elsewhere than the site says), or the
// topology's, recorded now, for a new directory or one that predates pki.url.
func reconcileBase(dir string, t *topology.Topology, fresh bool) (string, error) {
	want := t.PKIBaseURL()
	have, err := PKIBaseOf(dir)
	if err != nil {
		return "", err
	}
	if have != "" && have != want && !fresh {
		return "", fmt.Errorf("the certificates in %s carry CRL/AIA URLs under %s (%s) but the topology's pki says %s: set pki.base_url: %s, or re-create them with `mockdirector certs init --force` (peers must then trust the new CA)",
			dir, have, filepath.Join(dir, PKIBaseFile), want, have)
	}
	if have != want {
		if err := writeAtomic(filepath.Join(dir, PKIBaseFile), []byte(want+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	return want, nil
}

// crlFile names the CRL of a CA stem in dir.
func crlFile(dir, stem string) string { return filepath.Join(dir, stem+".crl") }

// ReadCRL reads a DER (or PEM) CRL file.
func ReadCRL(file string) (*x509.RevocationList, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if b := pemBlock(data, "X509 CRL"); b != nil {
		data = b
	}
	crl, err := x509.ParseRevocationList(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return crl, nil
}

// signCRL signs a CRL of ca listing entries, numbered number, valid from now for CRLValidity.
func signCRL(ca *Pair, entries []x509.RevocationListEntry, number *big.Int, now time.Time) (*x509.RevocationList, []byte, error) {
	tpl := &x509.RevocationList{
		Number:                    number,
		ThisUpdate:                now,
		NextUpdate:                now.Add(CRLValidity),
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(rand.Reader, tpl, ca.Cert, ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign the CRL of %s: %w", ca.Cert.Subject.CommonName, err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, nil, err
	}
	return crl, der, nil
}

// writeCRL re-signs the CRL of the CA stem in dir with entries and the next number after prev.
func writeCRL(dir, stem string, ca *Pair, prev *x509.RevocationList, entries []x509.RevocationListEntry, now time.Time) (*x509.RevocationList, error) {
	number := big.NewInt(1)
	if prev != nil && prev.Number != nil {
		number = new(big.Int).Add(prev.Number, big.NewInt(1))
	}
	crl, der, err := signCRL(ca, entries, number, now)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(crlFile(dir, stem), der, 0o644); err != nil {
		return nil, err
	}
	return crl, nil
}

// renewCRLs makes sure every CA of dir has a CRL that it signed and that is in the first half of
// its validity; it re-signs (same entries, next number) any other. Called with dir locked.
func renewCRLs(dir string, now time.Time) ([]string, error) {
	var written []string
	for _, stem := range []string{StemRoot, StemIntermediate} {
		cp, kp := filepath.Join(dir, stem+".crt"), filepath.Join(dir, stem+".key")
		if !exists(cp) || !exists(kp) {
			continue
		}
		ca, err := LoadPair(cp, kp)
		if err != nil {
			return written, err
		}
		prev, err := ReadCRL(crlFile(dir, stem))
		var entries []x509.RevocationListEntry
		switch {
		case errors.Is(err, fs.ErrNotExist):
			prev = nil
		case err != nil:
			return written, fmt.Errorf("%w: remove it to start an empty CRL (revocations in it are then lost)", err)
		case prev.CheckSignatureFrom(ca.Cert) != nil:
			// Left over from a CA re-created with --force: its revocations meant the old CA.
			prev = nil
		default:
			entries = prev.RevokedCertificateEntries
			half := prev.ThisUpdate.Add(prev.NextUpdate.Sub(prev.ThisUpdate) / 2)
			if now.Before(half) && !now.Before(prev.ThisUpdate) {
				continue
			}
		}
		if _, err := writeCRL(dir, stem, ca, prev, entries, now); err != nil {
			return written, err
		}
		written = append(written, crlFile(dir, stem))
	}
	return written, nil
}

// RevokeResult says what Revoke did.
type RevokeResult struct {
	Name      string
	Subject   string
	Serial    *big.Int
	RevokedAt time.Time
	// CRLFile is the CRL now listing it; Number its new cRLNumber.
	CRLFile string
	Number  *big.Int
	// NextUpdate of the new CRL.
	NextUpdate time.Time
}

// Revocation reasons `certs revoke --reason` takes (RFC 5280 CRLReason).
var RevocationReasons = map[string]int{
	"unspecified": 0, "keyCompromise": 1, "cACompromise": 2, "affiliationChanged": 3,
	"superseded": 4, "cessationOfOperation": 5, "certificateHold": 6,
}

// ReasonName is the RFC 5280 name of a CRLReason code.
func ReasonName(code int) string {
	for n, c := range RevocationReasons {
		if c == code {
			return n
		}
	}
	return fmt.Sprint(code)
}

// Revoke lists the certificate name (a file stem in dir, see ResolveName) in the CRL of the CA
// that issued it and re-signs that CRL with the next number. A certificate already listed is an
// error naming when it was revoked.
func Revoke(dir, name string, reason int, now time.Time) (*RevokeResult, error) {
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	stem, err := ResolveName(dir, name)
	if err != nil {
		return nil, err
	}
	chain, err := ReadCerts(CertPath(dir, stem))
	if err != nil {
		return nil, err
	}
	cert := chain[0]
	caStem, ca, err := issuerIn(dir, cert)
	if err != nil {
		return nil, fmt.Errorf("revoke %s: %w", stem, err)
	}
	prev, err := ReadCRL(crlFile(dir, caStem))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var entries []x509.RevocationListEntry
	if prev != nil && prev.CheckSignatureFrom(ca.Cert) == nil {
		entries = prev.RevokedCertificateEntries
		for _, e := range entries {
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return nil, fmt.Errorf("%s (serial %s) is already revoked: listed in %s since %s", stem, SerialHex(cert.SerialNumber), crlFile(dir, caStem), e.RevocationTime.UTC().Format(time.RFC3339))
			}
		}
	} else {
		prev = nil
	}
	now = now.UTC().Truncate(time.Second)
	entries = append(append([]x509.RevocationListEntry(nil), entries...), x509.RevocationListEntry{SerialNumber: cert.SerialNumber, RevocationTime: now, ReasonCode: reason})
	crl, err := writeCRL(dir, caStem, ca, prev, entries, now)
	if err != nil {
		return nil, err
	}
	return &RevokeResult{Name: stem, Subject: cert.Subject.String(), Serial: cert.SerialNumber, RevokedAt: now,
		CRLFile: crlFile(dir, caStem), Number: crl.Number, NextUpdate: crl.NextUpdate}, nil
}

// issuerIn finds which CA of dir (root or intermediate) issued cert.
func issuerIn(dir string, cert *x509.Certificate) (string, *Pair, error) {
	for _, stem := range []string{StemIntermediate, StemRoot} {
		cp, kp := filepath.Join(dir, stem+".crt"), filepath.Join(dir, stem+".key")
		if !exists(cp) {
			continue
		}
		ca, err := LoadPair(cp, kp)
		if err != nil {
			return "", nil, err
		}
		if ca.Cert.Equal(cert) {
			continue
		}
		if cert.CheckSignatureFrom(ca.Cert) == nil {
			return stem, ca, nil
		}
	}
	return "", nil, fmt.Errorf("%q is not issued by the CA of %s (%s): only its own certificates can be revoked there", cert.Subject.String(), dir, CACertFile)
}

// ResolveName finds the certificate file stem in dir that name means: the stem itself
// (dir01.contoso.local, probe, intermediate), or the one certificate whose first label is name
// (dir01) or starts with it (edge01 for edge01-int.contoso.local).
func ResolveName(dir, name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("certificate name %q: want a file stem of %s such as dir01.contoso.local", name, dir)
	}
	if name == StemRoot {
		return "", fmt.Errorf("%s is the root CA: it cannot be revoked, only replaced (certs init --force)", CACertFile)
	}
	if exists(CertPath(dir, name)) {
		return name, nil
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*.crt"))
	if err != nil {
		return "", err
	}
	var stems, first, prefix []string
	for _, m := range matches {
		s := strings.TrimSuffix(filepath.Base(m), ".crt")
		if s == StemRoot || s == "untrusted-root" {
			continue
		}
		stems = append(stems, s)
		if strings.SplitN(s, ".", 2)[0] == name {
			first = append(first, s)
		} else if strings.HasPrefix(s, name) {
			prefix = append(prefix, s)
		}
	}
	sort.Strings(stems)
	for _, c := range [][]string{first, prefix} {
		if len(c) == 1 {
			return c[0], nil
		}
		if len(c) > 1 {
			sort.Strings(c)
			return "", fmt.Errorf("%q could mean %s in %s: give the full name", name, strings.Join(c, " or "), dir)
		}
	}
	return "", fmt.Errorf("no certificate %q in %s (it has %s)", name, dir, strings.Join(stems, ", "))
}

// SerialHex is a serial number as openssl prints it (hex, upper case, whole bytes), in the
// revoked error and `certs revoke`.
func SerialHex(n *big.Int) string {
	s := strings.ToUpper(n.Text(16))
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

// VerifyCRL checks what a CDP URL answered: a CRL (DER or PEM) signed by issuer and valid at now
// (thisUpdate <= now <= nextUpdate). Its errors say which of those failed, for a `cdp` check.
func VerifyCRL(data []byte, issuer *x509.Certificate, now time.Time) (*x509.RevocationList, error) {
	if b := pemBlock(data, "X509 CRL"); b != nil {
		data = b
	}
	crl, err := x509.ParseRevocationList(data)
	if err != nil {
		hint := ""
		if len(data) > 0 && (data[0] == '<' || data[0] == '{') {
			hint = " (the answer looks like HTML or JSON: a proxy or web server answered in place of the CRL)"
		}
		return nil, fmt.Errorf("not a CRL%s: %w", hint, err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return crl, fmt.Errorf("CRL of %q is not signed by the issuer %q: %w", crl.Issuer.String(), issuer.Subject.String(), err)
	}
	switch {
	case now.Before(crl.ThisUpdate):
		return crl, fmt.Errorf("CRL of %q is not valid before %s (check the clocks)", crl.Issuer.String(), crl.ThisUpdate.UTC().Format(time.RFC3339))
	case !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate):
		return crl, fmt.Errorf("CRL of %q expired on %s (nextUpdate): the CA has not published a new one; Windows peers then fail revocation checks", crl.Issuer.String(), crl.NextUpdate.UTC().Format(time.RFC3339))
	}
	return crl, nil
}
