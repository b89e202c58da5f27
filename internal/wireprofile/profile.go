package wireprofile

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// Profile names.
const (
	// Lync2013WS2012R2 is a Lync Server 2013 role on Windows Server 2012 R2 with IIS 8.5: the
	// default, since the seed port table is Lync Server 2013's.
	Lync2013WS2012R2 = "lync2013-ws2012r2"
	// SfB2015WS2016 is a Skype for Business Server 2015 role on Windows Server 2016 with IIS 10.
	SfB2015WS2016 = "sfb2015-ws2016"
	// SfB2019WS2019 is a Skype for Business Server 2019 role on Windows Server 2019 with IIS 10.
	SfB2019WS2019 = "sfb2019-ws2019"
	// Modern is mockdirector's behaviour before profiles: TLS 1.2-1.3, h2, Go's defaults.
	Modern = "modern"
)

// Default is the profile used when none is named.
const Default = Lync2013WS2012R2

// Suite is one cipher suite of a host's list, in the host's order.
type Suite struct {
	// Name is the IANA name (schannel's name without the _P256/_P384 curve suffix).
	Name string
	// ID is the IANA code point.
	ID uint16
	// TLS12Only is true for the AEAD and SHA-256/384 suites that exist only from TLS 1.2 on.
	TLS12Only bool
}

// Profile is how one kind of host looks on the wire. The zero value is not a usable profile; get
// one with [Get].
type Profile struct {
	// Name is the profile's name, e.g. "lync2013-ws2012r2".
	Name string
	// Description says which product on which OS, in a few words.
	Description string
	// MinVersion and MaxVersion bound the TLS versions (tls.VersionTLS10 ...).
	MinVersion, MaxVersion uint16
	// Suites are the TLS 1.0-1.2 suites Go can speak, in the host's order, which the server
	// enforces. Empty means Go's defaults in Go's order (the modern profile).
	Suites []Suite
	// Missing are the suites the host enables by default that Go's crypto/tls does not implement,
	// in the host's order. The mock cannot offer them; a scanner will not see them.
	Missing []string
	// Curves are the key-exchange groups in the host's order. Empty means Go's defaults.
	Curves []tls.CurveID
	// ALPN are the application protocols the host's server side may select, in its order. Nil
	// means the server sends no ALPN extension at all (IIS 8.5 on 2012 R2: schannel has
	// client-side ALPN only there), so HTTP/2 never happens.
	ALPN []string
	// AnyALPN keeps the listener's NextProtos as they are (modern: h2, h3, whatever the listener
	// speaks); ALPN is then ignored.
	AnyALPN bool
	// HTTP3 says whether the host may serve HTTP/3 over QUIC. No Windows profile here does:
	// http.sys has HTTP/3 from Windows Server 2022, opt-in ("Enabling HTTP/3 support on Windows
	// Server 2022", Microsoft networking blog, 2021-08-24), and QUIC needs TLS 1.3, which these
	// profiles do not speak. A QUIC listener must not start under such a profile.
	HTTP3 bool
	// SessionTickets says whether the server issues RFC 5077 session tickets.
	SessionTickets bool
	// HTTPServer is the HTTP Server header value, e.g. "Microsoft-IIS/8.5".
	HTTPServer string
	// SIPServer is the SIP Server (and User-Agent) header value, e.g. "RTC/5.0".
	SIPServer string
	// Notes say where the profile differs from the real host and why, for reports and docs.
	Notes []string
	// Source cites the pages the lists come from.
	Source []string
}

// Names lists the profile names, the default first.
func Names() []string {
	return []string{Lync2013WS2012R2, SfB2015WS2016, SfB2019WS2019, Modern}
}

// Get returns the named profile; "" is the default. The returned profile is a copy the caller
// may change.
func Get(name string) (Profile, error) {
	if name == "" {
		name = Default
	}
	build, ok := registry[name]
	if !ok {
		return Profile{}, fmt.Errorf("wireprofile: unknown profile %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return build(), nil
}

// MustGet is Get for the built-in names; it panics on an unknown name (a programming error).
func MustGet(name string) Profile {
	p, err := Get(name)
	if err != nil {
		panic(err)
	}
	return p
}

var registry = map[string]func() Profile{
	Lync2013WS2012R2: lync2013WS2012R2,
	SfB2015WS2016:    sfb2015WS2016,
	SfB2019WS2019:    sfb2019WS2019,
	Modern:           modern,
}

// Versions lists the TLS versions the profile enables, lowest first.
func (p Profile) Versions() []uint16 {
	var vs []uint16
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
		if v >= p.MinVersion && v <= p.MaxVersion {
			vs = append(vs, v)
		}
	}
	return vs
}

// HTTP2 says whether the profile's server may select h2.
func (p Profile) HTTP2() bool { return p.AnyALPN || slices.Contains(p.ALPN, "h2") }

// SuiteIDs returns the IDs of p.Suites in order (nil for Go's defaults).
func (p Profile) SuiteIDs() []uint16 {
	if len(p.Suites) == 0 {
		return nil
	}
	ids := make([]uint16, len(p.Suites))
	for i, s := range p.Suites {
		ids[i] = s.ID
	}
	return ids
}

// SuitesFor returns the suites of p usable at TLS version v, in order.
func (p Profile) SuitesFor(v uint16) []Suite {
	var out []Suite
	for _, s := range p.Suites {
		if v < tls.VersionTLS12 && s.TLS12Only {
			continue
		}
		out = append(out, s)
	}
	return out
}
