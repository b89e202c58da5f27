package quicprobe_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/quicprobe"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// siteYAML is a site whose Director serves HTTP/3 on 443 and QUIC responders on UDP 3478-3480
// (a media-like range) and UDP 5061 (beside SIP on TCP 5061).
const siteYAML = `
domain: contoso.com
pools:
  director:
    fqdn: dir-pool.contoso.local
    members:
      - {name: dir01.contoso.local, address: 127.0.60.7}
listeners:
  - {role: director, port: 443, http3: true, profile: modern}
  - {role: director, transport: udp-quic, port: 3478, port_end: 3480}
  - {role: director, transport: udp-quic, port: 5061}
`

var _ = Describe("UDP listeners from the topology", Label("udp-quic", "h3", "topology"), func() {
	It("serves the http3 and udp-quic entries of a site with the role, and probes see them open", func() {
		topo, err := topology.Parse("site.yaml", []byte(siteYAML))
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		rec := &events{}
		site, err := mdtest.Start(mdtest.Options{Scenario: scenarios.Default(), Topology: topo, CertDir: dir,
			Observers: []journal.Recorder{rec}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(site.Close()).To(Succeed()) })
		inst := site.Members[0]

		addrs := inst.Addrs()
		Expect(addrs).To(HaveKey("sip-mtls-5061"), "the TCP row on 5061 is still served")
		prober, err := certs.LoadFromDir(dir, certs.ProbeName)
		Expect(err).NotTo(HaveOccurred())
		for _, name := range []string{"udp-quic-3478", "udp-quic-3479", "udp-quic-3480", "udp-quic-5061"} {
			Expect(addrs).To(HaveKey(name))
			Expect(addrs[name].Network()).To(Equal("udp"))
			out := quicprobe.Handshake(timeoutCtx(2*time.Second), addrs[name].String(), "127.0.60.207", prober.ClientConfig(poolFQDN))
			Expect(out.State).To(Equal(wire.StateOpen), name+": "+out.Reason)
			Expect(out.Identity.Listener).To(Equal(name))
		}
		// Every port of the range is its own listener on the member's address, booked under its
		// table port (the kernel picked the bound ones).
		for _, p := range []int{3478, 3479, 3480} {
			a := site.Addresses[probe.Dest{Role: scenarios.RoleDirector, Transport: scenarios.TransportUDP, Port: p}]
			Expect(a).To(Equal(addrs[fmt.Sprintf("udp-quic-%d", p)].String()))
			Expect(a).To(HavePrefix("127.0.60.7:"))
		}

		status, id, err := quicprobe.GetH3(timeoutCtx(2*time.Second), fmt.Sprintf("https://%s/", addrs["https-443"]), "", prober.ClientConfig(poolFQDN))
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(Equal(200))
		Expect(id.Listener).To(Equal("https-443"))
		Eventually(rec.List).Should(ContainElement(And(HaveField("Kind", journal.KindHTTP), HaveField("Transport", journal.TransportUDPQUIC))))
	})

	DescribeTable("refuses udp-quic entries that cannot be served",
		func(entry, want string) {
			_, err := topology.Parse("site.yaml", []byte(`
pools:
  director:
    fqdn: dir-pool.contoso.local
    members: [{name: dir01.contoso.local}]
listeners:
  - `+entry+"\n"))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("unknown transport", "{role: director, port: 443, transport: sctp}", `transport "sctp" is not tcp or udp-quic`),
		Entry("range too large", "{role: director, transport: udp-quic, port: 50000, port_end: 59999}", "at most 256 per entry"),
		Entry("range backwards", "{role: director, transport: udp-quic, port: 3480, port_end: 3478}", "port_end 3478 must be between"),
		Entry("range on tcp", "{role: director, port: 443, port_end: 444}", "port_end is only for transport udp-quic"),
		Entry("no role", "{transport: udp-quic, port: 3478}", "needs a role"),
		Entry("http3 on udp-quic", "{role: director, transport: udp-quic, port: 3478, http3: true}", "do not apply"),
	)
})
