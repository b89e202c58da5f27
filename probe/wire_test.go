package probe_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/scenarios"
)

// The prober as a wire profile's client (probe --client-profile), against serve's default
// profile (Lync 2013 on Windows Server 2012 R2): every TLS row reports what was negotiated.
var _ = Describe("tls rows as a wire profile's client", Ordered, Label("wireprofile"), func() {
	var l *lab
	BeforeAll(func() { l = startLab() })

	row := func(check string, port int, proto string) scenarios.Row {
		for _, r := range scenarios.Default().Rows {
			if r.Port == port && r.Protocol == proto && r.Allowed() && r.To == scenarios.RoleDirector {
				r.Check = check
				return r
			}
		}
		Fail("no such row")
		return scenarios.Row{}
	}

	It("reports the version, suite and curve Go's client gets, in the result and the reason", func() {
		res := runRow(l.options(), row(scenarios.CheckTLS, 4443, scenarios.ProtoHTTPS))
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Negotiated).To(Equal("TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA P-256 alpn=-"))
		Expect(res.Reason).To(ContainSubstring("TLS 1.2 handshake (TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, P-256)"))
	})

	It("presents itself as the 2012 R2 client with --client-profile: the server's first suite of its order", func() {
		o := l.options()
		cp := wireprofile.MustGet(wireprofile.Lync2013WS2012R2)
		o.ClientProfile = &cp
		res := runRow(o, row(scenarios.CheckTLS, 4443, scenarios.ProtoHTTPS))
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		// Schannel's 2012 R2 order starts with ECDHE_RSA AES-256-CBC-SHA384 (Go lacks it), then
		// AES-128-CBC-SHA256, which the profile's client offers and Go's default client does not.
		Expect(res.Negotiated).To(Equal("TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 P-256 alpn=-"))
	})

	It("reports the negotiation on SIP and CLS rows too", func() {
		for _, r := range []scenarios.Row{row("", 5061, scenarios.ProtoSIPMTLS), row("", 50001, scenarios.ProtoCLSMTLS)} {
			res := runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(strings.HasPrefix(res.Negotiated, "TLSv1.2 TLS_ECDHE_RSA_")).To(BeTrue(), res.Negotiated)
		}
	})

	It("shows a modern client against the default profile: no TLS 1.3, the row says the version", func() {
		o := l.options()
		cp := wireprofile.MustGet(wireprofile.Modern)
		cp.MinVersion = cp.MaxVersion // TLS 1.3 only: what Windows Server 2012 R2 cannot speak
		o.ClientProfile = &cp
		res := runRow(o, row(scenarios.CheckTLS, 4443, scenarios.ProtoHTTPS))
		Expect(res.Verdict).To(Equal(wire.VerdictFail))
		Expect(res.Reason).To(ContainSubstring("protocol version"))
	})
})
