package wireprofile

import (
	"crypto/tls"
	"slices"
	"strings"
)

// The schannel lists below are Microsoft's "enabled by default, in this priority order" tables,
// copied name for name, without the suites schannel uses "only when application explicitly
// requests" (TLS_RSA_WITH_NULL_*) and without SSL 2.0 suites. Names Go's crypto/tls does not know
// end up in Profile.Missing; nothing is silently dropped.

// schannel2012R2 is the default order of Windows 8.1 / Windows Server 2012 R2 with update 2919355.
// Source: "TLS Cipher Suites in Windows 8.1",
// https://learn.microsoft.com/windows/win32/secauthn/tls-cipher-suites-in-windows-8-1
// (MicrosoftDocs/win32 desktop-src/SecAuthN/tls-cipher-suites-in-windows-8-1.md, ms.date 05/31/2018).
// Before Windows 10 the curve is part of the suite string; _P256 before _P384 is the curve order.
// Windows 8.1 has no TLS_ECDHE_RSA_*_GCM suites in this list.
var schannel2012R2 = []string{
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P384",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA_P256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA_P384",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA_P256",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA_P384",
	"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
	"TLS_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA256",
	"TLS_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA",
	"TLS_RSA_WITH_AES_128_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384_P384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256_P256",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256_P384",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384_P384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256_P256",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256_P384",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA_P256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA_P384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA_P256",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA_P384",
	"TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
	"TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
	"TLS_DHE_DSS_WITH_AES_256_CBC_SHA",
	"TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
	"TLS_RSA_WITH_3DES_EDE_CBC_SHA",
	"TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA",
	"TLS_RSA_WITH_RC4_128_SHA",
	"TLS_RSA_WITH_RC4_128_MD5",
}

// schannel2016 is the default order of Windows 10 v1607 / Windows Server 2016.
// Source: "TLS Cipher Suites in Windows 10 v1607",
// https://learn.microsoft.com/windows/win32/secauthn/tls-cipher-suites-in-windows-10-v1607
// (MicrosoftDocs/win32 desktop-src/SecAuthN/tls-cipher-suites-in-windows-10-v1607.md, ms.date 05/31/2018).
// The PSK suites of that page are not enabled unless the application asks (SCH_USE_PRESHAREDKEY_ONLY).
var schannel2016 = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	"TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
	"TLS_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA256",
	"TLS_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA",
	"TLS_RSA_WITH_AES_128_CBC_SHA",
	"TLS_RSA_WITH_3DES_EDE_CBC_SHA",
	"TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
	"TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
	"TLS_DHE_DSS_WITH_AES_256_CBC_SHA",
	"TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
	"TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA",
	"TLS_RSA_WITH_RC4_128_SHA",
	"TLS_RSA_WITH_RC4_128_MD5",
}

// schannel2019 is the default order of Windows 10 v1809 / Windows Server 2019.
// Source: "TLS Cipher Suites in Windows 10 v1809",
// https://learn.microsoft.com/windows/win32/secauthn/tls-cipher-suites-in-windows-10-v1809
// (MicrosoftDocs/win32 desktop-src/SecAuthN/tls-cipher-suites-in-windows-10-v1809.md, ms.date 10/09/2018).
// Compared with 1607: DHE_RSA CBC, all DHE_DSS and RC4 moved to "supported, not enabled by default".
var schannel2019 = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	"TLS_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA256",
	"TLS_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA",
	"TLS_RSA_WITH_AES_128_CBC_SHA",
	"TLS_RSA_WITH_3DES_EDE_CBC_SHA",
}

// Curves. Windows 8.1 / 2012 R2: the _P256/_P384 suffixes above (P-521 is supported but not
// enabled by default, same page). Windows 10 1607 and later, so Server 2016 and 2019:
// curve25519, NistP256, NistP384 in that order. Source: "TLS Elliptic Curves in Windows 10
// version 1607 and later",
// https://learn.microsoft.com/windows/win32/secauthn/tls-elliptic-curves-in-windows-10-1607-and-later
var (
	curves2012R2 = []tls.CurveID{tls.CurveP256, tls.CurveP384}
	curves2016   = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}
)

// Protocol versions. Windows 8.1 / 2012 R2 and Windows 10 1607 / Server 2016 servers enable TLS
// 1.0, 1.1 and 1.2; 2012 R2 also enables SSL 3.0 (server), 1607 / 2016 disables it. No TLS 1.3
// (schannel has it from Windows Server 2022). Source: "Protocols in TLS/SSL (Schannel SSP)",
// https://learn.microsoft.com/windows/win32/secauthn/protocols-in-tls-ssl--schannel-ssp-
// (the table stops at 1703; 1809 / 2019 keeps the same defaults).

const (
	// noteSSL3 is why the 2012 R2 profile starts at TLS 1.0.
	noteSSL3 = "Windows Server 2012 R2 enables SSL 3.0 on the server side by default; Go's crypto/tls has no SSL 3.0, so the mock starts at TLS 1.0"
	// noteResumption explains the session-resumption choice of the schannel profiles.
	noteResumption = "schannel resumes TLS 1.0-1.2 sessions by session ID (server cache) and, from Windows Server 2012 R2, " +
		"by RFC 5077 tickets with an administrator-managed key (Enable-TlsSessionTicketKey); Go's server has no session-ID cache, " +
		"so the mock resumes nothing and issues no tickets: a full handshake every time, which a real host may shortcut"
	// noteALPN2012R2 is why the 2012 R2 profile sends no ALPN.
	noteALPN2012R2 = "Windows Server 2012 R2 has client-side ALPN only and IIS 8.5 no HTTP/2: the server answers no ALPN, so h2 clients get HTTP/1.1"
	// noteClientOrder is a limit of ClientTLS.
	noteClientOrder = "as a client, Go sends its own suite order, not schannel's; the set of suites and versions matches"
)

// sources of the schannel profiles, shared.
const (
	srcProtocols = "https://learn.microsoft.com/windows/win32/secauthn/protocols-in-tls-ssl--schannel-ssp-"
	srcCurves    = "https://learn.microsoft.com/windows/win32/secauthn/tls-elliptic-curves-in-windows-10-1607-and-later"
	srcTLSNotes  = "https://learn.microsoft.com/windows-server/security/tls/transport-layer-security-protocol (session resumption, ALPN)"
)

func lync2013WS2012R2() Profile {
	s, missing := resolve(schannel2012R2)
	return Profile{
		Name:        Lync2013WS2012R2,
		Description: "Lync Server 2013 on Windows Server 2012 R2 (IIS 8.5, schannel after KB2919355)",
		MinVersion:  tls.VersionTLS10, MaxVersion: tls.VersionTLS12,
		Suites: s, Missing: missing, Curves: slices.Clone(curves2012R2),
		ALPN:       nil,
		HTTPServer: "Microsoft-IIS/8.5", SIPServer: "RTC/5.0",
		Notes: []string{noteSSL3, noteResumption, noteALPN2012R2, noteClientOrder},
		Source: []string{"https://learn.microsoft.com/windows/win32/secauthn/tls-cipher-suites-in-windows-8-1",
			srcProtocols, srcTLSNotes},
	}
}

func sfb2015WS2016() Profile {
	s, missing := resolve(schannel2016)
	return Profile{
		Name:        SfB2015WS2016,
		Description: "Skype for Business Server 2015 on Windows Server 2016 (IIS 10)",
		MinVersion:  tls.VersionTLS10, MaxVersion: tls.VersionTLS12,
		Suites: s, Missing: missing, Curves: slices.Clone(curves2016),
		ALPN:       []string{"h2", "http/1.1"},
		HTTPServer: "Microsoft-IIS/10.0", SIPServer: "RTC/6.0",
		Notes: []string{noteResumption, noteClientOrder},
		Source: []string{"https://learn.microsoft.com/windows/win32/secauthn/tls-cipher-suites-in-windows-10-v1607",
			srcProtocols, srcCurves},
	}
}

func sfb2019WS2019() Profile {
	s, missing := resolve(schannel2019)
	return Profile{
		Name:        SfB2019WS2019,
		Description: "Skype for Business Server 2019 on Windows Server 2019 (IIS 10)",
		MinVersion:  tls.VersionTLS10, MaxVersion: tls.VersionTLS12,
		Suites: s, Missing: missing, Curves: slices.Clone(curves2016),
		ALPN:       []string{"h2", "http/1.1"},
		HTTPServer: "Microsoft-IIS/10.0", SIPServer: "RTC/6.0",
		Notes: []string{noteResumption, noteClientOrder},
		Source: []string{"https://learn.microsoft.com/windows/win32/secauthn/tls-cipher-suites-in-windows-10-v1809",
			srcProtocols, srcCurves},
	}
}

func modern() Profile {
	return Profile{
		Name:        Modern,
		Description: "mockdirector before profiles: Go's crypto/tls defaults, TLS 1.2-1.3, h2",
		MinVersion:  tls.VersionTLS12, MaxVersion: tls.VersionTLS13,
		AnyALPN:        true,
		HTTP3:          true,
		SessionTickets: true,
		HTTPServer:     "Microsoft-IIS/8.5 (mockdirector)", SIPServer: "RTC/5.0 mockdirector",
		Notes: []string{"not a Microsoft host: TLS 1.3 encrypts the server certificate, and the client picks the suite"},
	}
}

// goSuites maps IANA names to what Go implements, secure and insecure alike: explicit listing in
// Config.CipherSuites enables RSA key exchange and 3DES without GODEBUG=tlsrsakex=1 / tls3des=1.
var goSuites = func() map[string]Suite {
	m := map[string]Suite{}
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if len(cs.SupportedVersions) == 1 && cs.SupportedVersions[0] == tls.VersionTLS13 {
			continue
		}
		m[cs.Name] = Suite{Name: cs.Name, ID: cs.ID, TLS12Only: !slices.Contains(cs.SupportedVersions, tls.VersionTLS10)}
	}
	return m
}()

// resolve turns a schannel list into the suites Go has, in order, and the names it lacks. The
// curve suffixes of pre-Windows 10 names collapse into one suite.
func resolve(names []string) (have []Suite, missing []string) {
	for _, n := range names {
		n = strings.TrimSuffix(strings.TrimSuffix(n, "_P256"), "_P384")
		if s, ok := goSuites[n]; ok {
			if !slices.ContainsFunc(have, func(h Suite) bool { return h.ID == s.ID }) {
				have = append(have, s)
			}
			continue
		}
		if !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	return have, missing
}
