package quicprobe_test

import (
	"crypto/tls"
	"crypto/x509"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/quicprobe"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

var _ = Describe("udp-quic handshake on loopback", Label("udp-quic"), func() {
	const timeout = 2 * time.Second

	It("is open on a mock QUIC responder, which says who it is and journals the handshake", func() {
		l, rec := serve(listeners.Spec{Name: "udp-quic-3478", Protocol: wire.ProtoUDPQUIC, Port: 3478, Addr: "127.0.60.1:0"})
		out := quicprobe.Handshake(timeoutCtx(timeout), l.Addr().String(), "127.0.60.201", clientTLS())
		GinkgoWriter.Printf("open: %+v\n", out)
		Expect(out.State).To(Equal(wire.StateOpen), out.Reason)
		Expect(out.Reason).To(BeEmpty())
		Expect(out.Version).To(Equal("v1"))
		Expect(out.ALPN).To(Equal(listeners.QUICALPN))
		Expect(out.Local).To(HavePrefix("127.0.60.201:"))
		Expect(out.Identity).NotTo(BeNil())
		Expect(out.Identity.Role).To(Equal("director"))
		Expect(out.Identity.Listener).To(Equal("udp-quic-3478"))
		Expect(out.Identity.RemoteIP).To(Equal("127.0.60.201"))
		Expect(out.Identity.SNI).To(Equal(poolFQDN))
		Expect(out.Identity.ClientCert).NotTo(BeNil())
		Expect(out.Identity.ClientCert.Verified).To(BeTrue())

		Eventually(rec.List).Should(ContainElement(And(
			HaveField("Kind", journal.KindHandshake), HaveField("Outcome", journal.OutcomeOK),
			HaveField("Transport", journal.TransportUDPQUIC), HaveField("Listener", "udp-quic-3478"),
			HaveField("TLS.QUICVersion", "v1"), HaveField("TLS.ALPN", listeners.QUICALPN),
			HaveField("TLS.SNI", poolFQDN), HaveField("Remote", HavePrefix("127.0.60.201:")),
		)))
		Eventually(rec.List).Should(ContainElement(And(
			HaveField("Kind", journal.KindQUIC), HaveField("Outcome", journal.OutcomeOK),
			HaveField("Transport", journal.TransportUDPQUIC),
		)))
	})

	It("is refused on a closed UDP port (the ICMP port unreachable reaches the probe)", func() {
		addr := closedUDPPort("127.0.60.1")
		out := quicprobe.Handshake(timeoutCtx(timeout), addr, "127.0.60.201", clientTLS())
		GinkgoWriter.Printf("refused: %+v\n", out)
		Expect(out.State).To(Equal(wire.StateRefused), out.Reason)
	})

	It("fails the handshake when the server certificate is not trusted", func() {
		l, _ := serve(listeners.Spec{Name: "udp-quic-3479", Protocol: wire.ProtoUDPQUIC, Port: 3479, Addr: "127.0.60.1:0"})
		conf := clientTLS()
		conf.RootCAs = x509.NewCertPool()
		out := quicprobe.Handshake(timeoutCtx(timeout), l.Addr().String(), "", conf)
		Expect(out.State).To(Equal(wire.StateHandshakeFailed))
		Expect(out.Reason).To(ContainSubstring("unknown authority"))
	})

	It("fails the handshake on another ALPN, and the responder journals why", func() {
		l, rec := serve(listeners.Spec{Name: "udp-quic-3480", Protocol: wire.ProtoUDPQUIC, Port: 3480, Addr: "127.0.60.1:0"})
		conf := clientTLS()
		conf.NextProtos = []string{"h3"}
		out := quicprobe.Handshake(timeoutCtx(timeout), l.Addr().String(), "", conf)
		Expect(out.State).To(Equal(wire.StateHandshakeFailed))
		Expect(out.Reason).To(ContainSubstring("no common ALPN"))
		Eventually(rec.List).Should(ContainElement(And(
			HaveField("Kind", journal.KindHandshake), HaveField("Outcome", journal.OutcomeFailed),
			HaveField("Transport", journal.TransportUDPQUIC), HaveField("Reason", ContainSubstring("client offered [h3]")),
		)))
	})

	It("says handshake-fails, not filtered, when something answers UDP but is not QUIC", func() {
		// A UDP echo: it answers every datagram, so the path is open, but no handshake comes of it.
		pc := udpEcho("127.0.60.1:0")
		out := quicprobe.Handshake(timeoutCtx(time.Second), pc, "", clientTLS())
		Expect(out.State).To(Equal(wire.StateHandshakeFailed), out.Reason)
	})

	It("reads the h3 ALPN off an HTTP/3 listener with no identity stream", func() {
		l, _ := serve(listeners.Spec{Name: "https-4443", Protocol: "https", Port: 4443, Addr: "127.0.60.1:0", HTTP3: true, Profile: "modern"})
		conf := clientTLS()
		conf.NextProtos = []string{"h3"}
		out := quicprobe.Handshake(timeoutCtx(timeout), l.Addr().String(), "", conf)
		Expect(out.State).To(Equal(wire.StateOpen), out.Reason)
		Expect(out.ALPN).To(Equal("h3"))
		Expect(out.Identity).To(BeNil())
		Expect(out.TLSVersion).To(Equal(tls.VersionName(tls.VersionTLS13)))
	})

	It("requires a client certificate on HTTP/3 when the listener requires one, and journals the refusal", func() {
		l, rec := serve(listeners.Spec{Name: "https-443", Protocol: "https", Port: 443, Addr: "127.0.60.1:0", HTTP3: true, Profile: "modern", ClientCert: "require"})
		bare := &tls.Config{ServerName: poolFQDN, RootCAs: probeID.Roots, NextProtos: []string{"h3"}}
		out := quicprobe.Handshake(timeoutCtx(timeout), l.Addr().String(), "", bare)
		GinkgoWriter.Printf("no client certificate: %s (%s)\n", out.State, out.Reason)
		Expect(out.State).To(Equal(wire.StateHandshakeFailed))
		Expect(out.Reason).To(ContainSubstring("certificate"))
		Eventually(rec.List).Should(ContainElement(And(
			HaveField("Kind", journal.KindHandshake), HaveField("Outcome", journal.OutcomeFailed),
			HaveField("Transport", journal.TransportUDPQUIC), HaveField("Reason", ContainSubstring("no client certificate")),
		)))

		withCert := clientTLS()
		withCert.NextProtos = []string{"h3"}
		out = quicprobe.Handshake(timeoutCtx(timeout), l.Addr().String(), "", withCert)
		Expect(out.State).To(Equal(wire.StateOpen), out.Reason)
	})
})
