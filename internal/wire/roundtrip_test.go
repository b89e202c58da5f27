package wire_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
)

func sample() wire.Identity {
	return wire.Identity{
		Service: wire.ServiceName, Role: "director", Member: "dir01.contoso.local", Pool: "director.contoso.local",
		Listener: "sip-mtls-5061", Protocol: "sip-mtls", Port: 5061,
		Local: "203.0.113.21:5061", Remote: "198.51.100.20:51234", RemoteIP: "198.51.100.20",
		Host: "director.contoso.local", SNI: "director.contoso.local", XForwardedFor: "192.0.2.10",
		TLSVersion: "TLS 1.2", ALPN: "h2", Method: "OPTIONS", Path: "/",
		ClientCert: &wire.CertInfo{Subject: "CN=edge01", Issuer: "CN=ca", Serial: "1f", Verified: true, SHA256: "ab12"},
		CertSHA256: "0123abcd", Guard: true, Listening: []string{"tcp/443", "tcp/5061", "udp/443"},
	}
}

var _ = Describe("every carrier of the identity", func() {
	It("round-trips the JSON document and the QUIC line in full", func() {
		id := sample()
		got, ok := wire.DecodeJSON(id.AppendJSON(nil))
		Expect(ok).To(BeTrue())
		Expect(*got).To(Equal(id))
		got, ok = wire.ParseQUICLine(id.QUICLine())
		Expect(ok).To(BeTrue())
		Expect(*got).To(Equal(id))
	})

	It("finds the identity wrapped in another JSON answer (autodiscover)", func() {
		id := sample()
		body := append([]byte(`{"AccessLocation":"Internal","_mockdirector":`), id.AppendJSON(nil)...)
		got, ok := wire.DecodeJSON(append(body, '}'))
		Expect(ok).To(BeTrue())
		Expect(got.Member).To(Equal(id.Member))
	})

	// The short carriers hold what a prober judges: who answered (role, member, listener,
	// port), the source the mock saw, the certificate it serves, and whether it is a guard.
	short := func(id wire.Identity) wire.Identity {
		return wire.Identity{Service: id.Service, Role: id.Role, Member: id.Member, Listener: id.Listener,
			Port: id.Port, Remote: id.Remote, RemoteIP: id.RemoteIP, CertSHA256: id.CertSHA256, Guard: id.Guard}
	}

	It("round-trips the HTTP headers (plus Host, SNI and X-Forwarded-For)", func() {
		id := sample()
		h := http.Header{}
		id.SetHeaders(h)
		got, ok := wire.FromHeaders(h)
		Expect(ok).To(BeTrue())
		want := short(id)
		want.Host, want.SNI, want.XForwardedFor = id.Host, id.SNI, id.XForwardedFor
		Expect(*got).To(Equal(want))
	})

	It("round-trips the SIP header", func() {
		id := sample()
		got, ok := wire.ParseSIP(id.SIPValue())
		Expect(ok).To(BeTrue())
		want := short(id)
		want.Protocol = string(wire.ProtoSIPMTLS)
		Expect(*got).To(Equal(want))
	})

	It("round-trips the CLS banner", func() {
		id := sample()
		line := id.CLSBanner()
		Expect(line).To(HavePrefix(wire.CLSBannerPrefix + " role=director member=dir01.contoso.local"))
		got, ok := wire.ParseCLSBanner(line)
		Expect(ok).To(BeTrue())
		want := short(id)
		want.Protocol = string(wire.ProtoCLSMTLS)
		Expect(*got).To(Equal(want))
	})

	It("says not-a-mock for answers without an identity", func() {
		_, ok := wire.DecodeJSON([]byte(`{"service":"iis"}`))
		Expect(ok).To(BeFalse())
		_, ok = wire.FromHeaders(http.Header{"Server": {"Microsoft-IIS/8.5"}})
		Expect(ok).To(BeFalse())
		_, ok = wire.ParseSIP("")
		Expect(ok).To(BeFalse())
		_, ok = wire.ParseCLSBanner("220 ftp ready")
		Expect(ok).To(BeFalse())
		_, ok = wire.ParseQUICLine([]byte("garbage\n"))
		Expect(ok).To(BeFalse())
	})
})
