package probe_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("planning a run", Label("plan"), func() {
	var certDir string
	BeforeEach(func() {
		certDir = testdir.New()
		_, err := certs.Init(testTopology(), certs.Options{Dir: certDir})
		Expect(err).NotTo(HaveOccurred())
	})

	It("acts as --as roles: their rows and the rows from any, from the role's address, with the role's certificate", func() {
		jobs, err := probe.Plan(probe.Options{Topology: testTopology(), As: []string{scenarios.RoleEdgeInternal}, Credentials: probe.Credentials{Dir: certDir}})
		Expect(err).NotTo(HaveOccurred())
		var ids []string
		for _, j := range jobs {
			ids = append(ids, j.Row.ID())
			Expect(j.From).To(Equal(scenarios.RoleEdgeInternal))
			Expect(j.Source.String()).To(Equal("127.0.20.4"))
			if j.Identity != nil {
				Expect(j.Identity.Leaf.DNSNames).To(ContainElement("edge01-int.contoso.local"))
			}
		}
		Expect(ids).To(ContainElements(
			"edge-internal->director tcp/5061 sip-mtls", "edge-internal->frontend tcp/5061 sip-mtls",
			"any->director tcp/50001 cls-mtls", "any->director tcp/50002 cls-mtls", "any->director tcp/50003 cls-mtls",
			"edge-internal->director udp/443 udp-quic", "edge-internal->director udp/4443 udp-quic", "edge-internal->director udp/5061 udp-quic",
		))
		for _, id := range ids {
			Expect(id).To(Or(HavePrefix("edge-internal->"), HavePrefix("any->director tcp/5000")), "only the Edge's rows and the allow rows from any")
		}
	})

	It("targets the pool address unless --target or the row says otherwise, and verifies the pool FQDN", func() {
		jobs, err := probe.Plan(probe.Options{Topology: testTopology(), Only: "edge-internal->director tcp/5061 sip", PortOffset: 100,
			Targets: map[string]string{"director": "203.0.113.10"}, Credentials: probe.Credentials{Dir: certDir}})
		Expect(err).NotTo(HaveOccurred())
		Expect(jobs).To(HaveLen(1))
		Expect(jobs[0].Target).To(Equal("203.0.113.10:5161"))
		Expect(jobs[0].ServerName).To(Equal("dir-pool.contoso.local"))
		Expect(jobs[0].Check).To(Equal(wire.CheckSIPOptions))
	})

	It("refuses unknown roles, a --target with a port and a selection that matches nothing", func() {
		_, err := probe.Plan(probe.Options{Topology: testTopology(), As: []string{"firewall"}})
		Expect(err).To(MatchError(ContainSubstring(`--as "firewall" is not a source role`)))
		_, err = probe.Plan(probe.Options{Topology: testTopology(), Targets: map[string]string{"director": "10.0.0.1:443"}})
		Expect(err).To(MatchError(ContainSubstring("without a port")))
		_, err = probe.Plan(probe.Options{Topology: testTopology(), Only: "no-such-row"})
		Expect(err).To(MatchError(ContainSubstring("no rows selected")))
	})
})
