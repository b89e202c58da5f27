package hostfw_test

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/hostfw"
)

var _ = Describe("Windows Firewall rules as text", func() {
	https := hostfw.Port{Role: "director", Listener: "https-443", Addr: netip.MustParseAddr("192.0.2.10"), Port: 443}
	h3 := hostfw.Port{Role: "director", Listener: "https-443", UDP: true, Port: 443}

	It("adds one named inbound allow rule per bound port with netsh advfirewall", func() {
		Expect(hostfw.Argv(hostfw.NetshAdd(https))).To(Equal(
			`netsh advfirewall firewall add rule name="mockdirector director https-443" dir=in action=allow protocol=TCP localport=443 localip=192.0.2.10 profile=any description="added by mockdirector serve; removed when it stops (mockdirector host-firewall clean)"`))
		Expect(hostfw.Argv(hostfw.NetshAdd(h3))).To(ContainSubstring(`name="mockdirector director https-443 udp" dir=in action=allow protocol=UDP localport=443 localip=any`))
	})

	It("deletes exactly the rule it added: name, direction, protocol and port; and lists it to see it is there", func() {
		Expect(hostfw.Argv(hostfw.NetshDelete(https))).To(Equal(
			`netsh advfirewall firewall delete rule name="mockdirector director https-443" dir=in protocol=TCP localport=443`))
		Expect(hostfw.Argv(hostfw.NetshShow(https))).To(Equal(
			`netsh advfirewall firewall show rule name="mockdirector director https-443" dir=in`))
	})

	It("says the same with the NetSecurity cmdlets, grouped so one line cleans up after a crash", func() {
		Expect(hostfw.PowerShellAdd(https)).To(Equal(
			"New-NetFirewallRule -DisplayName 'mockdirector director https-443' -Group 'mockdirector' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 443 -LocalAddress 192.0.2.10 -Profile Any"))
		Expect(hostfw.PowerShellAdd(h3)).To(ContainSubstring("-Protocol UDP -LocalPort 443 -LocalAddress Any"))
		// By display name: netsh, what serve runs, cannot set a group, and a netsh rule's name is its display name.
		Expect(hostfw.PowerShellClean()).To(Equal("Get-NetFirewallRule -DisplayName 'mockdirector *' -ErrorAction SilentlyContinue | Remove-NetFirewallRule"))
	})

	It("names a UDP listener once: the UDP twin of https-443 gets \"udp\", guard-udp-quic-443 keeps its name", func() {
		Expect(h3.RuleName()).To(Equal("mockdirector director https-443 udp"))
		Expect(hostfw.Port{Role: "director", Listener: "guard-udp-quic-443", UDP: true, Port: 443}.RuleName()).To(Equal("mockdirector director guard-udp-quic-443"))
	})

	It("reads the active profiles from netsh advfirewall show currentprofile, by their values", func() {
		// The layout of Windows Server 2012 R2 to 2022 (English); a localized Windows translates
		// the labels, not the values ON, OFF and BlockInbound.
		out := "\r\nDomain Profile Settings: \r\n----------------------------------------------------------------------\r\n" +
			"State                                 ON\r\nFirewall Policy                       BlockInbound,AllowOutbound\r\n" +
			"LocalFirewallRules                    N/A (GPO-store only)\r\n\r\n" +
			"Public Profile Settings: \r\n----------------------------------------------------------------------\r\n" +
			"State                                 OFF\r\nFirewall Policy                       BlockInbound,AllowOutbound\r\n\r\n" +
			"Private Profile Settings: \r\n----------------------------------------------------------------------\r\n" +
			"State                                 ON\r\nFirewall Policy                       AllowInbound,AllowOutbound\r\nOk.\r\n"
		ps := hostfw.ParseNetshProfile(out)
		Expect(ps).To(Equal([]hostfw.WindowsProfile{
			{Name: "Domain", On: true, BlockInbound: true},
			{Name: "Public", On: false, BlockInbound: true},
			{Name: "Private", On: true, BlockInbound: false},
		}))
		blocks := hostfw.WindowsBlocks(ps, []hostfw.Port{https})
		Expect(blocks).To(HaveLen(1), "only a profile that is on and blocks inbound blocks")
		Expect(blocks[0].Firewall).To(Equal("Windows Defender Firewall (Domain profile)"))
		Expect(blocks[0].Certain).To(BeFalse(), "the allow rules are not read: an IIS rule may let 443 in")
		Expect(blocks[0].Commands).To(Equal([]string{hostfw.Argv(hostfw.NetshAdd(https))}))
		Expect(hostfw.Argv(hostfw.NetshShowProfile())).To(Equal("netsh advfirewall show currentprofile"))
		Expect(hostfw.PowerShellCleanCounted()).To(Equal("$r = @(Get-NetFirewallRule -DisplayName 'mockdirector *' -ErrorAction SilentlyContinue); $r | Remove-NetFirewallRule; 'removed ' + $r.Count"))
		Expect(hostfw.PowerShellArgv(hostfw.PowerShellClean())[:4]).To(Equal([]string{"powershell.exe", "-NoProfile", "-NonInteractive", "-Command"}))
	})

	It("quotes what PowerShell and cmd.exe would split or end early", func() {
		odd := hostfw.Port{Role: "director", Listener: "o'brien", Port: 80}
		Expect(hostfw.PowerShellAdd(odd)).To(ContainSubstring("-DisplayName 'mockdirector director o''brien'"))
		Expect(hostfw.Argv([]string{"a b", `k=v "q"`})).To(Equal(`"a b" k="v \"q\""`))
	})
})
