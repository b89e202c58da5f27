package probe_test

import (
	"context"
	"net"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
)

// The retry-proof specs own 127.0.25.40-41: a TCP listener that lets one connection through and
// then closes (an intermittently open firewall), and a UDP socket that never answers.
const (
	onceHost      = "127.0.25.40"
	silentUDPHost = "127.0.25.41"
)

// onceListener accepts one connection on host:0, then closes its listening socket, so every
// later connect to the port is refused; it returns the address and a channel closed once the
// listening socket is (a connect before that can still land in the kernel's backlog).
func onceListener(host string) (string, <-chan struct{}) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	Expect(err).NotTo(HaveOccurred())
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	DeferCleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			conn.Close()
		}
	})
	shut := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		ln.Close()
		close(shut)
		if err != nil {
			return
		}
		mu.Lock()
		conn = c
		mu.Unlock()
	}()
	return ln.Addr().String(), shut
}

// silentUDP swallows every datagram on host:0 until the spec ends; it returns the address.
func silentUDP(host string) string {
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

var _ = Describe("retries and proof", Label("retries"), func() {
	It("stops retrying a deny row once an attempt connected: a later refusal cannot undo an open path", func() {
		// --guards: the user's word that a guard listens there, so a refusal alone would pass
		// the row. The first attempt connects (the path is open); the next ones are refused.
		o := probe.Options{Topology: testTopology(), Addresses: probe.AddressBook{}, Timeout: time.Second, Guards: true}
		r := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 5061, scenarios.ProtoTCP, "", scenarios.ExpectDeny)
		var shut <-chan struct{}
		r.Target, shut = onceListener(onceHost)
		two := 2
		r.Retries = &two
		res := runRow(o, r)
		GinkgoWriter.Printf("once open, then refused: %s %s after %d attempts: %s\n", res.Verdict, res.Code, res.Attempts, res.Reason)
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeOpen), res.Reason)
		Expect(res.Observed).To(Equal(wire.StateOpen), res.Reason)
		Expect(res.Attempts).To(Equal(1), "no retry after the attempt that proved the path open: %s", res.Reason)
		Expect(res.Reason).To(ContainSubstring("connected - the path is open"))
		Expect(res.Reason).To(ContainSubstring("not retried"))

		By("the port is refused from now on: without the proof, a retry would have passed the row")
		Eventually(shut, 10*time.Second).Should(BeClosed())
		r.Retries = nil
		again := runRow(o, r)
		Expect(again.Observed).To(Equal(wire.StateRefused), again.Reason)
		Expect(again.Verdict).To(Equal(wire.VerdictPass), again.Reason)
	})

	It("does not pass a UDP deny row on a run cancelled mid-handshake", Label("udp"), func() {
		o := probe.Options{Topology: testTopology(), Addresses: probe.AddressBook{}, Timeout: 20 * time.Second, Guards: true}
		r := udpRow(scenarios.RoleInternalClient, 5061, scenarios.ProtoUDPQUIC, "", scenarios.ExpectDeny)
		r.Target = silentUDP(silentUDPHost)
		o.Scenario = &scenarios.Scenario{Name: "spec", File: "spec", Rows: []scenarios.Row{r}}
		jobs, err := probe.Plan(o)
		Expect(err).NotTo(HaveOccurred())
		Expect(jobs).To(HaveLen(1))
		ctx, cancel := context.WithCancel(context.Background())
		DeferCleanup(cancel)
		time.AfterFunc(300*time.Millisecond, cancel) // SIGINT while the handshake waits for an answer
		res := probe.RunJob(ctx, &jobs[0])
		GinkgoWriter.Printf("cancelled UDP deny row: %s %s %s: %s\n", res.Verdict, res.Observed, res.Code, res.Reason)
		Expect(res.Verdict).NotTo(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Observed).NotTo(Equal(wire.StateFiltered), res.Reason)
		Expect(res.Code).NotTo(Equal(wire.CodeFiltered), res.Reason)
		Expect(res.Observed).To(BeElementOf(wire.StateError, wire.StateNotRun), res.Reason)
	})
})
