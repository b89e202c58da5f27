package probe_test

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/probe/probetest"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// udpTopology is the UDP specs' site: Director, Front End and Edge internal on 127.0.70.2-4
// (helper H7's block), the Director with HTTP/3 on 443 and a QUIC responder on UDP 5061
// (testdata/topology-udp.yaml).
func udpTopology() *topology.Topology {
	t, err := topology.Load(filepath.Join("testdata", "topology-udp.yaml"))
	Expect(err).NotTo(HaveOccurred())
	return t
}

func udpRow(from string, port int, protocol, check, expect string) scenarios.Row {
	return scenarios.Row{From: from, To: scenarios.RoleDirector, Port: port, Transport: scenarios.TransportUDP,
		Protocol: protocol, Check: check, Expect: expect, Origin: "guard"}
}

var _ = Describe("UDP checks (QUIC)", Ordered, Label("udp", "quic"), func() {
	var l *lab
	BeforeAll(func() { l = startLabOn(udpTopology()) })

	It("reports a mock QUIC responder open, with who answered and the source it saw", func() {
		r := udpRow(scenarios.RoleEdgeInternal, 5061, scenarios.ProtoUDPQUIC, "", scenarios.ExpectAllow)
		Expect(r.ID()).To(Equal("edge-internal->director udp/5061 udp-quic"))
		res := runRow(l.options(), r)
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Check).To(Equal(wire.CheckUDPQUIC))
		Expect(res.Observed).To(Equal(wire.StateOpen))
		Expect(res.ALPN).To(Equal("mockdirector"))
		Expect(res.QUICVersion).To(Equal("v1"))
		Expect(res.TLSVersion).To(Equal("TLS 1.3"))
		Expect(res.Identity).NotTo(BeNil())
		Expect(res.Identity.Role).To(Equal(scenarios.RoleDirector))
		Expect(res.Identity.RemoteIP).To(Equal("127.0.70.4"), "the responder saw the Edge's own address")
		Expect(res.Reason).To(ContainSubstring("QUIC UDP 5061 to dir-pool.contoso.local (" + l.Addresses[probe.Dest{Role: scenarios.RoleDirector, Transport: scenarios.TransportUDP, Port: 5061}] + "): QUIC v1 handshake, ALPN mockdirector"))

		By("the same open path fails a deny row, saying the path is open")
		r.Expect = scenarios.ExpectDeny
		res = runRow(l.options(), r)
		Expect(res.Verdict).To(Equal(wire.VerdictFail))
		Expect(res.Reason).To(ContainSubstring("connected - the path is open"))
	})

	It("reports a closed UDP port refused (ICMP port unreachable), so deny-refused holds and allow fails", func() {
		r := udpRow(scenarios.RoleInternalClient, 4443, scenarios.ProtoUDPQUIC, "", scenarios.ExpectDenyRefused)
		res := runRow(l.options(), r)
		Expect(res.Observed).To(Equal(wire.StateRefused))
		// Nothing proves the ICMP came from a firewall rather than the host (issue 11): unproven,
		// unless the user asserts a guard listens there.
		Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
		Expect(res.Source).To(HavePrefix("127.0.70.11:"))
		guarded := l.options()
		guarded.Guards = true
		Expect(runRow(guarded, r).Verdict).To(Equal(wire.VerdictPass), "deny-refused holds where a listener is asserted")

		r.Expect = scenarios.ExpectDenyFiltered
		Expect(runRow(l.options(), r).Verdict).To(Equal(wire.VerdictFail), "refused is not filtered")
		r.Expect = scenarios.ExpectAllow
		res = runRow(l.options(), r)
		Expect(res.Verdict).To(Equal(wire.VerdictFail))
		Expect(res.Reason).To(ContainSubstring("ICMP port unreachable"))
		Expect(res.Reason).To(ContainSubstring("expects internal-clients -> director allowed"))
	})

	It("reports a QUIC handshake with a server it does not trust as handshake-failed, which holds no handshake-fails row", func() {
		// The prober refused the server's certificate: the server never judged anything, so a
		// row that expects the server to refuse the handshake is not shown to hold.
		r := udpRow(scenarios.RoleEdgeInternal, 5061, scenarios.ProtoUDPQUIC, "", scenarios.ExpectHandshakeFails)
		r.ServerName = "wrong.contoso.local"
		res := runRow(l.options(), r)
		Expect(res.Observed).To(Equal(wire.StateHandshakeFailed))
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Reason).To(SatisfyAll(ContainSubstring("wrong.contoso.local"), ContainSubstring("not by the server refusing it")))
	})

	It("sees the HTTP/3 side of an HTTPS listener as an open QUIC path (ALPN h3)", func() {
		r := udpRow(scenarios.RoleInternalClient, 443, scenarios.ProtoUDPQUIC, "", scenarios.ExpectAllow)
		res := runRow(l.options(), r)
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.ALPN).To(Equal("h3"))
	})

	It("runs h3 against an HTTPS listener with http3 on: status, who answered, the source seen", func() {
		r := udpRow(scenarios.RoleInternalClient, 443, scenarios.ProtoHTTPS, "", scenarios.ExpectAllow)
		r.Path = "/autodiscover/autodiscoverservice.svc/root"
		Expect(r.CheckKind()).To(Equal(scenarios.CheckH3), "https over udp is h3")
		Expect(r.ID()).To(Equal("internal-clients->director udp/443 https"))
		res := runRow(l.options(), r)
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Observed).To(BeEquivalentTo("h3 200"))
		Expect(res.Identity).NotTo(BeNil())
		Expect(res.Identity.Role).To(Equal(scenarios.RoleDirector))
		Expect(res.Identity.Member).To(Equal("dir01.contoso.local"))
		Expect(res.Identity.RemoteIP).To(Equal("127.0.70.11"))

		By("a member the row demands that did not answer fails it")
		r.Member = "dir02"
		res = runRow(l.options(), r)
		Expect(res.Verdict).To(Equal(wire.VerdictFail))
		Expect(res.Reason).To(ContainSubstring("member dir01.contoso.local answered, expected dir02"))
	})

	It("reports h3 to a port without HTTP/3 as refused", func() {
		r := udpRow(scenarios.RoleReverseProxy, 4443, scenarios.ProtoHTTPS, scenarios.CheckH3, scenarios.ExpectDenyRefused)
		res := runRow(l.options(), r)
		Expect(res.Observed).To(Equal(wire.StateRefused))
		Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
		guarded := l.options()
		guarded.Guards = true
		Expect(runRow(guarded, r).Verdict).To(Equal(wire.VerdictPass))
	})

	It("reads the built-in scenario's UDP guard rows unproven where nothing serves UDP, and fails those a UDP listener answers", func() {
		o := l.options()
		o.Only = "->director udp/"
		all, err := probe.Plan(o)
		Expect(err).NotTo(HaveOccurred())
		var jobs []probe.Job
		for _, j := range all {
			if (j.Row.Port == 443 || j.Row.Port == 4443 || j.Row.Port == 5061) && (j.From == scenarios.RoleReverseProxy || j.From == scenarios.RoleInternalClient || j.From == scenarios.RoleEdgeInternal) {
				jobs = append(jobs, j)
			}
		}
		Expect(jobs).To(HaveLen(9), "UDP 443, 4443, 5061 from the reverse proxy, the clients and the Edge")
		for _, j := range jobs {
			res := probe.RunJob(context.Background(), &j)
			Expect(res.Origin).To(Equal(scenarios.OriginComplement))
			switch res.Port {
			case 4443:
				// The host's ICMP port unreachable proves no firewall (issue 11).
				Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
			default: // this topology serves HTTP/3 on 443 and a QUIC responder on 5061
				Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
				Expect(res.Observed).To(Equal(wire.StateOpen))
			}
		}
	})

	Context("behind nftables in a namespace the test creates", Label("netns"), func() {
		It("reports a dropped UDP port filtered after the timeout", func() {
			if err := probetest.Available(); err != nil {
				Skip(err.Error())
			}
			bh, err := probetest.NewBlackhole("mdh7udp", "192.0.2.244/30", nil, nil)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(bh.Close)
			o := l.options()
			o.Source, o.Timeout = bh.HostAddr, time.Second
			for _, check := range []string{scenarios.CheckUDPQUIC, scenarios.CheckH3} {
				r := udpRow(scenarios.RoleInternalClient, 443, scenarios.ProtoHTTPS, check, scenarios.ExpectDenyFiltered)
				r.Target = net.JoinHostPort(bh.Addr.String(), strconv.Itoa(443))
				res := runRow(o, r)
				Expect(res.Observed).To(Equal(wire.StateFiltered), check)
				Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
				Expect(res.DurationMS).To(BeNumerically(">=", 900), "filtered means it waited for the timeout")
			}
		})
	})
})
