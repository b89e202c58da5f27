package firewall_test

import (
	"net/netip"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/firewall"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// labSite is lab/topology.yaml with its sources replaced, for the cases below.
func labSite(sources string) *topology.Topology {
	const pools = `
pools:
  director: {fqdn: dir-pool.contoso.local, vip: 203.0.113.10, members: [{name: dir01.contoso.local, address: 203.0.113.21}]}
  frontend: {fqdn: fe-pool.contoso.local, members: [{name: fe01.contoso.local, address: 203.0.113.31}]}
  edge-internal: {fqdn: edge-int.contoso.local, members: [{name: edge01-int.contoso.local, address: 198.51.100.20}]}
  pki: {fqdn: pki.contoso.com, members: [{name: pki01.contoso.com, address: 203.0.113.40}]}
`
	t, err := topology.Parse("site.yaml", []byte("domain: contoso.com\n"+pools+sources))
	Expect(err).NotTo(HaveOccurred())
	return t
}

var _ = Describe("the rule model", func() {
	It("takes a server role's sources from its pool members, and drops addresses inside a listed network", func() {
		rs, err := firewall.Build(scenarios.Default(), labSite(`
sources:
  reverse-proxy-internal: [198.51.100.10]
  internal-clients: [192.0.2.10, 192.0.2.0/28, 192.0.2.0/28]
  any: [192.0.2.20]
`))
		Expect(err).NotTo(HaveOccurred())
		for _, r := range rs.Rules {
			switch r.RowID {
			case "director->frontend tcp/444 https":
				Expect(r.Source.Addrs).To(Equal([]netip.Prefix{netip.MustParsePrefix("203.0.113.21/32")}))
				Expect(r.Dest.Addrs).To(Equal([]netip.Prefix{netip.MustParsePrefix("203.0.113.31/32")}))
			case "internal-clients->director tcp/443 https":
				Expect(r.Source.Addrs).To(Equal([]netip.Prefix{netip.MustParsePrefix("192.0.2.0/28")}))
				Expect(r.Dest.Addrs).To(Equal([]netip.Prefix{netip.MustParsePrefix("203.0.113.10/32"), netip.MustParsePrefix("203.0.113.21/32")}))
				Expect(r.Justification).To(Equal("The Director provides web services to internal clients."))
				Expect(r.Origin).To(Equal("seed"))
			}
		}
	})

	It("names the one key missing when only sources.any is left out", func() {
		_, err := firewall.Build(scenarios.Default(), labSite(`
sources:
  reverse-proxy-internal: [198.51.100.10]
  internal-clients: [192.0.2.0/28]
`))
		Expect(err).To(MatchError(ContainSubstring("(1):\n  - source role any has no address: fill in sources.any in the topology")))
	})

	It("warns when the topology gives a denied source an allowed source's address", func() {
		// The clients' /24 covers the Edge internal interface's address: the Edge's 5061 rule then
		// also opens the deny row internal-clients -> director 5061.
		rs, err := firewall.Build(scenarios.Default(), labSite(`
sources:
  reverse-proxy-internal: [198.51.100.10]
  edge-internal: [198.51.100.20]
  internal-clients: [198.51.100.0/24]
  any: [192.0.2.20]
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(rs.Warnings).To(ContainElement("deny row internal-clients->director tcp/5061 tcp is opened for 198.51.100.20/32 by rule 6 (edge-internal->director tcp/5061 sip-mtls): the addresses of internal-clients and edge-internal overlap there"))
		Expect(export("nftables", rs)).To(ContainSubstring("# WARNING: deny row internal-clients->director tcp/5061 tcp is opened"))
	})

	It("writes IPv6 rules beside IPv4 in nftables, and refuses iptables rather than half a rule set", func() {
		t, err := topology.Parse("v6.yaml", []byte(`domain: contoso.com
pools:
  director: {fqdn: dir-pool.contoso.local, vip: 203.0.113.10, members: [{name: dir01.contoso.local, address: "2001:db8::21"}]}
  frontend: {fqdn: fe-pool.contoso.local, members: [{name: fe01.contoso.local, address: 203.0.113.31}]}
  edge-internal: {fqdn: edge-int.contoso.local, members: [{name: edge01-int.contoso.local, address: 198.51.100.20}]}
  pki: {fqdn: pki.contoso.com, members: [{name: pki01.contoso.com, address: 203.0.113.40}]}
sources:
  reverse-proxy-internal: [198.51.100.10, "2001:db8:1::/64"]
  internal-clients: [192.0.2.0/28]
  any: [0.0.0.0/0, "::/0"]
  director: [203.0.113.21, "2001:db8::21"]
`))
		Expect(err).NotTo(HaveOccurred())
		rs, err := firewall.Build(scenarios.Default(), t)
		Expect(err).NotTo(HaveOccurred())
		nft := export("nftables", rs)
		Expect(nft).To(ContainSubstring(`ip6 saddr 2001:db8:1::/64 ip6 daddr 2001:db8::21 tcp dport 4443 accept comment "reverse-proxy-internal->director tcp/4443 https"`))
		Expect(nft).To(ContainSubstring(`ip saddr 192.0.2.0/28 ip daddr 203.0.113.10 tcp dport 443 accept`))
		Expect(nft).NotTo(ContainSubstring("ip6 saddr 192.0.2"))
		f, _ := firewall.Lookup("iptables")
		err = f.Write(&strings.Builder{}, rs)
		Expect(err).To(MatchError(ContainSubstring("iptables-restore is IPv4 only and rule 1 (reverse-proxy-internal->director tcp/8080 http)")))
		Expect(err).To(MatchError(ContainSubstring("use --format nftables")))
		Expect(export("windows", rs)).To(ContainSubstring("-LocalPort 50001 -RemoteAddress Any "))
		Expect(export("cisco-asa", rs)).To(ContainSubstring(" network-object 2001:db8:1::/64\n"))

		By("nft -c -f accepts the mixed rule set")
		needRoot("nft")
		out, err := run("nft", "-c", "-f", writeTemp("v6.nft", nft))
		Expect(err).NotTo(HaveOccurred(), out)
	})

	It("refuses a row whose ends share no IP version", func() {
		t := labSite(`
sources:
  reverse-proxy-internal: ["2001:db8:1::10"]
  internal-clients: [192.0.2.0/28]
  any: [192.0.2.20]
`)
		_, err := firewall.Build(scenarios.Default(), t)
		Expect(err).To(MatchError(ContainSubstring("row reverse-proxy-internal->director tcp/8080 http: the sources of reverse-proxy-internal are IPv6 only and the addresses of director are IPv4 only")))
	})
})

var _ = Describe("a table with UDP and handshake-fails rows", func() {
	It("opens UDP where the table allows it, and the TCP path of a handshake-fails row", func() {
		scn, err := scenarios.Parse("udp.yaml", []byte(`
name: udp
rows:
  - {from: internal-clients, to: director, port: 443, transport: udp, protocol: https, origin: site, note: "HTTP/3 to the Director"}
  - {from: edge-internal, to: director, port: 5061, protocol: sip-mtls, check: mtls, expect: handshake-fails, origin: site, note: "a bad Edge certificate is refused by TLS, not by the firewall"}
  - {from: internal-clients, to: director, port: 5061, protocol: tcp, expect: deny}
`))
		Expect(err).NotTo(HaveOccurred())
		t, err := topology.Load("../../lab/topology.yaml")
		Expect(err).NotTo(HaveOccurred())
		rs, err := firewall.Build(scn, t)
		Expect(err).NotTo(HaveOccurred())
		Expect(rs.Rules).To(HaveLen(2))
		r, ok := rs.Rule("internal-clients->director udp/443 https")
		Expect(ok).To(BeTrue())
		Expect(r.Transport).To(Equal("udp"))
		_, ok = rs.Rule("internal-clients->director tcp/5061 tcp")
		Expect(ok).To(BeFalse(), "a deny row gets no rule")
		Expect(export("nftables", rs)).To(ContainSubstring(`ip saddr 192.0.2.0/28 ip daddr { 203.0.113.10, 203.0.113.21, 203.0.113.22 } udp dport 443 accept comment "internal-clients->director udp/443 https"`))
		Expect(export("iptables", rs)).To(ContainSubstring(`-p udp -m udp --dport 443 -m comment --comment "internal-clients->director udp/443 https" -j ACCEPT`))
		Expect(export("windows", rs)).To(ContainSubstring(`-Protocol UDP -LocalPort 443 -RemoteAddress 192.0.2.0/28 `))
		Expect(export("cisco-asa", rs)).To(ContainSubstring("extended permit udp object-group MD-SRC-internal-clients object-group MD-DST-director eq 443\n"))
		Expect(export("paloalto", rs)).To(ContainSubstring("set service md-udp-443 protocol udp port 443 tag mockdirector\n"))
		Expect(export("nftables", rs)).To(ContainSubstring(`tcp dport 5061 accept comment "edge-internal->director tcp/5061 sip-mtls"`))

		By("nft -c -f accepts it")
		needRoot("nft")
		out, err := run("nft", "-c", "-f", writeTemp("udp.nft", export("nftables", rs)))
		Expect(err).NotTo(HaveOccurred(), out)
	})
})
