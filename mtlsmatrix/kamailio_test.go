package mtlsmatrix_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
)

// kamailio's TLS module as the SIP peer on 5061 the prober checks (an Edge or a Front End
// stand-in with OpenSSL underneath): it serves a fault-set certificate and requires and
// verifies the prober's client certificate against the fault set's root.
var _ = Describe("kamailio TLS (5061) checked by the prober's verification", func() {
	sip := mtlsPorts[0]

	startKamailio := func(fault string) string {
		dir := GinkgoT().TempDir()
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.40.4", "0"))
		Expect(err).NotTo(HaveOccurred())
		addr := l.Addr().String()
		l.Close()
		tlsCfg := fmt.Sprintf(`[server:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
private_key = %s
certificate = %s
ca_list = %s

[client:default]
verify_certificate = no
require_certificate = no
`, file(fault, ".key"), file(fault, ".crt"), file("ca", ".crt"))
		Expect(os.WriteFile(filepath.Join(dir, "tls.cfg"), []byte(tlsCfg), 0o600)).To(Succeed())
		cfg := fmt.Sprintf(`#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
enable_tls=yes
auto_aliases=no
listen=tls:%s
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tls.so"
loadmodule "sl.so"
modparam("tls", "config", "%s")
request_route {
	if (method=="OPTIONS") { sl_send_reply("200", "OK"); exit; }
	sl_send_reply("403", "Forbidden");
}
`, addr, filepath.Join(dir, "tls.cfg"))
		Expect(os.WriteFile(filepath.Join(dir, "kamailio.cfg"), []byte(cfg), 0o600)).To(Succeed())
		cmd := exec.Command("kamailio", "-f", filepath.Join(dir, "kamailio.cfg"), "-DD", "-E", "-m", "32", "-M", "8",
			"-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"), "-w", dir)
		cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its workers share the group we end
		Expect(cmd.Start()).To(Succeed())
		pgid := cmd.Process.Pid
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		DeferCleanup(func() {
			syscall.Kill(-pgid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				syscall.Kill(-pgid, syscall.SIGKILL)
				<-exited
			}
		})
		Eventually(func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		}, 10*time.Second, 50*time.Millisecond).Should(Succeed(), "kamailio did not listen on %s", addr)
		return addr
	}

	DescribeTable("the prober verifies kamailio's certificate",
		func(fault, code string) {
			addr := startKamailio(fault)
			_, _, err := exchange(sip, addr, identity(certs.FaultGood).ClientConfig(poolFQDN))
			if code == "" {
				Expect(err).NotTo(HaveOccurred(), "OPTIONS over MTLS to kamailio")
				return
			}
			Expect(err).To(HaveOccurred())
			Expect(certs.VerifyFailure(err).Code).To(Equal(code), "%v", err)
		},
		Entry("good", certs.FaultGood, ""),
		Entry("expired", certs.FaultExpired, certs.CodeExpired),
		Entry("not-yet-valid", certs.FaultNotYetValid, certs.CodeNotYetValid),
		Entry("wrong-san", certs.FaultWrongSAN, certs.CodeNameMismatch),
		Entry("untrusted-ca", certs.FaultUntrustedCA, certs.CodeChainUntrusted),
		Entry("self-signed", certs.FaultSelfSigned, certs.CodeChainUntrusted),
		Entry("missing-intermediate", certs.FaultMissingIntermediate, certs.CodeChainUntrusted),
	)

	DescribeTable("kamailio verifies the prober's client certificate like the mock does",
		func(fault string, accepted bool) {
			addr := startKamailio(certs.FaultGood)
			_, _, err := exchange(sip, addr, identity(fault).ClientConfig(poolFQDN))
			if accepted {
				Expect(err).NotTo(HaveOccurred())
				return
			}
			Expect(err).To(HaveOccurred(), "kamailio answered a prober presenting %s", fault)
			Expect(err.Error()).To(ContainSubstring("remote error: tls:"))
		},
		Entry("good", certs.FaultGood, true),
		Entry("expired", certs.FaultExpired, false),
		Entry("not-yet-valid", certs.FaultNotYetValid, false),
		Entry("no-client-auth", certs.FaultNoClientAuth, false),
		Entry("untrusted-ca", certs.FaultUntrustedCA, false),
		Entry("self-signed", certs.FaultSelfSigned, false),
		Entry("missing-intermediate", certs.FaultMissingIntermediate, false),
	)
})
