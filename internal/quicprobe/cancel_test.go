package quicprobe_test

import (
	"context"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/quicprobe"
	"github.com/mockdirector/mockdirector/internal/wire"
)

// The cancellation specs own 127.0.60.50:
// a UDP socket that reads every datagram and never answers, the way a dropping firewall looks.
const silentUDPHost = "127.0.60.50"

// silentUDP binds host:0 and swallows every datagram until the spec ends; it returns its address.
func silentUDP(host string) string {
	GinkgoHelper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(pc.Close)
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().String()
}

// cancelledSoon is a context with a long deadline that is cancelled (as SIGINT cancels a probe
// run) after d, well before the deadline: the handshake is under way, unanswered, when it ends.
func cancelledSoon(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	DeferCleanup(cancel)
	time.AfterFunc(d, cancel)
	return ctx
}

var _ = Describe("a QUIC check cancelled mid-handshake", Label("udp-quic", "cancel"), func() {
	It("is an error, not filtered: an interrupted run saw no drop, so a deny row must not pass on it", func() {
		target := silentUDP(silentUDPHost)
		start := time.Now()
		out := quicprobe.Handshake(cancelledSoon(300*time.Millisecond), target, "", clientTLS())
		GinkgoWriter.Printf("cancelled handshake: %+v\n", out)
		Expect(time.Since(start)).To(BeNumerically("<", 10*time.Second), "the cancellation ended the handshake, not the deadline")
		Expect(out.State).NotTo(Equal(wire.StateFiltered), out.Reason)
		Expect(out.Code).NotTo(Equal(wire.CodeFiltered), out.Reason)
		Expect(out.State).To(Equal(wire.StateError), out.Reason)
		Expect(out.Code).To(Equal(wire.CodeError), out.Reason)
		Expect(out.Reason).To(ContainSubstring("cancelled"))
	})

	It("is an error for an HTTP/3 request too", func() {
		target := silentUDP(silentUDPHost)
		_, _, err := quicprobe.GetH3(cancelledSoon(300*time.Millisecond), "https://"+target+"/", "", clientTLS())
		Expect(err).To(HaveOccurred())
		Expect(quicprobe.StateOf(err)).NotTo(Equal(wire.StateFiltered), err.Error())
		Expect(quicprobe.StateOf(err)).To(Equal(wire.StateError), err.Error())
	})

	It("still says filtered when the deadline, not a cancellation, ends an unanswered handshake", func() {
		target := silentUDP(silentUDPHost)
		out := quicprobe.Handshake(timeoutCtx(500*time.Millisecond), target, "", clientTLS())
		Expect(out.State).To(Equal(wire.StateFiltered), out.Reason)
		Expect(out.Code).To(Equal(wire.CodeFiltered), out.Reason)
	})
})
