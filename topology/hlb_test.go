package topology_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("a pool behind an HLB", func() {
	const pool = "pools:\n  director:\n    fqdn: dir-pool.contoso.local\n"
	const members = "    members:\n      - {name: dir01.contoso.local, address: 192.0.2.21}\n"

	It("takes the expected persistence and monitor port", func() {
		t, err := topology.Parse("site.yaml", []byte(pool+"    vip: 192.0.2.10\n    persistence: cookie\n    monitor_port: 5061\n"+members))
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Pools["director"].Persistence).To(Equal(topology.PersistenceCookie))
		Expect(t.Pools["director"].MonitorPort).To(Equal(5061))
	})

	DescribeTable("names the line and the fix of a wrong value",
		func(extra, want string) {
			_, err := topology.Parse("site.yaml", []byte(pool+extra+members))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("an unknown persistence", "    vip: 192.0.2.10\n    persistence: sticky\n", `site.yaml:5: pools.director.persistence: "sticky" is not one of source, cookie, none`),
		Entry("a monitor port out of range", "    vip: 192.0.2.10\n    monitor_port: 70000\n", "site.yaml:5: pools.director.monitor_port: 70000 is out of range"),
		Entry("HLB settings without a VIP", "    persistence: source\n", "give the pool its vip"),
	)
})
