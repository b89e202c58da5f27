package scenarios_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("the complement of the table", func() {
	scn := scenarios.Default()
	byID := map[string]scenarios.Row{}
	for _, r := range scn.Rows {
		byID[r.ID()] = r
	}

	It("denies every table port a source may not reach, and nothing the table allows", func() {
		// The complement names 6 paths (4 sources to the Director, 2 perimeter sources to the
		// Front End pool); 9 TCP table ports (80 443 444 4443 5061 8080 50001-50003) and 7 UDP
		// twins of the TLS ports (all but 80 and 8080): 16 ports a path, 96 in all, less the 20
		// the allow rows open (to the Director: 2 for the reverse proxy, 1 for the Edge, 2 for
		// the clients, and 50001-50003 from any for all four; to the Front End: 2 and 1).
		var n int
		for _, r := range scn.Rows {
			if r.Origin == scenarios.OriginComplement {
				n++
				Expect(r.Expect).To(Equal(scenarios.ExpectDeny), r.ID())
				Expect(r.From).To(BeElementOf(scenarios.RoleReverseProxy, scenarios.RoleEdgeInternal, scenarios.RoleInternalClient, scenarios.RoleAny), r.ID())
				Expect(r.To).To(BeElementOf(scenarios.RoleDirector, scenarios.RoleFrontend), r.ID())
				Expect(r.Note).NotTo(BeEmpty(), r.ID())
			}
		}
		Expect(n).To(Equal(76))
		for _, r := range scn.Rows {
			if r.Allowed() {
				Expect(byID).NotTo(HaveKey(fmt.Sprintf("%s->%s %s/%d tcp", r.From, r.To, r.Transport, r.Port)), "an allow row is also denied")
			}
		}
	})

	It("has the rows the first version lacked (issue 11)", func() {
		for _, id := range []string{
			"reverse-proxy-internal->director tcp/443 tcp",
			"edge-internal->director tcp/80 tcp", "edge-internal->director tcp/443 tcp", "edge-internal->director tcp/444 tcp",
			"edge-internal->director tcp/4443 tcp", "edge-internal->director tcp/8080 tcp",
			"reverse-proxy-internal->frontend tcp/5061 tcp", "internal-clients->director tcp/444 tcp",
		} {
			Expect(byID).To(HaveKey(id))
		}
	})

	It("lets a row from any open the path for every source, and runs deny rows from any only as any", func() {
		Expect(byID).NotTo(HaveKey("edge-internal->director tcp/50001 tcp"))
		Expect(byID).To(HaveKey("any->director tcp/80 tcp"))
		for _, r := range scn.From(scenarios.RoleInternalClient) {
			Expect(r.From == scenarios.RoleInternalClient || r.Allowed()).To(BeTrue(), r.ID())
		}
	})

	It("keeps explicit rows and generates only what they leave out", func() {
		s, err := scenarios.Parse("site.yaml", []byte(`name: site
complement:
  - {to: director, from: [internal-clients, edge-internal, reverse-proxy-internal, any]}
rows:
  - {from: internal-clients, to: director, port: 443, protocol: https}
  - {from: edge-internal, to: director, port: 443, protocol: tcp, expect: deny-filtered, note: "ours"}
`))
		Expect(err).NotTo(HaveOccurred())
		var ids []string
		for _, r := range s.Rows {
			ids = append(ids, r.ID())
		}
		Expect(ids).To(ConsistOf(
			"internal-clients->director tcp/443 https", "edge-internal->director tcp/443 tcp",
			"internal-clients->director udp/443 udp-quic", "edge-internal->director udp/443 udp-quic",
			"reverse-proxy-internal->director tcp/443 tcp", "reverse-proxy-internal->director udp/443 udp-quic",
			"any->director tcp/443 tcp", "any->director udp/443 udp-quic",
		))
		Expect(s.Rows[1].Note).To(Equal("ours"))
	})

	It("leaves out the paths the table only touches: Director <-> Front End, clients -> Front End, servers -> Edge", func() {
		for id := range byID {
			Expect(id).NotTo(Or(HavePrefix("director->frontend tcp/80 "), HavePrefix("internal-clients->frontend"), HavePrefix("frontend->edge-internal tcp/4443")))
		}
	})

	It("refuses a complement that names no role it knows", func() {
		_, err := scenarios.Parse("site.yaml", []byte("name: site\ncomplement:\n  - {to: edge, from: [director, frontdoor]}\nrows:\n  - {from: internal-clients, to: director, port: 443, protocol: https}\n"))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:3: complement 1: to "edge" is not a destination role`)))
		Expect(err).To(MatchError(ContainSubstring(`from "frontdoor" is not a role`)))
	})

	It("is off unless the scenario asks for it", func() {
		s, err := scenarios.Parse("site.yaml", []byte("name: site\nrows:\n  - {from: internal-clients, to: director, port: 443, protocol: https}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Rows).To(HaveLen(1))
	})
})
