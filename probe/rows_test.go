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
	BeforeAll(func() { l = startLab(inProcessOffset) })

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
			res := runRow(l.options(inProcessOffset), r)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(res.Identity).NotTo(BeNil(), "the mock says who answered")
			Expect(res.Identity.Role).To(Equal(r.To))
			if r.Protocol != scenarios.ProtoTCP && r.Protocol != scenarios.ProtoHTTP {
				Expect(res.ServerCert).NotTo(BeNil())
				Expect(res.ServerCert.SANs).To(ContainElement(HaveSuffix(".contoso.local")))
				Expect(res.TLSVersion).To(Equal("TLS 1.3"))
			}
			if res.Identity.RemoteIP != "" {
				Expect(res.Identity.RemoteIP).To(Equal(l.topo.SourceAddr(r.From).String()), "the mock saw the source role's own address")
			}
		})
	}
})
