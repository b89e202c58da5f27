// Package baretls gives the bench's bare peers (bareweb, baresip) the same TLS the mock's wire
// profile negotiates with the load client, so a ratio compares what the mock does per request
// and not two different record protections: the mock's default profile (Windows Server 2012 R2)
// speaks TLS 1.2 with a CBC-HMAC suite and no session tickets, which costs several times what
// Go's default TLS 1.3 AES-GCM does.
package baretls

import (
	"crypto/tls"
	"flag"
	"fmt"
	"strings"
)

// Flags are the TLS flags of a bare peer.
type Flags struct {
	suite, curve *string
	tickets      *bool
}

// Register adds -tls12-suite, -curve and -tickets to fs.
func Register(fs *flag.FlagSet) Flags {
	return Flags{
		suite:   fs.String("tls12-suite", "", "serve TLS 1.2 only with this one suite (Go's name, e.g. TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256), as the mock negotiated it; empty: Go's defaults (TLS 1.3)"),
		curve:   fs.String("curve", "P256", "the one ECDHE curve with -tls12-suite (P256, P384, X25519)"),
		tickets: fs.Bool("tickets", false, "issue session tickets with -tls12-suite (the mock's default profile issues none)"),
	}
}

// Apply narrows conf to the flags: unchanged when -tls12-suite is empty.
func (f Flags) Apply(conf *tls.Config) error {
	if *f.suite == "" {
		return nil
	}
	var id uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if s.Name == *f.suite {
			id = s.ID
		}
	}
	if id == 0 {
		return fmt.Errorf("-tls12-suite %s: crypto/tls has no such suite", *f.suite)
	}
	curves := map[string]tls.CurveID{"P256": tls.CurveP256, "P384": tls.CurveP384, "P521": tls.CurveP521, "X25519": tls.X25519}
	c, ok := curves[strings.ToUpper(*f.curve)]
	if !ok {
		return fmt.Errorf("-curve %s: not one of P256, P384, P521, X25519", *f.curve)
	}
	conf.MinVersion, conf.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	conf.CipherSuites = []uint16{id}
	conf.CurvePreferences = []tls.CurveID{c}
	conf.SessionTicketsDisabled = !*f.tickets
	return nil
}

// Describe names what conf serves, for the peer's log.
func Describe(conf *tls.Config) string {
	if len(conf.CipherSuites) != 1 {
		return "Go's default TLS (TLS 1.3 first)"
	}
	return fmt.Sprintf("TLS 1.2 only, %s, curve %v, session tickets %v", tls.CipherSuiteName(conf.CipherSuites[0]), conf.CurvePreferences[0], !conf.SessionTicketsDisabled)
}
