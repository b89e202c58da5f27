package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// File names inside a certificate directory.
const (
	CACertFile = "ca.crt"
	CAKeyFile  = "ca.key"
	// ProbeName is the client identity the prober presents when it acts as a source role that
	// has no pool of its own (any, internal-clients, reverse-proxy-internal).
	ProbeName = "probe"
)

// caValidity is the root CA's lifetime: ten years, so a lab CA outlives the leaves it signs.
const caValidity = 10 * 365 * 24 * time.Hour

// Options controls Init and Ensure.
type Options struct {
	Dir   string
	Key   KeyType
	Force bool
	// Intermediate issues the leaves from an intermediate CA (created under the root), served
	// with every leaf. An existing intermediate in Dir is always used.
	Intermediate bool
	// Validity of the leaves; zero means DefaultValidity.
	Validity time.Duration
	// PKIBase is the base of the CDP and AIA URLs; Ensure sets it from the topology.
	PKIBase string
	// Now is the time of CRL (re-)signing; zero means time.Now().
	Now time.Time
}

// CertPath and KeyPath name the files of an identity in dir.
func CertPath(dir, name string) string { return filepath.Join(dir, name+".crt") }

// KeyPath names the private key file of an identity in dir.
func KeyPath(dir, name string) string { return filepath.Join(dir, name+".key") }

// Plan lists the leaf certificates a topology needs, by file name.
func Plan(t *topology.Topology) map[string]Request {
	plan := map[string]Request{}
	for role, p := range t.Pools {
		for _, m := range p.Members {
			names := []string{p.FQDN, m.Name}
			if role != scenarios.RoleEdgeInternal && role != scenarios.RolePKI { // no Lync SANs on the Edge or the PKI web server
				if t.Domain != "" {
					names = append(names, "sip."+t.Domain)
				}
				u := t.SimpleURLs
				names = append(names, u.Meet, u.Dialin, u.LyncdiscoverInternal, u.Lyncdiscover, u.WebExternal)
			}
			var ips []net.IP
			if ip := net.ParseIP(m.Address); ip != nil {
				ips = append(ips, ip)
			}
			if p.VIP != "" {
				if ip := net.ParseIP(p.VIP); ip != nil {
					ips = append(ips, ip)
				}
			}
			plan[m.Name] = Request{CommonName: p.FQDN, DNSNames: names, IPs: ips}
		}
	}
	probe := "mockdirector-probe"
	if t.Domain != "" {
		probe += "." + t.Domain
	}
	plan[ProbeName] = Request{CommonName: probe, DNSNames: []string{probe}}
	return plan
}

// DirMode is the mode of the directories the certificates and keys are written to: the keys
// are 0600 in them, and the directory says who may even list them (its owner).
const DirMode = 0o700

// Ensure creates whatever the topology needs that dir lacks (with Force, everything) and returns
// the files it wrote. An existing CA is reused; a missing CA with existing leaves is an error,
// because new leaves would not chain to what peers already trust. Every certificate it issues
// carries the CDP and AIA URLs of its CA under the topology's pki base (see crl.go), each CA has
// a CRL, and a CRL past half its validity is re-signed.
func Ensure(t *topology.Topology, opts Options) ([]string, error) {
	if err := os.MkdirAll(opts.Dir, DirMode); err != nil {
		return nil, fmt.Errorf("certificate directory: %w", err)
	}
	unlock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	plan := Plan(t)
	names := make([]string, 0, len(plan))
	for n := range plan {
		names = append(names, n)
	}
	sort.Strings(names)

	caCert, caKey := filepath.Join(opts.Dir, CACertFile), filepath.Join(opts.Dir, CAKeyFile)
	var ca *Pair
	var written []string
	if !opts.Force && exists(caCert) {
		var err error
		if ca, err = LoadPair(caCert, caKey); err != nil {
			return nil, err
		}
	} else {
		if !opts.Force {
			for _, n := range names {
				if exists(CertPath(opts.Dir, n)) {
					return nil, fmt.Errorf("%s exists but %s does not: restore the CA, or re-create everything with --force (peers must then trust the new CA)", CertPath(opts.Dir, n), caCert)
				}
			}
		}
		var err error
		ca, err = Issue(Request{CommonName: "mockdirector root CA", CA: true, Key: opts.Key, Validity: caValidity}, nil)
		if err != nil {
			return nil, err
		}
		if err := WritePair(ca, caCert, caKey, true); err != nil {
			return nil, err
		}
		written = append(written, caCert, caKey)
	}
	if opts.PKIBase, err = reconcileBase(opts.Dir, t, len(written) > 0); err != nil {
		return written, err
	}
	signer, iw, err := signerFor(opts, ca, len(written) > 0)
	if err != nil {
		return written, err
	}
	written = append(written, iw...)
	for _, n := range names {
		cp, kp := CertPath(opts.Dir, n), KeyPath(opts.Dir, n)
		if !opts.Force && exists(cp) && exists(kp) {
			continue
		}
		req := plan[n]
		req.Key = opts.Key
		req.Validity = opts.Validity
		publish(&req, opts.PKIBase, stemOf(signer, ca))
		leaf, err := Issue(req, signer)
		if err != nil {
			return written, err
		}
		if err := WriteChain(leaf, intermediatesOf(signer, ca), cp, kp, true); err != nil {
			return written, err
		}
		written = append(written, cp, kp)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	cw, err := renewCRLs(opts.Dir, now)
	return append(written, cw...), err
}

// stemOf is the file stem of the CA signer: the root's or the intermediate's.
func stemOf(signer, root *Pair) string {
	if len(intermediatesOf(signer, root)) > 0 {
		return StemIntermediate
	}
	return StemRoot
}

// Init creates a fresh CA and every leaf; it refuses to overwrite anything unless opts.Force.
func Init(t *topology.Topology, opts Options) ([]string, error) {
	if !opts.Force {
		var clash []string
		for _, f := range append([]string{CACertFile, CAKeyFile, IntermediateCertFile, IntermediateKeyFile, CACRLFile, IntermediateCRLFile}, planFiles(t)...) {
			if p := filepath.Join(opts.Dir, f); exists(p) {
				clash = append(clash, p)
			}
		}
		if len(clash) > 0 {
			return nil, fmt.Errorf("refusing to overwrite %s: pass --force to replace them (peers must then trust the new CA)", strings.Join(clash, ", "))
		}
	}
	opts.Force = true
	return Ensure(t, opts)
}

func planFiles(t *topology.Topology) []string {
	var out []string
	for n := range Plan(t) {
		out = append(out, n+".crt", n+".key")
	}
	sort.Strings(out)
	return out
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// WritePair writes the certificate (0644) and key (0600) as PEM, each through a temporary file
// and a rename so a crash leaves either the old file or the new one.
func WritePair(p *Pair, certFile, keyFile string, overwrite bool) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(p.Key)
	if err != nil {
		return err
	}
	if !overwrite {
		for _, f := range []string{certFile, keyFile} {
			if exists(f) {
				return fmt.Errorf("refusing to overwrite %s: pass --force", f)
			}
		}
	}
	if err := writeAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Cert.Raw}), 0o644)
}

func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := restrictFile(tmp.Name(), mode); err != nil { // keyacl_*.go: an ACL on Windows
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// LoadPair reads a PEM certificate and its PEM private key (PKCS#8, PKCS#1 or SEC 1).
func LoadPair(certFile, keyFile string) (*Pair, error) {
	certs, err := ReadCerts(certFile)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fileErr(keyFile, err)
	}
	key, err := parseKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	return &Pair{Cert: certs[0], Key: key}, nil
}

// ReadCerts reads every CERTIFICATE block of a PEM file; none is an error naming the file.
func ReadCerts(file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fileErr(file, err)
	}
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", file, len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate in the file (is it DER or PFX? convert with openssl, or use a .pfx path with --cert-password)", file)
	}
	return out, nil
}

func fileErr(file string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s does not exist: create certificates with `mockdirector certs init --dir %s`", file, filepath.Dir(file))
	}
	return fmt.Errorf("%s: %w", file, err)
}
