package roleprofile_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
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

var _ = Describe("the guard ports of a role", Label("guards"), func() {
	ports := func(role string) []string {
		var out []string
		for _, p := range roleprofile.GuardPorts(scenarios.Default(), role) {
			out = append(out, p.String()+" "+string(p.Protocol))
		}
		return out
	}

	It("are the table's ports the role does not serve, TCP and the UDP twins of HTTPS and SIP", func() {
		// The UDP twins of the CLS ports are named by the table's complement rows (UDP 50001-50003
		// toward the Director and the Front End pool), so they get guards too.
		Expect(ports("director")).To(Equal([]string{"tcp/444 https",
			"udp/443 udp-quic", "udp/444 udp-quic", "udp/4443 udp-quic", "udp/5061 udp-quic",
			"udp/50001 udp-quic", "udp/50002 udp-quic", "udp/50003 udp-quic"}))
		Expect(ports("frontend")).To(Equal([]string{"tcp/80 http", "tcp/443 https", "tcp/50001 cls-mtls", "tcp/50002 cls-mtls", "tcp/50003 cls-mtls",
			"udp/443 udp-quic", "udp/444 udp-quic", "udp/4443 udp-quic", "udp/5061 udp-quic",
			"udp/50001 udp-quic", "udp/50002 udp-quic", "udp/50003 udp-quic"}))
		Expect(ports("edge-internal")).To(Equal([]string{"tcp/80 http", "tcp/443 https", "tcp/444 https", "tcp/4443 https", "tcp/8080 http",
			"tcp/50001 cls-mtls", "tcp/50002 cls-mtls", "tcp/50003 cls-mtls",
			"udp/443 udp-quic", "udp/444 udp-quic", "udp/4443 udp-quic", "udp/5061 udp-quic"}))
	})

	It("become guard specs with --guards, on the member's address plus the offset, minus what it serves on UDP", func() {
		topo, err := topology.Parse("site.yaml", []byte(`
pools:
  director:
    fqdn: dir-pool.contoso.local
    members:
      - {name: dir01.contoso.local, address: 127.0.10.2}
listeners:
  - {role: director, port: 443, http3: true}
  - {role: director, port: 5061, transport: udp-quic}
`))
		Expect(err).NotTo(HaveOccurred())
		p, err := roleprofile.New(scenarios.Default(), topo, roleprofile.PlanOptions{Role: "director", PortOffset: 100, Guards: true})
		Expect(err).NotTo(HaveOccurred())
		got := map[string]string{}
		for _, g := range p.Guards {
			Expect(g.Guard).To(BeTrue())
			Expect(g.Member).To(Equal("dir01.contoso.local"))
			got[g.Name] = g.Addr
		}
		Expect(got).To(Equal(map[string]string{
			"guard-https-444": "127.0.10.2:544", "guard-udp-quic-444": "127.0.10.2:544", "guard-udp-quic-4443": "127.0.10.2:4543",
			"guard-udp-quic-50001": "127.0.10.2:50101", "guard-udp-quic-50002": "127.0.10.2:50102", "guard-udp-quic-50003": "127.0.10.2:50103",
		}), "UDP 443 is the HTTPS listener's HTTP/3 and UDP 5061 the topology's QUIC responder: no guard there")
		Expect(p.All()).To(HaveLen(len(p.Specs) + 6))

		p, err = roleprofile.New(scenarios.Default(), topo, roleprofile.PlanOptions{Role: "director"})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Guards).To(BeEmpty(), "guards only when asked for")
	})

	It("says which denied ports the port offset pushes out of range", func() {
		p, err := roleprofile.New(scenarios.Default(), topology.Default(), roleprofile.PlanOptions{Role: "edge-internal", PortOffset: -5000, Guards: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Unguarded).To(ContainElement(SatisfyAll(HaveField("Port.Port", 80), HaveField("Reason", ContainSubstring("out of range")))))
		Expect(p.Guards).To(ContainElement(HaveField("Name", "guard-cls-mtls-50001")))
	})
})

var _ = Describe("a member-specific override", Label("plan"), func() {
	topo := func() *topology.Topology {
		t, err := topology.Parse("site.yaml", []byte(`
pools:
  director:
    fqdn: dir-pool.contoso.local
    members:
      - {name: dir01.contoso.local, address: 127.0.10.2}
      - {name: dir02.contoso.local, address: 127.0.10.3}
listeners:
  - {role: director, member: dir02.contoso.local, port: 80, disabled: true}
  - {role: director, member: dir01, port: 8080, disabled: true}
`))
		Expect(err).NotTo(HaveOccurred())
		return t
	}
	row := func(port int) scenarios.Row {
		for _, r := range scenarios.Default().Rows {
			if r.To == "director" && r.Port == port && r.Allowed() {
				return r
			}
		}
		Fail("no row")
		return scenarios.Row{}
	}

	It("turns the listener off for the member it names (full or short name) only", func() {
		one, err := roleprofile.New(scenarios.Default(), topo(), roleprofile.PlanOptions{Role: "director", Member: "dir01"})
		Expect(err).NotTo(HaveOccurred())
		two, err := roleprofile.New(scenarios.Default(), topo(), roleprofile.PlanOptions{Role: "director", Member: "dir02"})
		Expect(err).NotTo(HaveOccurred())
		Expect(one.Serves(row(80))).To(BeTrue())
		Expect(two.Serves(row(80))).To(BeFalse())
		Expect(one.Serves(row(8080))).To(BeFalse())
		Expect(two.Serves(row(8080))).To(BeTrue())
		Expect(two.Disabled).To(ConsistOf(HaveField("Port", 80)))
	})

	It("leaves a row served while any member of the pool serves it", func() {
		t := topo()
		Expect(roleprofile.Served(scenarios.Default(), t, row(80), "")).To(BeTrue())
		Expect(roleprofile.Served(scenarios.Default(), t, row(80), "dir02.contoso.local")).To(BeFalse())
		t.Listeners = append(t.Listeners, topology.Override{Role: "director", Member: "dir01.contoso.local", Port: 80, Disabled: true})
		Expect(roleprofile.Served(scenarios.Default(), t, row(80), "")).To(BeFalse())
	})

	It("is an error without a scenario or a topology: the caller chooses the default", func() {
		_, err := roleprofile.New(nil, topo(), roleprofile.PlanOptions{Role: "director"})
		Expect(err).To(MatchError(roleprofile.ErrNoScenario))
		_, err = roleprofile.New(scenarios.Default(), nil, roleprofile.PlanOptions{Role: "director"})
		Expect(err).To(MatchError(roleprofile.ErrNoTopology))
	})
})
