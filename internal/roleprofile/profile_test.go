package roleprofile_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/listeners"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// plan is the served specs of a profile, as listeners.Plan returned them.
func plan(scn *scenarios.Scenario, topo *topology.Topology, o roleprofile.PlanOptions) ([]listeners.Spec, error) {
	p, err := roleprofile.New(scn, topo, o)
	if err != nil {
		return nil, err
	}
	return p.Specs, nil
}

var _ = Describe("planning a role's listeners from the table and the topology", Label("plan"), func() {
	topo := func() *topology.Topology {
		t, err := topology.Parse("site.yaml", []byte(`
pools:
  director:
    fqdn: dir-pool.contoso.local
    members:
      - {name: dir01.contoso.local, address: 127.0.10.2}
      - {name: dir02.contoso.local, address: 127.0.10.3}
listeners:
  - {role: director, member: dir02.contoso.local, port: 4443, listen_port: 14443, client_cert: require}
  - {role: director, port: 8080, bind: 127.0.10.9}
  - {role: director, port: 80, disabled: true}
`))
		Expect(err).NotTo(HaveOccurred())
		return t
	}
	addrs := func(specs []listeners.Spec) map[string]string {
		m := map[string]string{}
		for _, s := range specs {
			m[s.Name] = s.Addr
		}
		return m
	}

	It("binds the member's address, the table port plus the offset, with the overrides", func() {
		specs, err := plan(scenarios.Default(), topo(), roleprofile.PlanOptions{Role: "director", Member: "dir02", PortOffset: 100})
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs(specs)).To(Equal(map[string]string{
			"https-4443":    "127.0.10.3:14443", // listen_port is absolute
			"http-8080":     "127.0.10.9:8180",
			"https-443":     "127.0.10.3:543",
			"sip-mtls-5061": "127.0.10.3:5161", "cls-mtls-50001": "127.0.10.3:50101",
			"cls-mtls-50002": "127.0.10.3:50102", "cls-mtls-50003": "127.0.10.3:50103",
		}))
		for _, s := range specs {
			Expect(s.Member).To(Equal("dir02.contoso.local"))
			Expect(s.Pool).To(Equal("dir-pool.contoso.local"))
			if s.Name == "https-4443" {
				Expect(s.ClientCert).To(Equal("require"))
			}
		}
	})

	It("lets --bind override the member's address", func() {
		specs, err := plan(scenarios.Default(), topo(), roleprofile.PlanOptions{Role: "director", Bind: "127.0.10.7"})
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs(specs)).To(HaveKeyWithValue("https-443", "127.0.10.7:443"))
		Expect(addrs(specs)).To(HaveKeyWithValue("http-8080", "127.0.10.9:8080"), "the topology's per-listener bind wins")
	})

	It("names the role and the topology when the pool is missing", func() {
		_, err := plan(scenarios.Default(), topo(), roleprofile.PlanOptions{Role: "frontend"})
		Expect(err).To(MatchError(ContainSubstring(`no pool for role "frontend"`)))
	})
})
