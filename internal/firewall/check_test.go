package firewall_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/firewall"
)

// The kernel's own parsers judge the nftables and iptables exports; each check is first shown to
// reject a broken rule set, so a pass cannot come from a checker that accepts anything.
var _ = Describe("the kernel accepts the exports", func() {
	for _, s := range sites {
		It("nft -c -f accepts the nftables export for "+s.path, func() {
			needRoot("nft")
			p := writeTemp("rules.nft", export("nftables", build(s.path)))
			out, err := run("nft", "-c", "-f", p)
			Expect(err).NotTo(HaveOccurred(), "nft -c -f %s: %s", p, out)

			broken := writeTemp("broken.nft", strings.Replace(export("nftables", build(s.path)), "tcp dport 5061", "tcp dport 75061", 1))
			out, err = run("nft", "-c", "-f", broken)
			Expect(err).To(HaveOccurred(), "nft -c accepted port 75061: the check proves nothing")
			Expect(out).To(ContainSubstring("75061"))
		})

		It("iptables-restore --test accepts the iptables export for "+s.path+" (in a test namespace)", func() {
			needRoot("iptables-restore")
			ns := netns()
			p := writeTemp("rules.v4", export("iptables", build(s.path)))
			out, err := run("ip", "netns", "exec", ns, "iptables-restore", "--test", p)
			Expect(err).NotTo(HaveOccurred(), "iptables-restore --test %s: %s", p, out)

			broken := writeTemp("broken.v4", strings.Replace(export("iptables", build(s.path)), "--dport 5061", "--dport 75061", 1))
			out, err = run("ip", "netns", "exec", ns, "iptables-restore", "--test", broken)
			Expect(err).To(HaveOccurred(), "iptables-restore --test accepted port 75061: the check proves nothing")
			Expect(out).To(ContainSubstring("75061"))

			By("loading it in the namespace: FORWARD drops, one ACCEPT per allow row, each with its row ID")
			out, err = run("ip", "netns", "exec", ns, "iptables-restore", p)
			Expect(err).NotTo(HaveOccurred(), out)
			saved, err := run("ip", "netns", "exec", ns, "iptables-save", "-t", "filter")
			Expect(err).NotTo(HaveOccurred(), saved)
			Expect(saved).To(ContainSubstring(":FORWARD DROP"))
			for _, r := range build(s.path).Rules {
				// iptables-save writes one line per source x destination pair.
				n := len(r.Source.Addrs) * len(r.Dest.Addrs)
				Expect(strings.Count(saved, fmt.Sprintf(`--comment "%s" -j ACCEPT`, r.RowID))).To(Equal(n), r.RowID)
			}
		})
	}

	for _, s := range sites {
		It("loads the nftables export for "+s.path+" into a namespace, and the kernel holds exactly the model's rules", func() {
			needRoot("nft")
			ns := netns()
			rs := build(s.path)
			var want []firewall.KernelRule
			for _, r := range rs.Rules {
				want = append(want, r.Kernel()...)
			}
			Expect(want).To(HaveLen(len(allowIDs())))
			p := writeTemp("rules.nft", export("nftables", rs))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, err := firewall.LoadNftables(ctx, ns, p)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))

			By("loading it again: the table is replaced, not doubled")
			got, err = firewall.LoadNftables(ctx, ns, p)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
			out, err := run("ip", "netns", "exec", ns, "nft", "list", "chain", "inet", firewall.NftTable, "forward")
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(out).To(ContainSubstring("policy drop;"))
		})
	}

	It("refuses to load nftables rules without a namespace", func() {
		_, err := firewall.LoadNftables(context.Background(), "", "rules.nft")
		Expect(err).To(MatchError(ContainSubstring("a network namespace is required")))
	})
})
