package quicprobe_test

import (
	"context"
	"fmt"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/netns"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/quicprobe"
	"github.com/mockdirector/mockdirector/internal/wire"
)

// inNetns runs fn on an OS thread switched into network namespace name: sockets fn creates
// belong to that namespace for their whole life, whichever thread later reads them.
func inNetns(name string, fn func()) {
	GinkgoHelper()
	Expect(netns.Do(name, func() error { fn(); return nil })).To(Succeed())
}

// A probe namespace and a server namespace joined by a veth pair (198.51.100.1 <-> .2); the
// server namespace's nftables drops UDP 4443 and rejects UDP 5061. Nothing touches the host's
// own addresses or rules.
var _ = Describe("udp-quic through a firewall in a test namespace", Serial, Ordered, Label("udp-quic", "netns"), func() {
	const (
		probeIP  = "198.51.100.1"
		serverIP = "198.51.100.2"
		timeout  = 1500 * time.Millisecond
	)
	var probeNS, serverNS string

	BeforeAll(func() {
		if err := netns.Available("nft"); err != nil {
			Skip(err.Error())
		}
		// The run's own prefix: a second run on the host makes and removes only its own.
		set := netns.Set{Prefix: fmt.Sprintf("mdq-%d-", os.Getpid())}
		DeferCleanup(func() { Expect(set.Remove()).To(Succeed()) })
		var err error
		probeNS, err = set.Add("p")
		Expect(err).NotTo(HaveOccurred())
		serverNS, err = set.Add("s")
		Expect(err).NotTo(HaveOccurred())
		Expect(netns.Veth(netns.End{NS: probeNS, If: "eth0", Addrs: []string{probeIP + "/24"}},
			netns.End{NS: serverNS, If: "eth0", Addrs: []string{serverIP + "/24"}})).To(Succeed())
		Expect(netns.LoadRules(serverNS, `table inet mdq {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport 4443 drop
		udp dport 5061 reject
	}
}
`)).To(Succeed())

		// Real listeners behind the rules: a QUIC responder on 443 (allowed) and on 4443
		// (dropped), an HTTPS listener with HTTP/3 on 444 (allowed); nothing on 5061 or 3478.
		inNetns(serverNS, func() {
			serve(listeners.Spec{Name: "udp-quic-443", Protocol: wire.ProtoUDPQUIC, Port: 443, Addr: serverIP + ":443"})
			serve(listeners.Spec{Name: "udp-quic-4443", Protocol: wire.ProtoUDPQUIC, Port: 4443, Addr: serverIP + ":4443"})
			serve(listeners.Spec{Name: "https-444", Protocol: "https", Port: 444, Addr: serverIP + ":444", HTTP3: true, Profile: "modern"})
		})
	})

	probe := func(port int) quicprobe.Outcome {
		var out quicprobe.Outcome
		inNetns(probeNS, func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			out = quicprobe.Handshake(ctx, fmt.Sprintf("%s:%d", serverIP, port), probeIP, clientTLS())
		})
		GinkgoWriter.Printf("udp/%d: %s in %s (%s)\n", port, out.State, out.Duration.Round(time.Millisecond), out.Reason)
		return out
	}

	It("is open where the firewall lets UDP through to a responder", func() {
		out := probe(443)
		Expect(out.State).To(Equal(wire.StateOpen), out.Reason)
		Expect(out.Identity).NotTo(BeNil())
		Expect(out.Identity.RemoteIP).To(Equal(probeIP))
	})

	It("is filtered where the firewall drops, though a responder listens behind it", func() {
		Expect(probe(4443).State).To(Equal(wire.StateFiltered))
	})

	It("is refused where the firewall rejects with ICMP port unreachable", func() {
		Expect(probe(5061).State).To(Equal(wire.StateRefused))
	})

	It("is refused where the host answers but nothing listens", func() {
		Expect(probe(3478).State).To(Equal(wire.StateRefused))
	})

	It("gets an h3 answer through, and the h3 check sees the drop as filtered", func() {
		var status int
		var id *wire.Identity
		var okErr, dropErr error
		inNetns(probeNS, func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			status, id, okErr = quicprobe.GetH3(ctx, fmt.Sprintf("https://%s:444%s", serverIP, wire.WellKnownPath), probeIP, clientTLS())
			ctx2, cancel2 := context.WithTimeout(context.Background(), timeout)
			defer cancel2()
			_, _, dropErr = quicprobe.GetH3(ctx2, fmt.Sprintf("https://%s:4443/", serverIP), probeIP, clientTLS())
		})
		Expect(okErr).NotTo(HaveOccurred())
		Expect(status).To(Equal(200))
		Expect(id.Listener).To(Equal("https-444"))
		Expect(dropErr).To(HaveOccurred())
		Expect(quicprobe.StateOf(dropErr)).To(Equal(wire.StateFiltered), dropErr.Error())
	})
})
