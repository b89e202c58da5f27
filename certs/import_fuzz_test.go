package certs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
)

// fuzzIdentity makes a self-signed ECDSA certificate and key for the seed corpus.
func fuzzIdentity(f *testing.F) (certPEM, keyPEM []byte, key *ecdsa.PrivateKey, cert *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz.contoso.local"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		DNSNames: []string{"fuzz.contoso.local"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		f.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		f.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		f.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), key, cert
}

// FuzzLoadIdentityPEM feeds --cert/--key-file/--ca arbitrary PEM files: the loader ends in an
// identity or an error naming a file, never a panic, and an identity has a leaf and a key.
func FuzzLoadIdentityPEM(f *testing.F) {
	certPEM, keyPEM, key, _ := fuzzIdentity(f)
	f.Add(certPEM, keyPEM)
	ec, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ec}))
	f.Add(append(certPEM, certPEM...), append(keyPEM, certPEM...))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	dir := fuzzDir(f)
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	f.Fuzz(func(t *testing.T, certData, keyData []byte) {
		if err := os.WriteFile(cf, certData, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(kf, keyData, 0o600); err != nil {
			t.Fatal(err)
		}
		if chain, err := certs.ReadCerts(cf); err == nil && len(chain) == 0 {
			t.Fatal("ReadCerts returned no certificate and no error")
		}
		id, err := certs.LoadIdentity(cf, kf, cf)
		if err != nil {
			return
		}
		if id.Leaf == nil || id.Cert.PrivateKey == nil || len(id.Cert.Certificate) == 0 || id.Roots == nil {
			t.Fatalf("incomplete identity: %+v", id)
		}
	})
}

// FuzzReadPFX feeds a .pfx --cert with a password arbitrary bytes: the PKCS#12 import ends in
// an identity or an error naming the file, never a panic. (A PFX's key-derivation iteration
// count is its own, unbounded by go-pkcs12, so the fuzzer's inputs are what bound its time.)
func FuzzReadPFX(f *testing.F) {
	_, _, key, cert := fuzzIdentity(f)
	for _, format := range []certs.PFXFormat{certs.PFXLegacy, certs.PFXModern} {
		pfx, err := certs.EncodePFX(key, []*x509.Certificate{cert, cert}, "pw", format)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pfx, "pw")
		f.Add(pfx, "")
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x03}, "pw")
	p := filepath.Join(fuzzDir(f), "site.pfx")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		id, err := certs.LoadIdentityPassword(p, "", "", password)
		if err != nil {
			return
		}
		if id.Leaf == nil || id.Cert.PrivateKey == nil || len(id.Cert.Certificate) == 0 || id.Roots == nil {
			t.Fatalf("incomplete identity: %+v", id)
		}
	})
}

// fuzzDir is f.TempDir that Wine can remove too (testdir.RemoveAll; see make windows).
func fuzzDir(f *testing.F) string {
	dir, err := os.MkdirTemp("", "md-fuzz-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := testdir.RemoveAll(dir); err != nil {
			f.Error(err)
		}
	})
	return dir
}
