package hostfw_test

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/hostfw"
)

var _ = Describe("Windows Firewall rules as text", func() {
	https := hostfw.Port{Role: "director", Listener: "https-443", Addr: netip.MustParseAddr("192.0.2.10"), Port: 443}
	h3 := hostfw.Port{Role: "director", Listener: "https-443", UDP: true, Port: 443}

	It("adds one named inbound allow rule per bound port with netsh advfirewall", func() {
		Expect(hostfw.Argv(hostfw.NetshAdd(https))).To(Equal(
			`netsh advfirewall firewall add rule name="mockdirector director https-443" dir=in action=allow protocol=TCP localport=443 localip=192.0.2.10 profile=any description="added by mockdirector serve; removed when it stops (mockdirector host-firewall clean)"`))
		Expect(hostfw.Argv(hostfw.NetshAdd(h3))).To(ContainSubstring(`name="mockdirector director https-443 udp" dir=in action=allow protocol=UDP localport=443 localip=any`))
	})

	It("deletes exactly the rule it added: name, direction, protocol and port", func() {
		Expect(hostfw.Argv(hostfw.NetshDelete(https))).To(Equal(
			`netsh advfirewall firewall delete rule name="mockdirector director https-443" dir=in protocol=TCP localport=443`))
	})

	It("says the same with the NetSecurity cmdlets, grouped so one line cleans up after a crash", func() {
		Expect(hostfw.PowerShellAdd(https)).To(Equal(
			"New-NetFirewallRule -DisplayName 'mockdirector director https-443' -Group 'mockdirector' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 443 -LocalAddress 192.0.2.10 -Profile Any"))
		Expect(hostfw.PowerShellAdd(h3)).To(ContainSubstring("-Protocol UDP -LocalPort 443 -LocalAddress Any"))
		Expect(hostfw.PowerShellClean()).To(Equal("Get-NetFirewallRule -Group 'mockdirector' -ErrorAction SilentlyContinue | Remove-NetFirewallRule"))
	})

	It("quotes what PowerShell and cmd.exe would split or end early", func() {
		odd := hostfw.Port{Role: "director", Listener: "o'brien", Port: 80}
		Expect(hostfw.PowerShellAdd(odd)).To(ContainSubstring("-DisplayName 'mockdirector director o''brien'"))
		Expect(hostfw.Argv([]string{"a b", `k=v "q"`})).To(Equal(`"a b" k="v \"q\""`))
	})
})
