package main_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

var _ = Describe("host-firewall show and the --host-firewall flag", func() {
	It("prints every platform's commands for the ports serve would bind, listeners and guards", func() {
		s := runMD("host-firewall", "show", "--role", "director", "--bind", "198.51.100.2", "--port-offset", "10000")
		Expect(s).To(gexec.Exit(0))
		out := string(s.Out.Contents())
		Expect(out).To(ContainSubstring("# 16 ports of director member dir01.contoso.local"))
		Expect(out).To(ContainSubstring(`netsh advfirewall firewall add rule name="mockdirector director https-443" dir=in action=allow protocol=TCP localport=10443 localip=198.51.100.2`))
		Expect(out).To(ContainSubstring(`name="mockdirector director guard-https-444" dir=in action=allow protocol=TCP localport=10444`))
		Expect(out).To(ContainSubstring(`name="mockdirector director guard-udp-quic-443" dir=in action=allow protocol=UDP localport=10443`))
		Expect(out).To(ContainSubstring("Get-NetFirewallRule -DisplayName 'mockdirector *'"))
		Expect(out).To(ContainSubstring("table inet mockdirector {"))
		Expect(out).To(ContainSubstring(`nft 'insert rule inet filter input ip daddr 198.51.100.2 tcp dport 15061 accept comment "mockdirector director sip-mtls-5061 tcp/15061 198.51.100.2"'`))
		Expect(out).To(ContainSubstring("firewall-cmd --add-port=10443/udp"))
		Expect(out).To(ContainSubstring("ufw allow proto tcp to 198.51.100.2 port 14443 comment 'mockdirector director https-4443 tcp/14443 198.51.100.2'"))
	})

	It("refuses a mode it does not know before binding anything", func() {
		s := runMD("serve", "--role", "director", "--host-firewall", "allow")
		Expect(s).To(gexec.Exit(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring(`"allow": check, open or off`))
	})
})
