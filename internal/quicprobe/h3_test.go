package quicprobe_test

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/quicprobe"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

var _ = Describe("HTTP/3 on an HTTPS listener", Label("h3"), func() {
	const timeout = 3 * time.Second

	It("answers the identity over HTTP/3 and journals it as udp/quic with the QUIC version", func() {
		l, rec := serve(listeners.Spec{Name: "https-443", Protocol: "https", Port: 443, Addr: "127.0.60.2:0", HTTP3: true, Profile: "modern"})
		url := fmt.Sprintf("https://%s%s", l.Addr(), wire.WellKnownPath)
		status, id, err := quicprobe.GetH3(timeoutCtx(timeout), url, "127.0.60.202", clientTLS())
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(Equal(200))
		Expect(id).NotTo(BeNil())
		Expect(id.Role).To(Equal("director"))
		Expect(id.Listener).To(Equal("https-443"))
		Expect(id.ALPN).To(Equal("h3"))
		Expect(id.RemoteIP).To(Equal("127.0.60.202"))
		Expect(id.SNI).To(Equal(poolFQDN))

		Eventually(rec.List).Should(ContainElement(And(
			HaveField("Kind", journal.KindHandshake), HaveField("Transport", journal.TransportUDPQUIC),
			HaveField("TLS.QUICVersion", "v1"), HaveField("TLS.ALPN", "h3"),
		)))
		Eventually(rec.List).Should(ContainElement(And(
			HaveField("Kind", journal.KindHTTP), HaveField("Transport", journal.TransportUDPQUIC),
			HaveField("TLS.QUICVersion", "v1"), HaveField("HTTP.Path", wire.WellKnownPath),
			HaveField("HTTP.Status", 200), HaveField("Remote", HavePrefix("127.0.60.202:")),
		)))
	})

	It("reads the identity from the headers on any other path", func() {
		l, _ := serve(listeners.Spec{Name: "https-4443", Protocol: "https", Port: 4443, Addr: "127.0.60.2:0", HTTP3: true, Profile: "modern"})
		status, id, err := quicprobe.GetH3(timeoutCtx(timeout), fmt.Sprintf("https://%s/ucwa", l.Addr()), "", clientTLS())
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(Equal(401))
		Expect(id).NotTo(BeNil())
		Expect(id.Listener).To(Equal("https-4443"))
	})

	It("is refused when the listener serves TCP only", func() {
		l, _ := serve(listeners.Spec{Name: "https-444", Protocol: "https", Port: 444, Addr: "127.0.60.2:0"})
		_, _, err := quicprobe.GetH3(timeoutCtx(timeout), fmt.Sprintf("https://%s/", l.Addr()), "", clientTLS())
		Expect(err).To(HaveOccurred())
		Expect(quicprobe.StateOf(err)).To(Equal(wire.StateRefused), err.Error())
	})

	Describe("the TCP side, seen by curl", Label("interop"), func() {
		BeforeEach(func() {
			if _, err := exec.LookPath("curl"); err != nil {
				Skip("curl is not installed")
			}
		})
		curlHead := func(addr net.Addr) string {
			GinkgoHelper()
			out, err := exec.Command("curl", "-sk", "-I", "--max-time", "5", fmt.Sprintf("https://%s/", addr)).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))
			return strings.ToLower(string(out))
		}

		It("announces HTTP/3 with Alt-Svc on the same port when http3 is on", func() {
			l, _ := serve(listeners.Spec{Name: "https-443", Protocol: "https", Port: 443, Addr: "127.0.60.3:0", HTTP3: true, Profile: "modern"})
			port := l.Addr().(*net.TCPAddr).Port
			Expect(curlHead(l.Addr())).To(ContainSubstring(fmt.Sprintf(`alt-svc: h3=":%d"; ma=%d`, port, listeners.AltSvcMaxAge)))
		})

		It("announces nothing when http3 is off", func() {
			l, _ := serve(listeners.Spec{Name: "https-443", Protocol: "https", Port: 443, Addr: "127.0.60.3:0"})
			head := curlHead(l.Addr())
			Expect(head).To(ContainSubstring("x-mockdirector-listener: https-443"))
			Expect(head).NotTo(ContainSubstring("alt-svc"))
		})
	})
})
