package firewall_test

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/firewall"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("the formats", func() {
	It("are chosen by name, and an unknown name lists them", func() {
		Expect(firewall.Formats()).To(Equal([]string{"cisco-asa", "csv", "iptables", "nftables", "paloalto", "windows", "xlsx"}))
		_, err := firewall.Lookup("checkpoint")
		Expect(err).To(MatchError(`unknown firewall format "checkpoint" (formats: cisco-asa, csv, iptables, nftables, paloalto, windows, xlsx)`))
	})
})

var _ = Describe("the built-in (contoso) topology", func() {
	// It names pools and members but no address: no format can be written for it, and the error
	// must say every key to fill in, so one edit of site.yaml fixes them all.
	for _, format := range firewall.Formats() {
		It("cannot be exported as "+format+": the error names each role and the key to fill in", func() {
			_, err := firewall.Lookup(format)
			Expect(err).NotTo(HaveOccurred())
			_, err = firewall.Build(scenarios.Default(), topology.Default())
			Expect(err).To(HaveOccurred())
			var missing *firewall.MissingError
			Expect(err).To(BeAssignableToTypeOf(missing))
			for _, want := range []string{
				"source role reverse-proxy-internal has no address: fill in sources.reverse-proxy-internal",
				"source role internal-clients has no address: fill in sources.internal-clients",
				"source role edge-internal has no address: fill in sources.edge-internal (or every pools.edge-internal.members[].address)",
				"destination role director has members without an address: fill in pools.director.members[0].address (dir01.contoso.local), pools.director.members[1].address (dir02.contoso.local)",
				"destination role frontend has members without an address: fill in pools.frontend.members[0].address (fe01.contoso.local)",
				"destination role edge-internal has members without an address: fill in pools.edge-internal.members[0].address (edge01-int.contoso.local)",
			} {
				Expect(err.Error()).To(ContainSubstring(want))
			}
			// sources.any is set (0.0.0.0/0, ::/0): the CLS rows are not among the problems.
			Expect(err.Error()).NotTo(ContainSubstring("sources.any"))
		})
	}
})

var _ = Describe("each export", func() {
	for _, s := range sites {
		for format, ext := range textFormats {
			It(fmt.Sprintf("for %s as %s matches testdata/%s/%s.%s", s.path, format, s.name, format, ext), func() {
				golden(s.name, format+"."+ext, export(format, build(s.path)))
			})
		}

		It("for "+s.path+" carries every allow row's ID, once per rule, and a default deny", func() {
			rs := build(s.path)
			Expect(rs.Warnings).To(BeEmpty())
			ids := allowIDs()
			Expect(rs.Rules).To(HaveLen(len(ids)))
			for i, r := range rs.Rules {
				Expect(r.RowID).To(Equal(ids[i]))
			}
			deny := map[string]string{
				"nftables":  "policy drop;",
				"iptables":  ":FORWARD DROP [0:0]",
				"windows":   "-DefaultInboundAction Block",
				"cisco-asa": "access-list MOCKDIRECTOR extended deny ip any any log",
				"paloalto":  "set rulebase security rules md-deny-all from any to any source any destination any source-user any category any application any service any action deny",
			}
			marker := map[string]string{
				"nftables":  `accept comment "%[1]s"`,
				"iptables":  `--comment "%[1]s" -j ACCEPT`,
				"windows":   `New-NetFirewallRule -Group 'mockdirector %[2]s' -DisplayName '%[1]s'`,
				"cisco-asa": `remark rule %[3]d: %[1]s` + "\n",
				"paloalto":  `description "%[1]s: `,
			}
			for format, d := range deny {
				out := export(format, rs)
				Expect(out).To(ContainSubstring(d), format)
				for _, r := range rs.Rules {
					m := fmt.Sprintf(marker[format], r.RowID, r.Dest.Role, r.N)
					Expect(m).NotTo(ContainSubstring("%!"))
					Expect(strings.Count(out, m)).To(Equal(1), "%s: rule for %s", format, r.RowID)
				}
			}
		})
	}

	It("writes each Windows rule in its destination role's block, scoped to the row's sources", func() {
		out := export("windows", build("../../lab/topology.yaml"))
		ps, _, _ := strings.Cut(out, "<#")
		blocks := strings.Split(ps, "if ($Role -eq ")
		Expect(blocks).To(HaveLen(5)) // the head, director, frontend, edge-internal, pki
		Expect(blocks[3]).To(HavePrefix("'edge-internal'"))
		Expect(blocks[4]).To(HavePrefix("'pki'"))
		Expect(blocks[4]).To(ContainSubstring("-DisplayName 'edge-internal->pki tcp/80 http'"))
		Expect(blocks[4]).NotTo(ContainSubstring("DefaultInboundAction"), "the PKI web server serves more than the table: its default stays")
		Expect(blocks[3]).To(ContainSubstring("-DisplayName 'director->edge-internal tcp/5061 sip-mtls'"))
		Expect(blocks[3]).To(ContainSubstring("-LocalPort 5061 -RemoteAddress 203.0.113.21,203.0.113.22 "))
		Expect(blocks[3]).NotTo(ContainSubstring("->director "))
		Expect(out).To(ContainSubstring(`netsh advfirewall firewall add rule name="edge-internal->director tcp/5061 sip-mtls" dir=in action=allow profile=any protocol=TCP localport=5061 remoteip=198.51.100.20 `))
	})
})
