package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/topology"
)

// PKIStore is the published side of a certificate directory: the CA certificates and CRLs that
// the CDP and AIA URLs name. It re-reads a file when it changes on disk (`certs revoke` in
// another process), so a running serve answers and checks the current CRL.
type PKIStore struct {
	dir    string
	prefix string // URL path the files are published under, lower case, with a trailing slash

	mu      sync.Mutex
	files   map[string]*pkiFile
	renewed time.Time // last renewal attempt, so a failing one is not retried on every request
}

type pkiFile struct {
	mod  time.Time
	size int64
	der  []byte
	cert *x509.Certificate                   // for a .crt
	crl  *x509.RevocationList                // for a .crl
	err  error                               // why the file is not usable (kept until it changes)
	revd map[string]x509.RevocationListEntry // serial (bytes) -> entry, for a .crl

	// checkedBy is the CA certificate the CRL's signature was last checked against, and sigOK
	// the result: a handshake does not pay for an RSA verification.
	checkedBy *x509.Certificate
	sigOK     bool
}

// signedBy says whether the CRL of f is signed by ca, checking once per CA certificate.
func (s *PKIStore) signedBy(f *pkiFile, ca *x509.Certificate) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.checkedBy != ca {
		f.checkedBy, f.sigOK = ca, f.crl.CheckSignatureFrom(ca) == nil
	}
	return f.sigOK
}

// OpenPKI opens the published files of dir (nothing is read until asked).
func OpenPKI(dir string) *PKIStore {
	base, _ := PKIBaseOf(dir)
	if base == "" {
		base = topology.Default().PKIBaseURL()
	}
	p := topology.PKIPath
	if u, err := url.Parse(base); err == nil {
		p = u.Path
	}
	return &PKIStore{dir: dir, prefix: strings.ToLower(strings.TrimSuffix(p, "/")) + "/", files: map[string]*pkiFile{}}
}

// Dir is the certificate directory the store publishes.
func (s *PKIStore) Dir() string { return s.dir }

// Paths are the URL paths the store answers (whether or not the file exists yet).
func (s *PKIStore) Paths() []string {
	var out []string
	for _, stem := range []string{StemRoot, StemIntermediate} {
		out = append(out, s.prefix+stem+".crl", s.prefix+stem+".crt")
	}
	return out
}

// file returns name (e.g. ca.crl) of the directory, re-read when its size or time changed; nil
// when it does not exist.
func (s *PKIStore) file(name string) *pkiFile {
	path := filepath.Join(s.dir, name)
	st, err := os.Stat(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		delete(s.files, name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return &pkiFile{err: err}
	}
	if f := s.files[name]; f != nil && f.mod.Equal(st.ModTime()) && f.size == st.Size() {
		return f
	}
	f := &pkiFile{mod: st.ModTime(), size: st.Size()}
	s.files[name] = f
	data, err := os.ReadFile(path)
	if err != nil {
		f.err = err
		return f
	}
	if strings.HasSuffix(name, ".crl") {
		if b := pemBlock(data, "X509 CRL"); b != nil {
			data = b
		}
		f.der = data
		if f.crl, f.err = x509.ParseRevocationList(data); f.err == nil {
			f.revd = map[string]x509.RevocationListEntry{}
			for _, e := range f.crl.RevokedCertificateEntries {
				f.revd[string(e.SerialNumber.Bytes())] = e
			}
		}
		return f
	}
	if b := pemBlock(data, "CERTIFICATE"); b != nil {
		data = b
	}
	f.der = data
	f.cert, f.err = x509.ParseCertificate(data)
	return f
}

// renew re-signs the directory's CRLs when crl is past half its validity (a serve that runs
// longer than Ensure's renewal at start keeps publishing a valid CRL, as an AD CS does), at most
// once a minute; it says whether it wrote anything.
func (s *PKIStore) renew(crl *x509.RevocationList, now time.Time) bool {
	half := crl.ThisUpdate.Add(crl.NextUpdate.Sub(crl.ThisUpdate) / 2)
	if now.Before(half) {
		return false
	}
	s.mu.Lock()
	if now.Sub(s.renewed) < time.Minute {
		s.mu.Unlock()
		return false
	}
	s.renewed = now
	s.mu.Unlock()
	unlock, err := lockDir(s.dir)
	if err != nil {
		return false
	}
	defer unlock()
	written, err := renewCRLs(s.dir, now)
	return err == nil && len(written) > 0
}

func pemBlock(data []byte, typ string) []byte {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil
		}
		if b.Type == typ {
			return b.Bytes
		}
	}
}

// RevokedError is a client certificate the CRL of its issuer lists: the TLS handshake is
// refused with it, and the listener journals its text.
type RevokedError struct {
	Subject   string
	Serial    *big.Int
	RevokedAt time.Time
	// Reason is the RFC 5280 CRLReason code (0: unspecified).
	Reason int
	// Issuer is the CA whose CRL lists it; CRLNumber that CRL's number.
	Issuer    string
	CRLNumber *big.Int
}

func (e *RevokedError) Error() string {
	n := ""
	if e.CRLNumber != nil {
		n = ", number " + e.CRLNumber.String()
	}
	return fmt.Sprintf("certificate %s revoked on %s, serial %s (reason %s; listed in the CRL of %s%s): issue it anew (mockdirector certs issue --role ROLE --member M --force)",
		e.Subject, e.RevokedAt.UTC().Format(time.RFC3339), SerialHex(e.Serial), ReasonName(e.Reason), e.Issuer, n)
}

// CheckRevoked returns a *RevokedError when the CRL of the directory's CA that issued a
// certificate of chain (leaf first) lists it. A CRL that does not parse, or that its CA did not
// sign, is an error too: the mock cannot tell, so it refuses (as a Windows peer whose revocation
// check fails does). Certificates of other CAs, and CAs without a CRL, pass.
func (s *PKIStore) CheckRevoked(chain []*x509.Certificate) error {
	for _, stem := range []string{StemIntermediate, StemRoot} {
		caf := s.file(stem + ".crt")
		if caf == nil || caf.cert == nil {
			continue
		}
		for _, c := range chain {
			// Issued by this CA: its name, and its key when the certificate says which. No
			// signature check: the listener verifies the chain, and a forgery naming a revoked
			// serial is refused either way.
			if !bytes.Equal(c.RawIssuer, caf.cert.RawSubject) || c.Equal(caf.cert) ||
				len(c.AuthorityKeyId) > 0 && len(caf.cert.SubjectKeyId) > 0 && !bytes.Equal(c.AuthorityKeyId, caf.cert.SubjectKeyId) {
				continue
			}
			crl := s.file(stem + ".crl")
			if crl == nil {
				continue
			}
			if crl.err != nil {
				return fmt.Errorf("cannot check revocation of %s: %s: %w", c.Subject, filepath.Join(s.dir, stem+".crl"), crl.err)
			}
			if !s.signedBy(crl, caf.cert) {
				if bytes.Equal(crl.crl.AuthorityKeyId, caf.cert.SubjectKeyId) {
					return fmt.Errorf("cannot check revocation of %s: %s names %s but its signature does not verify (corrupt or tampered): re-sign it with mockdirector serve or certs revoke, or remove it",
						c.Subject, filepath.Join(s.dir, stem+".crl"), caf.cert.Subject.CommonName)
				}
				continue // a CRL of a previous CA (re-created with --force): it does not speak for this one
			}
			if e, ok := crl.revd[string(c.SerialNumber.Bytes())]; ok {
				return &RevokedError{Subject: c.Subject.String(), Serial: c.SerialNumber, RevokedAt: e.RevocationTime, Reason: e.ReasonCode,
					Issuer: caf.cert.Subject.CommonName, CRLNumber: crl.crl.Number}
			}
		}
	}
	return nil
}

// PKIHandler answers the CDP and AIA paths of s for any Host: GET or HEAD of <path>/ca.crl and
// intermediate.crl (DER, application/pkix-crl) and ca.crt and intermediate.crt (DER,
// application/pkix-cert); 404 for anything else.
func PKIHandler(s *PKIStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, write, ok := s.Prepare(w, r)
		if !ok {
			http.Error(w, "mockdirector PKI: not a CDP or AIA path (try "+strings.Join(s.Paths(), ", ")+")", http.StatusNotFound)
			return
		}
		write()
	})
}

// Prepare is PKIHandler for a handler that must record the status before it answers: ok false
// when r is not a CDP or AIA path; else the status and a function that writes the answer (its
// headers are already set on w).
func (s *PKIStore) Prepare(w http.ResponseWriter, r *http.Request) (status int, write func(), ok bool) {
	p := strings.ToLower(r.URL.Path) // IIS paths are case-insensitive
	name, found := strings.CutPrefix(p, s.prefix)
	if !found {
		return 0, nil, false
	}
	var ctype string
	switch name {
	case StemRoot + ".crl", StemIntermediate + ".crl":
		ctype = "application/pkix-crl"
	case StemRoot + ".crt", StemIntermediate + ".crt":
		ctype = "application/pkix-cert"
	default:
		return 0, nil, false
	}
	fail := func(code int, msg string) (int, func(), bool) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		return code, func() { w.WriteHeader(code); fmt.Fprintln(w, msg) }, true
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return fail(http.StatusMethodNotAllowed, "mockdirector PKI: GET or HEAD only")
	}
	f := s.file(name)
	if f != nil && f.crl != nil && s.renew(f.crl, time.Now()) {
		f = s.file(name)
	}
	switch {
	case f == nil:
		return fail(http.StatusNotFound, fmt.Sprintf("mockdirector PKI: %s does not exist (no such CA in this directory, or made before CRLs: run `mockdirector certs init --force`)", filepath.Join(s.dir, name)))
	case f.err != nil:
		return fail(http.StatusInternalServerError, fmt.Sprintf("mockdirector PKI: %s: %v", filepath.Join(s.dir, name), f.err))
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(f.der)))
	mod := f.mod
	if f.crl != nil {
		mod = f.crl.ThisUpdate
		h.Set("Expires", f.crl.NextUpdate.UTC().Format(http.TimeFormat))
	}
	h.Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
	body := f.der
	head := r.Method == http.MethodHead
	return http.StatusOK, func() {
		w.WriteHeader(http.StatusOK)
		if !head {
			w.Write(body)
		}
	}, true
}
