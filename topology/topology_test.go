package topology_test

import (
	"net/netip"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("the built-in topologies", func() {
	It("has a pool for every server role in the default (contoso) site", func() {
		t := topology.Default()
		for _, role := range []string{"director", "frontend", "edge-internal"} {
			p, err := t.Pool(role)
			Expect(err).NotTo(HaveOccurred())
			Expect(p.FQDN).NotTo(BeEmpty())
			Expect(p.Members).NotTo(BeEmpty())
		}
	})

	It("puts every role and source role of the lab on its own loopback address", func() {
		t := topology.Lab()
		seen := map[string]string{}
		for role, p := range t.Pools {
			for _, m := range p.Members {
				a, err := netip.ParseAddr(m.Address)
				Expect(err).NotTo(HaveOccurred())
				Expect(a.IsLoopback()).To(BeTrue())
				Expect(seen).NotTo(HaveKey(m.Address), "address of %s", role)
				seen[m.Address] = role
			}
		}
		Expect(t.SourceAddr("reverse-proxy-internal").String()).To(Equal("127.0.1.10"))
	})
})

var _ = Describe("loading a topology file", func() {
	write := func(body string) string {
		p := filepath.Join(testdir.New(), "site.yaml")
		Expect(os.WriteFile(p, []byte(body), 0o644)).To(Succeed())
		return p
	}

	It("names the file, line and an unknown field", func() {
		p := write("domain: contoso.com\npools:\n  director:\n    fqdn: dir-pool.contoso.local\n    members:\n      - name: dir01.contoso.local\n        adress: 127.0.0.2\n")
		_, err := topology.Load(p)
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring(p+":7:"), ContainSubstring(`unknown field "adress"`))))
	})

	It("names the file and line of a wrong type", func() {
		p := write("pools:\n  director:\n    fqdn: dir-pool.contoso.local\n    members:\n      - name: dir01\n        address: [127.0.0.2]\n")
		_, err := topology.Load(p)
		Expect(err).To(MatchError(ContainSubstring(p + ":6:")))
	})

	It("names the field of every wrong value", func() {
		p := write(`pools:
  director:
    fqdn: dir-pool.contoso.local
    members:
      - {name: dir01.contoso.local, address: 999.0.0.1}
  edge-external:
    fqdn: x
    members: [{name: y}]
  frontend:
    members: []
sources:
  internet: [0.0.0.0/0]
  any: [not-a-cidr]
listeners:
  - {role: director, port: 443, client_cert: maybe}
  - {role: director}
`)
		_, err := topology.Load(p)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(SatisfyAll(
			HavePrefix(p+": "),
			ContainSubstring("pools.director.members[0].address"),
			ContainSubstring(`pools: "edge-external" is not a server role`),
			ContainSubstring("pools.frontend: fqdn is required"),
			ContainSubstring("pools.frontend: at least one member is required"),
			ContainSubstring(`sources: "internet" is not a source role`),
			ContainSubstring("sources.any"),
			ContainSubstring(`listeners[0]: client_cert "maybe"`),
			ContainSubstring("listeners[1]: port is required"),
		))
	})

	It("says which file it could not read", func() {
		_, err := topology.Load("/nonexistent/site.yaml")
		Expect(err).To(MatchError(ContainSubstring("/nonexistent/site.yaml")))
	})

	It("gives the default for no file", func() {
		t, err := topology.Load("")
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Domain).To(Equal("contoso.com"))
	})
})

var _ = Describe("a topology's lookups", func() {
	var t *topology.Topology
	BeforeEach(func() {
		var err error
		t, err = topology.Parse("pool.yaml", []byte(`
pools:
  director:
    fqdn: dir-pool.contoso.local
    vip: 127.0.10.100
    members:
      - {name: dir01.contoso.local, address: 127.0.10.2}
      - {name: dir02.contoso.local, address: 127.0.10.3}
sources:
  internal-clients: [10.0.0.0/8, 10.1.0.0/16]
  reverse-proxy-internal: [10.1.2.3]
listeners:
  - {role: director, member: dir02.contoso.local, port: 443, listen_port: 8443}
  - {role: director, port: 443, bind: 127.0.10.9}
  - {port: 5061, disabled: true}
`))
		Expect(err).NotTo(HaveOccurred())
	})

	It("finds a member by FQDN or short name, the first by default, and lists them when it cannot", func() {
		p, err := t.Pool("director")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Member("dir02")).To(HaveField("Address", "127.0.10.3"))
		Expect(p.Member("dir02.contoso.local")).To(HaveField("Address", "127.0.10.3"))
		Expect(p.Member("")).To(HaveField("Name", "dir01.contoso.local"))
		_, err = p.Member("dir03")
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring(`no member "dir03"`), ContainSubstring("dir01.contoso.local, dir02.contoso.local"))))
		Expect(p.Target()).To(Equal("127.0.10.100"))
	})

	It("names the roles it has when a pool is missing", func() {
		_, err := t.Pool("frontend")
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring("pool.yaml"), ContainSubstring(`"frontend"`), ContainSubstring("director"))))
	})

	It("picks the first override that matches role, member and port", func() {
		o, ok := t.OverrideFor("director", "dir02.contoso.local", 443)
		Expect(ok).To(BeTrue())
		Expect(o.Listen).To(Equal(8443))
		o, ok = t.OverrideFor("director", "dir01.contoso.local", 443)
		Expect(ok).To(BeTrue())
		Expect(o.Bind).To(Equal("127.0.10.9"))
		o, ok = t.OverrideFor("edge-internal", "edge01", 5061)
		Expect(ok).To(BeTrue())
		Expect(o.Disabled).To(BeTrue())
		_, ok = t.OverrideFor("director", "dir01.contoso.local", 80)
		Expect(ok).To(BeFalse())
	})

	It("maps a source address to its roles, most specific first", func() {
		Expect(t.SourceRoleOf(netip.MustParseAddr("10.1.2.3"))).To(Equal([]string{"reverse-proxy-internal", "internal-clients"}))
		Expect(t.SourceRoleOf(netip.MustParseAddr("10.9.9.9"))).To(Equal([]string{"internal-clients"}))
		Expect(t.SourceRoleOf(netip.MustParseAddr("192.0.2.1"))).To(BeEmpty())
		Expect(t.SourceAddr("reverse-proxy-internal")).To(Equal(netip.MustParseAddr("10.1.2.3")))
		Expect(t.SourceAddr("internal-clients").IsValid()).To(BeFalse())
	})
})
