package mtlsmatrix_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/journal"
)

// Interoperability with real TLS stacks: OpenSSL and curl as clients of the mock, nginx
// (ssl_verify_client on) as a server checked by the prober's verification.

// run runs a command with stdin, bounded, and returns its combined output and exit code.
func run(stdin string, name string, args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	GinkgoWriter.Printf("$ %s %s\n%s\n", name, strings.Join(args, " "), out.String())
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), ee.ExitCode()
		}
		Fail(fmt.Sprintf("%s: %v", name, err))
	}
	return out.String(), 0
}

func file(name, ext string) string { return filepath.Join(faultDir, name+ext) }

// lastHandshake is the newest handshake event.
func (m *mock) lastHandshake() journal.Event {
	var evs []journal.Event
	Eventually(func() []journal.Event { evs = m.handshakes(); return evs }, 5*time.Second, 20*time.Millisecond).ShouldNot(BeEmpty())
	return evs[len(evs)-1]
}

var _ = Describe("openssl s_client as the peer of the mock", func() {
	cls := mtlsPorts[1]

	DescribeTable("presenting a client certificate to the CLS listener",
		func(fault string, accepted bool, reason string) {
			m := startMock(cls, identity(certs.FaultGood))
			out, _ := run("PING interop\r\nQUIT\r\n", "openssl", "s_client", "-connect", m.addr, "-servername", poolFQDN, "-quiet",
				"-CAfile", file("ca", ".crt"), "-verify_return_error",
				"-cert", file(fault, ".crt"), "-key", file(fault, ".key"), "-cert_chain", file(fault, ".crt"))
			ev := m.lastHandshake()
			if accepted {
				Expect(out).To(ContainSubstring("MOCKDIRECTOR-CLS/1"))
				Expect(out).To(ContainSubstring("PONG interop"))
				Expect(ev.Outcome).To(Equal(journal.OutcomeOK))
				return
			}
			Expect(out).NotTo(ContainSubstring("MOCKDIRECTOR-CLS/1"))
			Expect(out).To(ContainSubstring("bad certificate"))
			Expect(ev.Outcome).To(Equal(journal.OutcomeFailed))
			Expect(ev.Reason).To(ContainSubstring(reason))
		},
		Entry("good", certs.FaultGood, true, ""),
		Entry("expired", certs.FaultExpired, false, "expired"),
		Entry("not-yet-valid", certs.FaultNotYetValid, false, "not yet valid"),
		Entry("no-client-auth", certs.FaultNoClientAuth, false, "bad EKU"),
		Entry("untrusted-ca", certs.FaultUntrustedCA, false, "unknown authority"),
		Entry("self-signed", certs.FaultSelfSigned, false, "unknown authority"),
		Entry("missing-intermediate", certs.FaultMissingIntermediate, false, "unknown authority"),
	)

	DescribeTable("verifying the certificate the mock serves",
		func(fault string, verifyError string) {
			m := startMock(cls, identity(fault))
			out, code := run("QUIT\r\n", "openssl", "s_client", "-connect", m.addr, "-servername", poolFQDN, "-quiet",
				"-CAfile", file("ca", ".crt"), "-verify_return_error", "-verify_hostname", poolFQDN,
				"-cert", file(certs.FaultGood, ".crt"), "-key", file(certs.FaultGood, ".key"), "-cert_chain", file(certs.FaultGood, ".crt"))
			if verifyError == "" {
				Expect(out).To(ContainSubstring("MOCKDIRECTOR-CLS/1"))
				return
			}
			Expect(code).NotTo(BeZero())
			Expect(out).To(ContainSubstring(verifyError))
			Expect(out).NotTo(ContainSubstring("MOCKDIRECTOR-CLS/1"))
			Expect(m.lastHandshake().Outcome).To(Equal(journal.OutcomeFailed))
		},
		Entry("good", certs.FaultGood, ""),
		Entry("expired", certs.FaultExpired, "certificate has expired"),
		Entry("not-yet-valid", certs.FaultNotYetValid, "certificate is not yet valid"),
		Entry("wrong-san", certs.FaultWrongSAN, "hostname mismatch"),
		Entry("untrusted-ca", certs.FaultUntrustedCA, "unable to get local issuer certificate"),
		Entry("self-signed", certs.FaultSelfSigned, "self-signed certificate"),
		Entry("missing-intermediate", certs.FaultMissingIntermediate, "unable to get local issuer certificate"),
		Entry("sha1 (OpenSSL 3 at security level 2)", certs.FaultSHA1, "too weak"),
		Entry("rsa1024 (OpenSSL 3 at security level 2)", certs.FaultRSA1024, "key too weak"),
	)
})

var _ = Describe("curl with client certificates against HTTPS 444 configured to require them", func() {
	https444 := mtlsPorts[4]

	DescribeTable("fetching the identity page",
		func(fault string, accepted bool, reason string) {
			m := startMock(https444, identity(certs.FaultGood))
			_, portStr, _ := net.SplitHostPort(m.addr)
			args := []string{"-sS", "--max-time", "10", "--interface", clientIP, "--cacert", file("ca", ".crt"),
				"--resolve", poolFQDN + ":" + portStr + ":" + mockIP, "https://" + poolFQDN + ":" + portStr + "/.well-known/mockdirector"}
			if fault != "" {
				args = append(args, "--cert", file(fault, ".crt"), "--key", file(fault, ".key"))
			}
			out, code := run("", "curl", args...)
			ev := m.lastHandshake()
			if accepted {
				Expect(code).To(BeZero())
				Expect(out).To(MatchRegexp(`"service":\s*"mockdirector"`))
				Expect(ev.Outcome).To(Equal(journal.OutcomeOK))
				Expect(ev.TLS.ClientCert.Subject).To(ContainSubstring(poolFQDN))
				return
			}
			Expect(code).NotTo(BeZero(), "curl got an answer: %s", out)
			Expect(ev.Outcome).To(Equal(journal.OutcomeFailed))
			Expect(ev.Reason).To(ContainSubstring(reason))
		},
		Entry("good", certs.FaultGood, true, ""),
		Entry("no certificate", "", false, "no client certificate"),
		Entry("expired", certs.FaultExpired, false, "expired"),
		Entry("untrusted-ca", certs.FaultUntrustedCA, false, "unknown authority"),
		Entry("no-client-auth", certs.FaultNoClientAuth, false, "bad EKU"),
	)
})

var _ = Describe("nginx with ssl_verify_client on, checked by the prober's verification", func() {
	// startNginx serves fault as nginx's certificate, requiring client certificates from the
	// fault set's root, and returns its address.
	startNginx := func(fault string) string {
		dir := GinkgoT().TempDir()
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.40.2", "0"))
		Expect(err).NotTo(HaveOccurred())
		addr := l.Addr().String()
		l.Close()
		conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s; uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
  server {
    listen %[2]s ssl;
    ssl_certificate %[3]s;
    ssl_certificate_key %[4]s;
    ssl_client_certificate %[5]s;
    ssl_verify_client on;
    ssl_verify_depth 3;
    location / { return 200 "nginx verified $ssl_client_s_dn\n"; }
  }
}
`, dir, addr, file(fault, ".crt"), file(fault, ".key"), file("ca", ".crt"))
		Expect(os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600)).To(Succeed())
		cmd := exec.Command("nginx", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
		cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
		Expect(cmd.Start()).To(Succeed())
		DeferCleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		Eventually(func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		}, 10*time.Second, 50*time.Millisecond).Should(Succeed(), "nginx did not listen on %s", addr)
		return addr
	}

	// get connects like the prober (verify nginx as poolFQDN against the root, present client).
	get := func(addr string, client *certs.Identity) (int, string, error) {
		conf := client.ClientConfig(poolFQDN)
		tr := &http.Transport{TLSClientConfig: conf, DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}}).DialContext}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		resp, err := hc.Get("https://" + addr + "/")
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}

	DescribeTable("the prober verifies nginx's certificate",
		func(fault, code string) {
			addr := startNginx(fault)
			status, body, err := get(addr, identity(certs.FaultGood))
			if code == "" {
				Expect(err).NotTo(HaveOccurred())
				Expect(status).To(Equal(200))
				Expect(body).To(ContainSubstring("nginx verified"))
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

	DescribeTable("nginx verifies the prober's client certificate like the mock does",
		func(fault string, wantStatus int) {
			addr := startNginx(certs.FaultGood)
			status, body, err := get(addr, identity(fault))
			Expect(err).NotTo(HaveOccurred())
			Expect(status).To(Equal(wantStatus), body)
			if wantStatus == 200 {
				Expect(body).To(ContainSubstring("CN=" + poolFQDN))
			} else {
				Expect(body).To(ContainSubstring("SSL certificate error"))
			}
		},
		Entry("good", certs.FaultGood, 200),
		Entry("expired", certs.FaultExpired, 400),
		Entry("untrusted-ca", certs.FaultUntrustedCA, 400),
		Entry("self-signed", certs.FaultSelfSigned, 400),
		Entry("missing-intermediate", certs.FaultMissingIntermediate, 400),
	)
})
