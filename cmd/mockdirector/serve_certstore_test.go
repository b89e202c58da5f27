package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/winstore"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// machineStore stands in for LocalMachine\My (no test outside Windows reaches the real one):
// the certificates with a private key, each with the chain Windows would build.
type machineStore struct{ idents []winstore.Identity }

func (s machineStore) Name() string                               { return `LocalMachine\My` }
func (s machineStore) Identities() ([]winstore.Identity, error)   { return s.idents, nil }
func (s machineStore) Certificates() ([]*x509.Certificate, error) { return nil, nil }
func storeOf(key crypto.Signer, chain ...*x509.Certificate) machineStore {
	return machineStore{idents: []winstore.Identity{{Chain: chain, Signer: func() (crypto.Signer, error) { return key, nil }}}}
}

func mustIssue(t *testing.T, req certs.Request, parent *certs.Pair) *certs.Pair {
	t.Helper()
	p, err := certs.Issue(req, parent)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A certificate from the Windows store is held to the Lync certificate requirements of the
// role before serve starts: an error refuses the start (or, with --cert-findings warn, is
// printed and served), a warning is printed.
func TestStoreIdentityLint(t *testing.T) {
	topo := topology.Default()
	root := mustIssue(t, certs.Request{CommonName: "Contoso Root", CA: true}, nil)
	inter := mustIssue(t, certs.Request{CommonName: "Contoso Issuing", CA: true}, root)
	const member = "dir01.contoso.local"
	good := certs.Plan(topo)[member]
	good.CRLURLs = []string{"http://pki.contoso.com/pki/issuing.crl"}
	rsa3072, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		edit    func(*certs.Request)
		refuse  bool
		wantErr string   // empty: served
		wantOut []string // in what serve prints
	}{
		{name: "a certificate as Lync wants it is served", refuse: true,
			wantOut: []string{`certificate LocalMachine\My `, `("dir-pool.contoso.local")`, "1 intermediate(s) served", `client certificates must chain to "Contoso Root", the root Windows chained it to`}},
		{name: "no CDP refuses the start", refuse: true, edit: func(r *certs.Request) { r.CRLURLs = nil },
			wantErr: "fails the Lync certificate requirements of a director (NO_CDP, listed above with the fix of each): Lync will refuse it too", wantOut: []string{"NO_CDP"}},
		{name: "no CDP with --cert-findings warn is served, and says what will fail", refuse: false, edit: func(r *certs.Request) { r.CRLURLs = nil },
			wantOut: []string{"NO_CDP", "served anyway (--cert-findings warn): the probes' certificate rows will fail"}},
		{name: "an RSASSA-PSS signature refuses the start", refuse: true, edit: func(r *certs.Request) { r.SignatureAlgorithm = x509.SHA256WithRSAPSS },
			wantErr: "SIGNATURE_RSASSA_PSS"},
		{name: "the member's own name missing refuses the start", refuse: true, edit: func(r *certs.Request) { r.DNSNames = r.DNSNames[:1] },
			wantErr: "SAN_MISSING"},
		{name: "a 3072-bit key is served with a warning", refuse: true, edit: func(r *certs.Request) { r.PrivateKey = rsa3072 },
			wantOut: []string{"WARNING", "KEY_LENGTH_UNLISTED", "not one of the lengths Lync lists (1024, 2048, 4096)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := good
			req.DNSNames = append([]string(nil), good.DNSNames...)
			if c.edit != nil {
				c.edit(&req)
			}
			leaf := mustIssue(t, req, inter)
			st := storeOf(leaf.Key, leaf.Cert, inter.Cert, root.Cert)
			var out bytes.Buffer
			id, err := storeIdentity(st, &storeRequest{store: "My", thumbprint: winstore.ThumbprintOf(leaf.Cert), refuse: c.refuse}, "", topo, scenarios.RoleDirector, member, &out)
			switch {
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want one containing %q; printed:\n%s", err, c.wantErr, out.String())
			case c.wantErr == "" && err != nil:
				t.Fatalf("%v; printed:\n%s", err, out.String())
			case c.wantErr == "":
				if !bytes.Equal(id.Cert.Certificate[0], leaf.Cert.Raw) || len(id.Cert.Certificate) != 2 {
					t.Fatalf("served %d certificates, want the leaf and the intermediate", len(id.Cert.Certificate))
				}
				if _, err := id.Leaf.Verify(x509.VerifyOptions{Roots: id.Roots, Intermediates: pool(inter.Cert)}); err != nil {
					t.Fatalf("the roots client certificates chain to are not the store chain's root: %v", err)
				}
			}
			for _, w := range c.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("printed output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func pool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

// The roots come from --ca when given (and the chain must reach them), else from the chain
// Windows built; a chain without a root and no --ca is refused with where to import the root.
func TestStoreIdentityRoots(t *testing.T) {
	topo := topology.Default()
	const member = "dir01.contoso.local"
	root := mustIssue(t, certs.Request{CommonName: "Contoso Root", CA: true}, nil)
	other := mustIssue(t, certs.Request{CommonName: "Fabrikam Root", CA: true}, nil)
	req := certs.Plan(topo)[member]
	req.CRLURLs = []string{"http://pki.contoso.com/pki/root.crl"}
	leaf := mustIssue(t, req, root)
	sr := &storeRequest{store: "My", thumbprint: winstore.ThumbprintOf(leaf.Cert), refuse: true}
	var out bytes.Buffer

	_, err := storeIdentity(storeOf(leaf.Key, leaf.Cert), sr, "", topo, scenarios.RoleDirector, member, &out)
	if err == nil || !strings.Contains(err.Error(), `Windows found no root for it (issuer "CN=Contoso Root,O=mockdirector")`) || !strings.Contains(err.Error(), `Cert:\LocalMachine\Root`) {
		t.Fatalf("a chain without a root: %v", err)
	}

	caFile := filepath.Join(t.TempDir(), "fabrikam.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = storeIdentity(storeOf(leaf.Key, leaf.Cert, root.Cert), sr, caFile, topo, scenarios.RoleDirector, member, &out)
	if err == nil || !strings.Contains(err.Error(), "CHAIN_UNTRUSTED") {
		t.Fatalf("a --ca the chain does not reach: %v", err)
	}

	out.Reset()
	id, err := storeIdentity(storeOf(leaf.Key, leaf.Cert), sr, writeCA(t, root.Cert), topo, scenarios.RoleDirector, member, &out)
	if err != nil {
		t.Fatalf("--ca with the root, chain without it: %v\n%s", err, out.String())
	}
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: id.Roots}); err != nil {
		t.Fatalf("roots are not --ca's: %v", err)
	}
	if !strings.Contains(out.String(), "client certificates must chain to the CAs of --ca ") {
		t.Errorf("output does not say where the roots came from:\n%s", out.String())
	}
}

func writeCA(t *testing.T, c *x509.Certificate) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// The store flags are checked against the rest before any store is opened.
func TestParseStoreFlags(t *testing.T) {
	const tp = "\u200ea9 09 50 2d d8 2a e4 14 33 e6 f8 38 86 b0 0d 42 77 a3 2a 7b"
	for _, c := range []struct {
		name                        string
		store, thumbprint, findings string
		f                           serveFlags
		password                    bool
		wantErr                     string
	}{
		{name: "none given", findings: findingsRefuse},
		{name: "store and thumbprint", store: "My", thumbprint: tp, findings: findingsRefuse, f: serveFlags{role: "director", ca: "ca.pem"}},
		{name: "no thumbprint", store: "My", findings: findingsRefuse, wantErr: `--cert-store My needs --thumbprint: Get-ChildItem Cert:\LocalMachine\My`},
		{name: "no store", thumbprint: tp, findings: findingsRefuse, wantErr: "--thumbprint needs --cert-store My"},
		{name: "with --cert", store: "My", thumbprint: tp, findings: findingsRefuse, f: serveFlags{cert: "x.pem"}, wantErr: "leave out --cert, --key-file and --cert-password"},
		{name: "with a PFX password", store: "My", thumbprint: tp, findings: findingsRefuse, password: true, wantErr: "leave out --cert"},
		{name: "pki role", store: "My", thumbprint: tp, findings: findingsRefuse, f: serveFlags{role: "pki"}, wantErr: "--role pki serves plain HTTP"},
		{name: "bad findings", store: "My", thumbprint: tp, findings: "ignore", wantErr: `--cert-findings "ignore": refuse (default) or warn`},
		{name: "bad thumbprint", store: "My", thumbprint: "a9 09", findings: findingsRefuse, wantErr: "--thumbprint: thumbprint \"a9 09\": 4 hex digits"},
	} {
		c.f.store = storeFlags{store: c.store, thumbprint: c.thumbprint, findings: c.findings}
		req, err := parseStoreFlags(c.f, c.password)
		switch {
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.name == "none given" && req != nil:
			t.Errorf("%s: a request without flags", c.name)
		case c.name == "store and thumbprint" && (req == nil || req.thumbprint.String() != "A909502DD82AE41433E6F83886B00D4277A32A7B" || !req.refuse):
			t.Errorf("%s: %+v", c.name, req)
		}
	}
}
