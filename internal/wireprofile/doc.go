// Package wireprofile holds the wire profiles of the hosts mockdirector stands in for: which TLS
// versions, cipher suites (in the server's order), curves and ALPN protocols the host offers, how
// it resumes sessions, and what it says in the HTTP and SIP Server headers.
//
// A firewall with TLS inspection, an IPS, an HLB health monitor or a reverse proxy decides on what
// the server offers, so the mock must offer what the real host will: a Lync Server 2013 Director on
// Windows Server 2012 R2 speaks TLS 1.0-1.2 with schannel's suite order and no HTTP/2; a modern Go
// server speaks TLS 1.3 and h2. Profiles are data (schannel.go, from Microsoft's pages, cited there);
// [Profile.ServerTLS] and [Profile.ClientTLS] apply one on top of a certificate/client-auth config.
//
// Go's crypto/tls ignores the order of Config.CipherSuites and Config.CurvePreferences and picks
// with its own preference. Schannel enforces the server's order, so ServerTLS picks the suite and
// curve itself in Config.GetConfigForClient, from the ClientHello, and returns a config that holds
// only that suite and curve: the client sees the server's choice, as from schannel.
//
// A listener uses it so:
//
//	p, err := wireprofile.Get(name) // "" is the default, lync2013-ws2012r2
//	cfg := p.ServerTLS(&tls.Config{Certificates: ..., ClientAuth: ..., ClientCAs: ...,
//		NextProtos: []string{"h2", "http/1.1"}}) // HTTP; a SIP or CLS listener passes none
//	w.Header().Set("Server", p.HTTPServer)           // SIP: p.SIPServer
//	if !p.HTTP3 { /* start no QUIC listener */ }
//
// and the prober's tls check uses p.ClientTLS(base) and reports [Negotiated] of the connection.
//
// What Go cannot do is listed per profile in [Profile.Missing] (suites Go lacks, such as DHE and
// AES-256-CBC-SHA384/SHA256) and in the profile's Notes (SSL 3.0, session-ID resumption).
package wireprofile
