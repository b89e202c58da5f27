package wireprofile

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// ServerTLS returns a copy of base (certificates, client authentication, roots) with the profile
// applied: versions, suites and curves in the host's order with the server's choice enforced,
// ALPN, session tickets. base is not changed; nil means no certificate (the caller adds one).
//
// ALPN: the result offers those protocols of base.NextProtos the profile's host would select, in
// the host's order (all of them, unchanged, when AnyALPN). An HTTP listener passes NextProtos {"h2", "http/1.1"}; a SIP or CLS listener
// passes none and gets none. For schannel profiles the per-connection config is built in
// GetConfigForClient, so NextProtos that net/http adds to the returned config later are not
// offered: pass them in base.
//
// A GetConfigForClient of base runs first; the profile is applied to what it returns. A
// GetCertificate of base is called once more by the profile to learn the certificate's key type.
func (p Profile) ServerTLS(base *tls.Config) *tls.Config {
	if base == nil {
		base = &tls.Config{}
	}
	tmpl := p.static(base)
	if len(p.Suites) == 0 {
		return tmpl
	}
	inner := base.GetConfigForClient
	tmpl.GetConfigForClient = nil
	out := tmpl.Clone()
	out.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		cfg := tmpl
		if inner != nil {
			r, err := inner(hello)
			if err != nil {
				return nil, err
			}
			if r != nil {
				cfg = p.static(r)
				cfg.GetConfigForClient = nil
			}
		}
		return p.forClient(cfg, hello)
	}
	return out
}

// static applies what needs no ClientHello.
func (p Profile) static(base *tls.Config) *tls.Config {
	c := base.Clone()
	c.MinVersion, c.MaxVersion = p.MinVersion, p.MaxVersion
	c.SessionTicketsDisabled = !p.SessionTickets
	if len(p.Suites) > 0 {
		c.CipherSuites = p.SuiteIDs()
	}
	if len(p.Curves) > 0 {
		c.CurvePreferences = slices.Clone(p.Curves)
	}
	if p.AnyALPN {
		return c
	}
	var protos []string
	for _, proto := range p.ALPN {
		if slices.Contains(base.NextProtos, proto) {
			protos = append(protos, proto)
		}
	}
	c.NextProtos = protos
	return c
}

// forClient picks, as schannel does, the first suite of the profile's order that the client
// offers and the certificate and curves allow, and the first curve of the profile's order the
// client offers, and returns cfg narrowed to them. When nothing fits it returns cfg unchanged and
// crypto/tls refuses the handshake with the alert it would send anyway.
func (p Profile) forClient(cfg *tls.Config, hello *tls.ClientHelloInfo) (*tls.Config, error) {
	v := mutualVersion(p, hello.SupportedVersions)
	if v == 0 {
		return cfg, nil
	}
	cert, err := certificateFor(cfg, hello)
	if err != nil {
		return nil, fmt.Errorf("wireprofile %s: certificate for %q: %w", p.Name, hello.ServerName, err)
	}
	kind := keyKind(cert)
	curve := firstCurve(p.Curves, hello)
	for _, s := range p.SuitesFor(v) {
		if !slices.Contains(hello.CipherSuites, s.ID) || !suiteFits(s.Name, kind, curve != 0) {
			continue
		}
		per := cfg.Clone()
		per.CipherSuites = []uint16{s.ID}
		if strings.HasPrefix(s.Name, "TLS_ECDHE_") {
			per.CurvePreferences = []tls.CurveID{curve}
		}
		if cert != nil {
			per.Certificates = []tls.Certificate{*cert}
			per.GetCertificate = nil
		}
		return per, nil
	}
	return cfg, nil
}

// mutualVersion is the highest version both sides enable, as schannel and crypto/tls choose.
func mutualVersion(p Profile, client []uint16) uint16 {
	var best uint16
	for _, v := range client {
		if v >= p.MinVersion && v <= p.MaxVersion && v > best && v <= tls.VersionTLS13 {
			best = v
		}
	}
	return best
}

func firstCurve(prefs []tls.CurveID, hello *tls.ClientHelloInfo) tls.CurveID {
	if len(hello.SupportedPoints) > 0 && !slices.Contains(hello.SupportedPoints, 0) { // 0: uncompressed
		return 0
	}
	for _, c := range prefs {
		if slices.Contains(hello.SupportedCurves, c) {
			return c
		}
	}
	return 0
}

// certificateFor is the certificate crypto/tls would present: GetCertificate's, else the first of
// Certificates the client supports, else the first.
func certificateFor(cfg *tls.Config, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if cfg.GetCertificate != nil {
		c, err := cfg.GetCertificate(hello)
		if err != nil || c != nil {
			return c, err
		}
	}
	if len(cfg.Certificates) == 0 {
		return nil, nil
	}
	for i := range cfg.Certificates {
		if hello.SupportsCertificate(&cfg.Certificates[i]) == nil {
			return &cfg.Certificates[i], nil
		}
	}
	return &cfg.Certificates[0], nil
}

type kind int

const (
	kindUnknown kind = iota
	kindRSA
	kindEC // ECDSA or Ed25519: the ECDHE_ECDSA suites
)

func keyKind(cert *tls.Certificate) kind {
	if cert == nil {
		return kindUnknown
	}
	signer, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return kindUnknown
	}
	switch signer.Public().(type) {
	case *rsa.PublicKey:
		return kindRSA
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return kindEC
	}
	return kindUnknown
}

// suiteFits says whether a suite can be negotiated with this key and, for ECDHE, a common curve.
func suiteFits(name string, k kind, haveCurve bool) bool {
	switch {
	case strings.HasPrefix(name, "TLS_ECDHE_ECDSA_"):
		return haveCurve && k == kindEC
	case strings.HasPrefix(name, "TLS_ECDHE_RSA_"):
		return haveCurve && k == kindRSA
	case strings.HasPrefix(name, "TLS_RSA_"):
		return k == kindRSA
	}
	return false
}
