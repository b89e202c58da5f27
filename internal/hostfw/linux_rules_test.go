package hostfw_test

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/hostfw"
)

// The Linux rules as text and the iptables-legacy reader: these run on every platform (under
// Wine too); the nftables side runs in a network namespace in cmd/mockdirector's specs.
var _ = Describe("Linux host firewall rules as text", func() {
	https := hostfw.Port{Role: "director", Listener: "https-443", Addr: netip.MustParseAddr("198.51.100.2"), Port: 443}
	guard := hostfw.Port{Role: "director", Listener: "guard-https-444", Port: 444}
	quic := hostfw.Port{Role: "director", Listener: "guard-udp-quic-443", UDP: true, Port: 443}

	It("comments every rule with the role, listener, transport, port and the bound address", func() {
		Expect(https.Comment()).To(Equal("mockdirector director https-443 tcp/443 198.51.100.2"))
		Expect(guard.Comment()).To(Equal("mockdirector director guard-https-444 tcp/444"))
		Expect(quic.Comment()).To(Equal("mockdirector director guard-udp-quic-443 udp/443"))
	})

	It("writes the nft line for a chain, one argument so the shell keeps the comment's quotes", func() {
		Expect(hostfw.NftCommand("inet filter input", https)).To(Equal(
			`nft 'insert rule inet filter input ip daddr 198.51.100.2 tcp dport 443 accept comment "mockdirector director https-443 tcp/443 198.51.100.2"'`))
		Expect(hostfw.NftCommand("ip filter INPUT", quic)).To(Equal(
			`nft 'insert rule ip filter INPUT udp dport 443 accept comment "mockdirector director guard-udp-quic-443 udp/443"'`))
		Expect(hostfw.NftOwnTable([]hostfw.Port{guard})).To(Equal("table inet mockdirector {\n\tchain input {\n" +
			"\t\ttype filter hook input priority filter; policy accept;\n" +
			"\t\ttcp dport 444 accept comment \"mockdirector director guard-https-444 tcp/444\"\n\t}\n}\n"))
	})

	It("inserts at the top of iptables-legacy's INPUT and deletes exactly that rule", func() {
		Expect(hostfw.ShellLine(hostfw.IptablesInsert(https, false))).To(Equal(
			"iptables-legacy -w 5 -I INPUT 1 -d 198.51.100.2 -p tcp -m tcp --dport 443 -m comment --comment 'mockdirector director https-443 tcp/443 198.51.100.2' -j ACCEPT"))
		Expect(hostfw.ShellLine(hostfw.IptablesDelete(quic, true))).To(Equal(
			"ip6tables-legacy -w 5 -D INPUT -p udp -m udp --dport 443 -m comment --comment 'mockdirector director guard-udp-quic-443 udp/443' -j ACCEPT"))
	})

	It("finds the leftovers in iptables -S, and only mockdirector's", func() {
		dump := "-P INPUT DROP\n-A INPUT -p tcp -m tcp --dport 22 -m comment --comment \"ssh, by hand\" -j ACCEPT\n" +
			"-A INPUT -d 198.51.100.2/32 -p tcp -m tcp --dport 443 -m comment --comment \"mockdirector director https-443 tcp/443 198.51.100.2\" -j ACCEPT\n"
		Expect(hostfw.IptablesLeftovers("iptables-legacy", dump)).To(Equal([][]string{{"iptables-legacy", "-w", "5", "-D",
			"INPUT", "-d", "198.51.100.2/32", "-p", "tcp", "-m", "tcp", "--dport", "443", "-m", "comment", "--comment",
			"mockdirector director https-443 tcp/443 198.51.100.2", "-j", "ACCEPT"}}))
		Expect(hostfw.SplitQuoted(`-A X --comment "a \"b\" c" -j ACCEPT`)).To(Equal([]string{"-A", "X", "--comment", `a "b" c`, "-j", "ACCEPT"}))
	})

	It("asks firewalld for runtime ports only, and ufw with the comment", func() {
		Expect(hostfw.ShellLine(hostfw.FirewalldAdd(quic))).To(Equal("firewall-cmd --add-port=443/udp"))
		Expect(hostfw.ShellLine(hostfw.FirewalldRemove(https))).To(Equal("firewall-cmd --remove-port=443/tcp"))
		open := hostfw.FirewalldOpen("443/tcp 5061/tcp 3478/udp\n")
		Expect(open[hostfw.FirewalldPort(https)]).To(BeTrue())
		Expect(open[hostfw.FirewalldPort(quic)]).To(BeFalse(), "443/udp is not 443/tcp")
		Expect(hostfw.ShellLine(hostfw.UfwAdd(https))).To(Equal(
			"ufw allow proto tcp to 198.51.100.2 port 443 comment 'mockdirector director https-443 tcp/443 198.51.100.2'"))
		Expect(hostfw.ShellLine(hostfw.UfwDelete(guard))).To(Equal("ufw --force delete allow proto tcp to any port 444"))
		added := "Added user rules (see 'ufw status' for running firewall):\nufw allow 22/tcp\n" +
			"ufw allow proto tcp to any port 444 comment 'mockdirector director guard-https-444 tcp/444'\n" +
			"ufw allow proto tcp to any port 8443 comment 'web, by hand'\n"
		Expect(hostfw.UfwLeftovers(added)).To(Equal([][]string{{"ufw", "--force", "delete", "allow", "proto", "tcp", "to", "any", "port", "444"}}))
		active, deny := hostfw.UfwStatus("Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing), disabled (routed)\n")
		Expect([]bool{active, deny}).To(Equal([]bool{true, true}))
		active, deny = hostfw.UfwStatus("Status: inactive\n")
		Expect([]bool{active, deny}).To(Equal([]bool{false, false}))
	})
})

var _ = Describe("reading iptables-legacy's INPUT", func() {
	at := func(port int, udp bool) hostfw.Port {
		return hostfw.Port{Role: "director", Listener: "l", Port: port, UDP: udp, Addr: netip.MustParseAddr("198.51.100.2")}
	}
	hardened := `-P INPUT DROP
-P FORWARD DROP
-P OUTPUT ACCEPT
-N site-in
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 5061,50001:50003 -j ACCEPT
-A INPUT -j site-in
-A site-in -p udp -j DROP
-A site-in -d 198.51.100.9/32 -p tcp -j ACCEPT
`

	It("lets in what a rule accepts before the policy drops the rest", func() {
		b, ok := hostfw.LegacyBlock(hardened, []hostfw.Port{at(443, false), at(5061, false), at(50002, false), at(444, false)}, false)
		Expect(ok).To(BeTrue())
		Expect(b.Ports).To(Equal([]hostfw.Port{at(444, false)}), "443, 5061 and 50002 are accepted; 444 falls to the policy")
		Expect(b.Why).To(Equal("policy drop (unless `-A INPUT -i lo -j ACCEPT` accepts it first)"))
		Expect(b.Certain).To(BeFalse(), "-i lo may match a connection from this host: the accept before the policy is not sure")
	})

	It("follows a jump into a chain that drops", func() {
		b, ok := hostfw.LegacyBlock(hardened, []hostfw.Port{at(443, true)}, false)
		Expect(ok).To(BeTrue())
		Expect(b.Why).To(ContainSubstring("`-A site-in -p udp -j DROP`"))
	})

	It("says nothing where the policy accepts and no rule drops", func() {
		_, ok := hostfw.LegacyBlock("-P INPUT ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n", []hostfw.Port{at(443, false)}, false)
		Expect(ok).To(BeFalse())
	})

	It("reads a drop behind a match it does not know as may drop, never as open", func() {
		b, ok := hostfw.LegacyBlock("-P INPUT ACCEPT\n-A INPUT -m recent --rcheck --seconds 60 -j DROP\n", []hostfw.Port{at(443, false)}, false)
		Expect(ok).To(BeTrue())
		Expect(b.Certain).To(BeFalse())
		Expect(b.Why).To(HavePrefix("may be dropped by `-A INPUT -m recent"))
	})

	It("reads a connection to a loopback address as coming in on lo", func() {
		lo := hostfw.Port{Role: "director", Listener: "l", Port: 443, Addr: netip.MustParseAddr("127.0.0.1")}
		_, ok := hostfw.LegacyBlock("-P INPUT DROP\n-A INPUT -i lo -j ACCEPT\n", []hostfw.Port{lo}, false)
		Expect(ok).To(BeFalse())
	})
})
