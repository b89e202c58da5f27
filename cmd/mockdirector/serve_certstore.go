package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/winstore"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
	"github.com/spf13/pflag"
)

// storeFlags are serve's --cert-store, --thumbprint and --cert-findings: the site's own
// certificate served from the Windows machine store (serve_certstore_windows.go opens it).
type storeFlags struct {
	store, thumbprint, findings string
}

// What serve does with a store certificate that fails a Lync certificate requirement.
const (
	findingsRefuse = "refuse"
	findingsWarn   = "warn"
)

// addStoreFlags registers the store flags on serve's flag set.
func addStoreFlags(fl *pflag.FlagSet, f *storeFlags) {
	fl.StringVar(&f.store, "cert-store", "",
		`Windows: serve the certificate --thumbprint from the machine store LocalMachine\NAME (My: certlm.msc Personal, Cert:\LocalMachine\My) with its private key and the chain Windows builds; client certificates must chain to that chain's root, or to --ca`)
	fl.StringVar(&f.thumbprint, "thumbprint", "",
		`with --cert-store: the certificate's thumbprint (SHA-1) as certlm.msc or Get-ChildItem Cert:\LocalMachine\My shows it; spaces, colons and case do not matter`)
	fl.StringVar(&f.findings, "cert-findings", findingsRefuse,
		"with --cert-store: refuse to start when the certificate fails a Lync certificate requirement (no CDP, RSASSA-PSS, a name of the role missing, ...), or warn and serve it anyway")
}

// storeRequest is what serve asks of the store: the flags, checked.
type storeRequest struct {
	store      string
	thumbprint winstore.Thumbprint
	refuse     bool
}

// parseStoreFlags checks the store flags against the rest of serve's: nil when none is given.
func parseStoreFlags(f serveFlags, passwordGiven bool) (*storeRequest, error) {
	s := f.store
	if s.store == "" && s.thumbprint == "" {
		return nil, nil
	}
	switch {
	case s.thumbprint == "":
		return nil, fmt.Errorf(`--cert-store %s needs --thumbprint: Get-ChildItem Cert:\LocalMachine\My lists the thumbprints (certlm.msc: the certificate, Details, Thumbprint)`, s.store)
	case s.store == "":
		return nil, errors.New("--thumbprint needs --cert-store My: the store the certificate was imported into (LocalMachine\\My, certlm.msc Personal)")
	case f.cert != "" || f.keyFile != "" || passwordGiven:
		return nil, errors.New("--cert-store serves the certificate and the private key the store holds: leave out --cert, --key-file and --cert-password (--ca may stay: the CAs client certificates must chain to)")
	case f.role == scenarios.RolePKI:
		return nil, errors.New("--role pki serves plain HTTP (the CA's CRL and certificate): it has no certificate to take from --cert-store")
	case s.findings != findingsRefuse && s.findings != findingsWarn:
		return nil, fmt.Errorf("--cert-findings %q: refuse (default) or warn", s.findings)
	}
	t, err := winstore.ParseThumbprint(s.thumbprint)
	if err != nil {
		return nil, fmt.Errorf("--thumbprint: %w", err)
	}
	return &storeRequest{store: s.store, thumbprint: t, refuse: s.findings == findingsRefuse}, nil
}

// certStoreIdentity is the identity serve presents when the store flags are given, nil when
// they are not. member is the member serve stands in for (its FQDN is one of the names the
// certificate must carry).
func certStoreIdentity(f serveFlags, passwordGiven bool, topo *topology.Topology, member string, out io.Writer) (*certs.Identity, error) {
	req, err := parseStoreFlags(f, passwordGiven)
	if err != nil || req == nil {
		return nil, usageErrOrNil(err)
	}
	st, err := openCertStore(req.store)
	if err != nil {
		return nil, usageErr(err)
	}
	id, err := storeIdentity(st, req, f.ca, topo, f.role, member, out)
	if err != nil {
		return nil, usageErr(err)
	}
	return id, nil
}

func usageErrOrNil(err error) error {
	if err == nil {
		return nil
	}
	return usageErr(err)
}

// storeIdentity selects the certificate, takes the roots (caFile, else the root Windows chained
// the certificate to), and holds the chain to the Lync certificate requirements of the role
// (certs.Lint: CDP, no RSASSA-PSS, key length, the role's names, the chain to the roots).
//
// A failed requirement refuses the start unless req.refuse is false: the certificate was bought
// for the Director Lync will become, and a requirement it fails now is one Lync will refuse it
// for once it is installed; serve says so, with the fix, before the first probe rather than
// letting a staging window go by on a certificate that cannot stay. --cert-findings warn serves
// it anyway (to prove the firewall while it is re-issued); the probes' certificate rows then
// fail, as a Lync peer would.
func storeIdentity(st winstore.Store, req *storeRequest, caFile string, topo *topology.Topology, role, member string, out io.Writer) (*certs.Identity, error) {
	sel, err := winstore.Select(st, req.thumbprint)
	if err != nil {
		return nil, err
	}
	where := fmt.Sprintf("%s %s (%q)", st.Name(), req.thumbprint, sel.Leaf.Subject.CommonName)
	var roots *x509.CertPool
	rootsFrom := "the CAs of --ca " + caFile
	switch {
	case caFile != "":
		if roots, err = certs.LoadPool(caFile); err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
	case sel.Root != nil:
		roots = x509.NewCertPool()
		roots.AddCert(sel.Root)
		rootsFrom = fmt.Sprintf("%q, the root Windows chained it to", sel.Root.Subject.CommonName)
	default:
		return nil, fmt.Errorf(`%s: Windows found no root for it (issuer %q): import the root CA into LocalMachine\Root (Import-Certificate -FilePath ROOT.cer -CertStoreLocation Cert:\LocalMachine\Root) and any intermediate into LocalMachine\CA, or pass --ca with the CA bundle client certificates must chain to`,
			where, lastIssuer(sel))
	}
	chain := []*x509.Certificate{sel.Leaf}
	for _, der := range sel.Cert.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%s: its chain: %w", where, err)
		}
		chain = append(chain, c)
	}
	p, err := certs.ProfileFor(topo, role, member)
	if err != nil {
		return nil, err
	}
	p.Roots = roots
	findings := certs.Lint(chain, p)
	fmt.Fprintf(out, "certificate %s, expires %s, %d intermediate(s) served; client certificates must chain to %s\n",
		where, sel.Leaf.NotAfter.UTC().Format(time.DateOnly), len(chain)-1, rootsFrom)
	for _, n := range sel.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	if len(findings) > 0 {
		certs.PrintFindings(out, findings)
	}
	if certs.HasErrors(findings) {
		msg := fmt.Sprintf("%s fails the Lync certificate requirements of a %s (%s, listed above with the fix of each)",
			where, role, strings.Join(certs.Codes(findings, certs.SeverityError), ", "))
		if req.refuse {
			return nil, errors.New(msg + ": Lync will refuse it too; re-issue it, or pass --cert-findings warn to serve it anyway while it is re-issued")
		}
		fmt.Fprintf(out, "warning: %s; served anyway (--cert-findings warn): the probes' certificate rows will fail, as Lync's peers would\n", msg)
	}
	return &certs.Identity{Cert: sel.Cert, Leaf: sel.Leaf, Roots: roots, Source: where}, nil
}

// lastIssuer is the issuer of the last certificate of the chain Windows built.
func lastIssuer(sel *winstore.Selection) string {
	last := sel.Leaf
	if n := len(sel.Cert.Certificate); n > 1 {
		if c, err := x509.ParseCertificate(sel.Cert.Certificate[n-1]); err == nil {
			last = c
		}
	}
	return last.Issuer.String()
}
