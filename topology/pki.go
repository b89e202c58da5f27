package topology

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/mockdirector/mockdirector/scenarios"
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
//
// The PKI web server is a destination like the pools: the rows with origin "certificate
// requirement" (check cdp) go to role pki, and its address is a pools.pki entry, whose fqdn is
// the pki host (serve --role pki binds its member's address; the firewall export opens the rows
// to its VIP and members):
//
//	pools:
//	  pki:
//	    fqdn: pki.contoso.local                        # = pki.host
//	    members: [{name: pki01.contoso.local, address: 203.0.113.40}]
//
// Without pools.pki the prober dials the pki host by name, as the peers do, and the firewall
// export asks for it.
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

// validatePKI checks the pki section and that a pools.pki entry names the pki host.
func (t *Topology) validatePKI() []error {
	errs := t.PKI.validate()
	if p := t.Pools[scenarios.RolePKI]; p != nil && p.FQDN != "" && len(errs) == 0 && !strings.EqualFold(p.FQDN, t.PKIHost()) {
		errs = append(errs, fmt.Errorf("pools.pki.fqdn %q is not the pki host %q that the certificates' CDP and AIA URLs name (pki.host, else the host of pki.base_url, else pki.<domain>): make them the same", p.FQDN, t.PKIHost()))
	}
	return errs
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
