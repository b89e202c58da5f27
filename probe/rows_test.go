package probe_test

import (
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
)

// One spec per row of the scenario, run against the three roles serving on loopback, each row
// from its source role's own address. Labels carry the source role, the port, the protocol and
// the check, so `ginkgo --label-filter=sip` or `--label-filter=edge-internal && 5061` select.
var _ = Describe("the scenario against serve on loopback", Ordered, Label("rows"), func() {
	var l *lab
	BeforeAll(func() { l = startLab() })

	for _, r := range scenarioRows {
		labels := Label(r.From, r.To, strconv.Itoa(r.Port), r.Transport, r.Protocol, r.CheckKind(), r.Expect)
		if r.Protocol == scenarios.ProtoSIPMTLS {
			labels = append(labels, "sip", "mtls")
		}
		if r.Protocol == scenarios.ProtoCLSMTLS {
			labels = append(labels, "cls", "mtls")
		}
		It(r.ID(), labels, func() {
			if r.Denied() {
				Skip(probe.FirewallSkipReason)
			}
			res := runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(res.Identity).NotTo(BeNil(), "the mock says who answered")
			Expect(res.Identity.Role).To(Equal(r.To))
			if r.Protocol != scenarios.ProtoTCP && r.Protocol != scenarios.ProtoHTTP {
				Expect(res.ServerCert).NotTo(BeNil())
				Expect(res.ServerCert.SANs).To(ContainElement(HaveSuffix(".contoso.local")))
				// The default wire profile: Windows Server 2012 R2 speaks TLS 1.2 at most, and
				// picks, in its order, the first suite Go's client offers.
				Expect(res.TLSVersion).To(Equal("TLS 1.2"))
				Expect(res.Negotiated).To(Equal("TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA P-256 alpn=-"))
			}
			if res.Identity.RemoteIP != "" {
				Expect(res.Identity.RemoteIP).To(Equal(l.topo.SourceAddr(r.From).String()), "the mock saw the source role's own address")
			}
		})
	}
})
