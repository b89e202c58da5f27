package topology

import (
	"fmt"
	"net/url"
	"strings"
)

// PKI names where the site's certificate authority publishes its CRL and its certificate: the
// CRL Distribution Point and Authority Information Access URLs every certificate the mock issues
// carries (Lync requires a CDP on every server certificate, and every MTLS peer fetches it).
//
//	pki:
//	  host: pki.contoso.local                          # default pki.<domain>
//	  base_url: http://pki.contoso.local/mockdirector  # default http://<host>/mockdirector
//
// Under base_url, <ca>.crl is the CA's CRL (DER) and <ca>.crt its certificate (DER), where <ca>
// is the CA's file stem in the certificate directory: ca (the root) or intermediate.
type PKI struct {
	// Host is the PKI web server the CDP and AIA URLs name (the host the cdp rows reach).
	Host string `yaml:"host"`
	// BaseURL is the http:// (or https://) URL the CA's files are published under.
	BaseURL string `yaml:"base_url"`
}

// PKIPath is the URL path the mock's CA publishes under when base_url does not say otherwise.
const PKIPath = "/mockdirector"

// PKIHost is the host of the CDP and AIA URLs: pki.host, else the host of pki.base_url, else
// pki.<domain> (pki.mockdirector.invalid without a domain).
func (t *Topology) PKIHost() string {
	if t.PKI.Host != "" {
		return t.PKI.Host
	}
	if t.PKI.BaseURL != "" {
		if u, err := url.Parse(t.PKI.BaseURL); err == nil && u.Hostname() != "" {
			return u.Hostname()
		}
	}
	if t.Domain != "" {
		return "pki." + t.Domain
	}
	return "pki.mockdirector.invalid"
}

// PKIBaseURL is the URL the CA's <ca>.crl and <ca>.crt are published under, without a
// trailing slash: pki.base_url, else http://<PKIHost>/mockdirector.
func (t *Topology) PKIBaseURL() string {
	if t.PKI.BaseURL != "" {
		return strings.TrimSuffix(t.PKI.BaseURL, "/")
	}
	return "http://" + t.PKIHost() + PKIPath
}

func (p PKI) validate() []error {
	var errs []error
	if p.BaseURL != "" {
		u, err := url.Parse(p.BaseURL)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("pki.base_url: %w", err))
		case u.Scheme != "http" && u.Scheme != "https":
			errs = append(errs, fmt.Errorf("pki.base_url %q: want an http:// URL (Windows fetches CRLs over HTTP; https works only if the CRL server's own certificate needs no revocation check)", p.BaseURL))
		case u.Host == "":
			errs = append(errs, fmt.Errorf("pki.base_url %q has no host", p.BaseURL))
		case u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("pki.base_url %q: no query or fragment (the CA's files are appended to it)", p.BaseURL))
		}
	}
	if strings.ContainsAny(p.Host, "/: ") {
		errs = append(errs, fmt.Errorf("pki.host %q: want a host name such as pki.contoso.local", p.Host))
	}
	return errs
}
