package wireprofile

import (
	"crypto/tls"
	"fmt"
	"slices"
)

// ClientTLS returns a copy of base with the profile's client side applied, so a prober presents
// itself as the profile's host would: versions, suites and curves. crypto/tls sends suites and
// curves in its own order, not schannel's; the sets match. base.NextProtos is kept. nil base is
// an empty config.
func (p Profile) ClientTLS(base *tls.Config) *tls.Config {
	if base == nil {
		base = &tls.Config{}
	}
	c := base.Clone()
	c.MinVersion, c.MaxVersion = p.MinVersion, p.MaxVersion
	if len(p.Suites) > 0 {
		c.CipherSuites = p.SuiteIDs()
	}
	if len(p.Curves) > 0 {
		c.CurvePreferences = slices.Clone(p.Curves)
	}
	return c
}

// Negotiated describes what a handshake settled on, e.g.
// "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 P-256 alpn=-", for the prober's TLS rows and the
// journal. The curve is "-" for RSA key exchange.
func Negotiated(cs tls.ConnectionState) string {
	curve := CurveName(cs.CurveID)
	alpn := cs.NegotiatedProtocol
	if alpn == "" {
		alpn = "-"
	}
	return fmt.Sprintf("%s %s %s alpn=%s", VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), curve, alpn)
}

// VersionName is the version as testssl and openssl write it: "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3".
func VersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// CurveName is the group as openssl and the RFCs write it: "P-256", "X25519"; "-" for none.
func CurveName(c tls.CurveID) string {
	switch c {
	case 0:
		return "-"
	case tls.CurveP256:
		return "P-256"
	case tls.CurveP384:
		return "P-384"
	case tls.CurveP521:
		return "P-521"
	}
	return c.String()
}
