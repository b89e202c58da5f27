package probe_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// The one-member-up HLB specs own 127.0.25.30-35: a Director pool of two members behind a VIP
// where only dir01 runs (dir02 is down, or missing from the HLB's pool), and in front of it a
// layer-4 HLB with no persistence at all that skips a member it cannot reach, as an HLB whose
// monitor marked it down does. Every request lands on dir01, just as it would behind a working
// persistence: the affinity checks cannot tell, so they must not pass.
const (
	oneVIP   = "127.0.25.30"
	oneDir01 = "127.0.25.31"
	oneDir02 = "127.0.25.32" // in the topology, never started
)

func oneUpTopology() *topology.Topology {
	t, err := topology.Parse("hlb-one-up-spec", []byte(`domain: contoso.com
pools:
  director:
    fqdn: dir-pool.contoso.local
    vip: `+oneVIP+`
    persistence: source
    members:
      - {name: dir01.contoso.local, address: `+oneDir01+`}
      - {name: dir02.contoso.local, address: `+oneDir02+`}
  edge-internal:
    fqdn: edge-int.contoso.local
    members:
      - {name: edge01-int.contoso.local, address: 127.0.25.33}
sources:
  internal-clients: [127.0.25.34]
  reverse-proxy-internal: [127.0.25.35]
`))
	Expect(err).NotTo(HaveOccurred())
	return t
}

// roundRobinUp is the pick of an HLB without persistence whose monitor took the members that do
// not run out of its pool: round robin over dir01 and dir02, passing over a member not in up.
func roundRobinUp(up hlbMembers) func(n int, _ string) string {
	pool := []string{oneDir01, oneDir02}
	return func(n int, _ string) string {
		for i := range pool {
			if m := pool[(n+i)%len(pool)]; up[m] != nil {
				return m
			}
		}
		return pool[0]
	}
}

var _ = Describe("the affinity checks when only one member of the pool answers", Ordered, Label("hlb"), func() {
	var o probe.Options
	BeforeAll(func() {
		topo := oneUpTopology()
		dir := testdir.New()
		_, err := certs.Init(topo, certs.Options{Dir: dir})
		Expect(err).NotTo(HaveOccurred())
		site, err := mdtest.Start(mdtest.Options{Scenario: scenarios.Default(), Topology: topo, CertDir: dir,
			Roles: []string{scenarios.RoleDirector}, Member: "dir01"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(site.Close)
		up := hlbMembers{wire.HostOnly(site.Addr(scenarios.RoleDirector, 5061)): site}
		Expect(up).To(HaveKey(oneDir01))
		o = probe.Options{Topology: topo, Addresses: probe.AddressBook{}, Timeout: probe.DefaultTimeout,
			Credentials: probe.Credentials{Dir: dir}, ExpectSourceSeen: true}
		for _, port := range []int{80, 8080} {
			o.Addresses.Add(scenarios.RoleDirector, "", port, startTCPHLB(up, oneVIP, port, false, roundRobinUp(up)))
		}
	})

	It("affinity-source is unproven, not pass: one member answering is also no persistence and the other member down", func() {
		res := runRow(o, hlbRow(scenarios.RoleInternalClient, 80, scenarios.ProtoHTTP, scenarios.CheckAffinitySource))
		Expect(res.HLB).NotTo(BeNil())
		Expect(res.HLB.Members).To(Equal(map[string]int{"dir01": 6, "dir02": 0}), "every request reached dir01, the only member up")
		Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeUnproven))
		Expect(res.Reason).To(ContainSubstring("dir02 never answered"))
		Expect(res.Reason).To(ContainSubstring("distribution check"))
	})

	It("affinity-cookie is unproven, not pass, when only one member's cookie was learnt", func() {
		res := runRow(o, hlbRow(scenarios.RoleReverseProxy, 8080, scenarios.ProtoHTTP, scenarios.CheckAffinityCookie))
		Expect(res.HLB).NotTo(BeNil())
		Expect(res.HLB.Cookies).To(HaveLen(1))
		Expect(res.HLB.Cookies).To(HaveKey("dir01"))
		Expect(res.HLB.Followed).To(Equal(map[string]map[string]int{"dir01": {"dir01": 4}}), "dir01's cookie stayed on dir01, the only member up")
		Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeUnproven))
		Expect(res.Reason).To(ContainSubstring("dir02 never answered"))
		Expect(res.Reason).To(ContainSubstring("distribution check"))
	})
})
