package hostfw_test

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/hostfw"
)

// The nftables reader against rule sets nft itself wrote, in a network namespace this spec
// makes (the netlink connection goes there; nothing is sent anywhere).
var _ = Describe("reading and opening nftables input chains", Ordered, Serial, Label("netns"), func() {
	var ns string
	nft := func(args ...string) string {
		out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "nft"}, args...)...).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "nft %v: %s", args, out)
		return string(out)
	}
	load := func(ruleset string) {
		nft("flush", "ruleset")
		cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(ruleset)
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "nft -f: %s", out)
	}
	https := hostfw.Port{Role: "director", Listener: "https-443", Addr: netip.MustParseAddr("198.51.100.2"), Port: 443}
	guard := hostfw.Port{Role: "director", Listener: "guard-https-444", Addr: netip.MustParseAddr("198.51.100.2"), Port: 444}
	quic := hostfw.Port{Role: "director", Listener: "guard-udp-quic-443", UDP: true, Addr: netip.MustParseAddr("198.51.100.2"), Port: 443}
	anyAddr := hostfw.Port{Role: "director", Listener: "https-4443", Port: 4443}
	ports := []hostfw.Port{https, guard, quic, anyAddr}

	// nftBlocks is Check's answer for the nftables chains only (iptables-legacy, firewalld and
	// ufw are the test host's own).
	nftBlocks := func() []hostfw.Block {
		bs, err := hostfw.Check(context.Background(), ports)
		Expect(err).NotTo(HaveOccurred())
		var out []hostfw.Block
		for _, b := range bs {
			if strings.HasPrefix(b.Firewall, "nftables chain ") {
				out = append(out, b)
			}
		}
		return out
	}
	names := func(ps []hostfw.Port) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Listener)
		}
		return out
	}

	BeforeAll(func() {
		if os.Geteuid() != 0 {
			if os.Getenv("CI") == "true" {
				Fail("CI=true: the nftables specs need root (network namespaces, netlink)")
			}
			Skip("the nftables specs need root (network namespaces, netlink): sudo go test ./hostfw")
		}
		if _, err := exec.LookPath("nft"); err != nil {
			if os.Getenv("CI") == "true" {
				Fail("CI=true: nft is not installed")
			}
			Skip("nft is not installed")
		}
		ns = "mdhf-" + strconv.Itoa(os.Getpid()) + "-e"
		exec.Command("ip", "netns", "del", ns).Run()
		out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		DeferCleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		f, err := os.Open("/var/run/netns/" + ns)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(f.Close)
		DeferCleanup(hostfw.InNetNS(int(f.Fd())))
	})

	chain := func(policy, rules string) string {
		return "table inet filter {\n chain input {\n  type filter hook input priority 0; policy " + policy + ";\n" + rules + "\n }\n}\n"
	}

	DescribeTable("which bound ports a chain drops",
		func(ruleset string, dropped []string, certain bool, why string) {
			load(ruleset)
			bs := nftBlocks()
			if dropped == nil {
				Expect(bs).To(BeEmpty())
				return
			}
			Expect(bs).To(HaveLen(1))
			Expect(names(bs[0].Ports)).To(Equal(dropped))
			Expect(bs[0].Certain).To(Equal(certain))
			Expect(bs[0].Why).To(MatchRegexp(why))
		},
		Entry("a policy drop with an anonymous set of ports accepted",
			chain("drop", "  ct state established,related accept\n  ct state invalid drop\n  tcp dport { 443, 5061 } accept"),
			[]string{"guard-https-444", "guard-udp-quic-443", "https-4443"}, true, "^policy drop$"),
		Entry("a range and a named interval set",
			"table inet filter {\n set web { type inet_service; flags interval; elements = { 4000-4500 } }\n chain input {\n  type filter hook input priority 0; policy drop;\n  tcp dport 440-443 accept\n  tcp dport @web accept\n  udp dport 443 accept\n }\n}\n",
			[]string{"guard-https-444"}, true, "^policy drop$"),
		Entry("an accept from some sources only: may drop, never open",
			chain("drop", "  ip saddr 192.0.2.0/24 tcp dport 443 accept"),
			[]string{"https-443", "guard-https-444", "guard-udp-quic-443", "https-4443"}, false, `^policy drop \(unless the rule with handle \d+ accepts it first\)$`),
		Entry("a final drop rule for TCP and UDP (the probetest blackhole's)",
			chain("accept", "  tcp dport 4443 accept\n  meta l4proto { tcp, udp } drop"),
			[]string{"https-443", "guard-https-444", "guard-udp-quic-443"}, true, `^dropped by the rule with handle \d+ in inet filter input$`),
		Entry("a reject for everything but SSH",
			chain("accept", "  tcp dport != 22 reject with tcp reset"),
			[]string{"https-443", "guard-https-444", "https-4443"}, true, "^dropped by"),
		Entry("a jump into a chain that drops UDP",
			"table inet filter {\n chain udp_in {\n  udp dport 400-500 drop\n }\n chain input {\n  type filter hook input priority 0; policy accept;\n  meta l4proto udp jump udp_in\n }\n}\n",
			[]string{"guard-udp-quic-443"}, true, `in inet filter udp_in$`),
		Entry("the address of another host",
			chain("accept", "  ip daddr 198.51.100.99 drop"),
			[]string{"https-4443"}, false, `^may be dropped by the rule with handle \d+ in inet filter input$`),
		Entry("nothing but the invalid state dropped", chain("accept", "  ct state invalid drop\n  iif lo accept"), nil, false, ""),
		Entry("an IPv6 table's drop, for IPv4 addresses",
			"table ip6 filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n }\n}\n",
			[]string{"https-4443"}, true, "^policy drop$"),
	)

	It("opens every chain that drops, finds nothing left to open, and Close leaves the rule set as it was", func() {
		load("table inet filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n  tcp dport 22 accept\n }\n}\n" +
			"table ip filter {\n chain INPUT {\n  type filter hook input priority 0; policy accept;\n  meta l4proto { tcp, udp } counter drop\n }\n}\n" +
			"table ip6 quiet {\n chain input {\n  type filter hook input priority 0; policy accept;\n }\n}\n")
		before := nft("list", "ruleset")
		Expect(nftBlocks()).To(HaveLen(2))
		o, err := hostfw.Open(context.Background(), ports)
		Expect(err).NotTo(HaveOccurred())
		Expect(o.Added).To(ConsistOf(
			"nftables table inet mockdirector: 4 accept rules, the record of what is open",
			"nftables chain inet filter input: 4 accept rules at the top; without them: policy drop",
			MatchRegexp(`^nftables chain ip filter INPUT: 4 accept rules at the top; without them: dropped by the rule with handle \d+ in ip filter INPUT$`)))
		during := nft("list", "ruleset")
		Expect(during).To(ContainSubstring(`ip daddr 198.51.100.2 udp dport 443 accept comment "mockdirector director guard-udp-quic-443 udp/443 198.51.100.2"`))
		Expect(during).To(ContainSubstring(`tcp dport 4443 accept comment "mockdirector director https-4443 tcp/4443"`))
		Expect(strings.Count(during, "mockdirector director https-443 tcp/443 198.51.100.2")).To(Equal(3), "the own table, inet filter and ip filter; not ip6 quiet, which drops nothing")
		Expect(nftBlocks()).To(BeEmpty(), "what Open added is what Check reads as open")
		Expect(o.Close(context.Background())).To(Succeed())
		Expect(nft("list", "ruleset")).To(Equal(before))
		Expect(o.Close(context.Background())).To(Succeed(), "twice")
	})

	It("cleans the leftovers of any serve and nothing else", func() {
		load(chain("drop", "  tcp dport 22 accept comment \"ssh, by hand\""))
		before := nft("list", "ruleset")
		_, err := hostfw.Open(context.Background(), ports) // never closed: a serve killed with -9
		Expect(err).NotTo(HaveOccurred())
		Expect(nft("list", "ruleset")).To(ContainSubstring("mockdirector"))
		done, err := hostfw.Clean(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(done).To(ContainElement(`nftables: removed 8 rules with a "mockdirector" comment, and the table inet mockdirector`))
		Expect(nft("list", "ruleset")).To(Equal(before))
	})
})
