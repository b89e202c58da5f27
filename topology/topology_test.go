package topology_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"

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
			HavePrefix(p+":5: "),
			ContainSubstring(p+`:5: pools.director.members[0].address: "999.0.0.1" is not an IP address`),
			ContainSubstring(`pools: "edge-external" is not a server role`),
			ContainSubstring("pools.frontend: fqdn is required"),
			ContainSubstring("pools.frontend: at least one member is required"),
			ContainSubstring(`sources: "internet" is not a source role`),
			ContainSubstring(p+`:13: sources.any[0]: "not-a-cidr" is not an address or CIDR`),
			ContainSubstring(`listeners[0]: client_cert "maybe"`),
			ContainSubstring(p+":16: listeners[1]: port is required"),
		))
		Expect(err.Error()).NotTo(ContainSubstring("ParseAddr"), "no Go internals in messages")
	})

	It("names the line of an address in plain words, not ParseAddr's", func() {
		p := write("pools:\n  director:\n    fqdn: d\n    members:\n      - name: dir01\n        address: 127.0.50.999\n")
		_, err := topology.Load(p)
		Expect(err).To(MatchError(p + `:6: pools.director.members[0].address: "127.0.50.999" is not an IP address (write one like 192.0.2.10 or 2001:db8::10; leave it out to bind every address)`))
	})

	It("refuses an empty pool instead of panicking later (pools:\\n  director:)", func() {
		p := write("pools:\n  director:\n")
		_, err := topology.Load(p)
		Expect(err).To(MatchError(p + ":2: pools.director: the pool is empty; it needs fqdn and at least one member"))
	})

	It("names wrong wire settings of a listener at their line", func() {
		_, err := topology.Parse("w.yaml", []byte(`listeners:
  - role: director
    port: 443
    profile: windows-xp
  - role: director
    port: 4443
    http3: true
    profile: lync2013-ws2012r2
  - role: director
    port: 5061
    known_peers: everyone
  - {role: director, port: 3478, transport: udp-quic, profile: modern}
`))
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(SatisfyAll(
			ContainSubstring(`w.yaml:4: listeners[0]: profile "windows-xp" is not a wire profile (one of lync2013-ws2012r2, sfb2015-ws2016, sfb2019-ws2019, modern)`),
			ContainSubstring("w.yaml:7: listeners[1]: http3 is on, but profile lync2013-ws2012r2"),
			ContainSubstring("use profile modern for this listener"),
			ContainSubstring(`w.yaml:11: listeners[2]: known_peers "everyone" is not topology or any`),
			ContainSubstring("w.yaml:12: listeners[3]: profile and known_peers do not apply to transport udp-quic"),
		))
	})

	It("keeps the line of every listener entry and its wire settings", func() {
		t, err := topology.Parse("ok.yaml", []byte("listeners:\n  - {role: director, port: 443, http3: true, profile: modern}\n  - {role: director, port: 5061, known_peers: any}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Listeners[0].Profile).To(Equal("modern"))
		Expect(t.Listeners[0].Line).To(Equal(2))
		Expect(t.Listeners[1].KnownPeers).To(Equal(topology.KnownPeersAny))
		Expect(t.Listeners[1].Line).To(Equal(3))
	})

	It("names listener ports out of range at their line", func() {
		_, err := topology.Parse("l.yaml", []byte("listeners:\n  - role: director\n    port: 70000\n    listen_port: -1\n"))
		Expect(err).To(MatchError("l.yaml:3: listeners[0]: port 70000 is out of range 1-65535\nl.yaml:4: listeners[0]: listen_port -1 is out of range 1-65535"))
	})

	It("caps a long list of problems", func() {
		body := "sources:\n  any:\n"
		for range 500 {
			body += "    - bad\n"
		}
		_, err := topology.Parse("big.yaml", []byte(body))
		Expect(err).To(HaveOccurred())
		Expect(strings.Count(err.Error(), "\n")).To(Equal(20))
		Expect(err.Error()).To(HaveSuffix("... and 480 more"))
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
