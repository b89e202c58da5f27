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

// holdRows are one row per protocol a hold proves differently: HTTP and HTTPS a second request
// on the same connection, SIP a CRLF ping, CLS PING/PONG, bare TCP only a watch for a close.
func holdRows(hold string) []scenarios.Row {
	mk := func(from string, port int, protocol, path string) scenarios.Row {
		r := row(from, scenarios.RoleDirector, port, protocol, scenarios.CheckHold, scenarios.ExpectAllow)
		r.Hold, r.Path = hold, path
		return r
	}
	return []scenarios.Row{
		mk(scenarios.RoleReverseProxy, 8080, scenarios.ProtoHTTP, "/meet/"),
		mk(scenarios.RoleInternalClient, 443, scenarios.ProtoHTTPS, "/autodiscover/autodiscoverservice.svc/root"),
		mk(scenarios.RoleEdgeInternal, 5061, scenarios.ProtoSIPMTLS, ""),
		mk(scenarios.RoleAny, 50001, scenarios.ProtoCLSMTLS, ""),
		mk(scenarios.RoleInternalClient, 80, scenarios.ProtoTCP, ""),
	}
}

// runRows plans and runs rows side by side.
func runRows(o probe.Options, rows []scenarios.Row) map[string]probe.Result {
	o.Scenario = &scenarios.Scenario{Name: "hold", File: "hold", Rows: rows}
	jobs, err := probe.Plan(o)
	Expect(err).NotTo(HaveOccurred())
	rep := probe.Collect("hold", time.Now(), probe.Run(context.Background(), jobs, len(jobs)), nil)
	out := map[string]probe.Result{}
	for _, r := range rep.Results {
		out[string(r.Protocol)] = r
	}
	return out
}

var _ = Describe("the hold check", Ordered, Label("hold"), func() {
	var l *lab
	BeforeAll(func() { l = startLabOn(udpTopology()) })

	It("keeps each kind of connection idle 2s and proves it still works; the 1s timeout does not cut the hold", func() {
		o := l.options()
		o.Timeout = time.Second
		results := runRows(o, holdRows("2s"))
		Expect(results).To(HaveLen(5))
		for proto, res := range results {
			if proto == "tcp" {
				// A bare connection has nothing to send after the idle: held, but unproven.
				Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
			} else {
				Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			}
			Expect(res.Observed).To(BeEquivalentTo("held 2s"), proto)
			Expect(res.HoldMS).To(Equal(2000.0))
			Expect(res.HeldMS).To(BeNumerically(">=", 1980), "%s: idle for the hold less its 1%% margin", proto)
		}
		Expect(results["http"].Reason).To(ContainSubstring("then a second GET /meet/ on the same connection: answered 200 OK"))
		Expect(results["https"].Reason).To(ContainSubstring("then a second GET"))
		Expect(results["sip-mtls"].Reason).To(ContainSubstring("then a CRLF keep-alive ping (RFC 5626): pong"))
		Expect(results["cls-mtls"].Reason).To(ContainSubstring("then PING: PONG"))
		Expect(results["tcp"].Reason).To(ContainSubstring("no close or reset seen"))
		Expect(results["https"].Identity.RemoteIP).To(Equal("127.0.70.11"), "the first exchange says who answered and what source it saw")
	})

	It("lets --hold (Options.Hold) replace the rows' hold", func() {
		o := l.options()
		o.Hold = 500 * time.Millisecond
		res := runRows(o, holdRows("30m")[:1])["http"]
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.HoldMS).To(Equal(500.0))
		Expect(res.Observed).To(BeEquivalentTo("held 500ms"))
	})

	Context("through a TCP proxy that ends idle connections after 500ms", func() {
		var o probe.Options
		BeforeAll(func() {
			o = l.options()
			o.ExpectSourceSeen = false // the mock sees the proxy
		})

		viaProxy := func(silent bool) []scenarios.Row {
			rows := holdRows("2s")
			for i := range rows {
				upstream := l.Addr(scenarios.RoleDirector, rows[i].Port)
				rows[i].Target = idleProxy("127.0.70.30", upstream, 500*time.Millisecond, silent)
			}
			return rows
		}

		It("fails every row as cut, when the proxy closes the connection, naming the HLB's 1800 s", func() {
			results := runRows(o, viaProxy(false))
			Expect(results).To(HaveLen(5))
			for proto, res := range results {
				Expect(res.Verdict).To(Equal(wire.VerdictFail), proto)
				Expect(string(res.Observed)).To(HavePrefix("cut after"), proto)
				Expect(res.HeldMS).To(BeNumerically("<", 2000), "%s: the cut is seen when it happens, not at the end of the hold", proto)
				Expect(res.Reason).To(ContainSubstring("the other side closed the idle connection (EOF: closed)"), proto)
				Expect(res.Reason).To(ContainSubstring("HLB guidance keeps idle connections 1800 s"), proto)
			}
		})

		It("fails a row as cut when the proxy forgets the connection without closing it", func() {
			o := o
			o.Timeout = time.Second
			rows := viaProxy(true)[1:2] // https
			res := runRows(o, rows)["https"]
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Observed).To(BeEquivalentTo("cut after 2s"))
			Expect(res.Reason).To(ContainSubstring("got no answer in 1s (the path forgot the idle connection without a word)"))
		})
	})
})

// idleProxy is a TCP proxy on host:0 to upstream that, once a connection has been idle (no
// bytes either way) for idle, closes both sides; with silent it stops forwarding instead and
// keeps both sockets open, the way a firewall that drops idle state behaves. It is the middle
// box of the hold specs: a real TCP hop between the prober and the mock.
func idleProxy(host, upstream string, idle time.Duration, silent bool) string {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	Expect(err).NotTo(HaveOccurred())
	var wg sync.WaitGroup
	DeferCleanup(func() { ln.Close(); wg.Wait() })
	go func() {
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				down.Close()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				proxyIdle(down, up, idle, silent)
			}()
		}
	}()
	return ln.Addr().String()
}

func proxyIdle(down, up net.Conn, idle time.Duration, silent bool) {
	var (
		mu     sync.Mutex
		last   = time.Now()
		forgot bool
	)
	pipe := func(dst, src net.Conn, done chan<- struct{}) {
		defer close(done)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			mu.Lock()
			drop := forgot
			if n > 0 && !drop {
				last = time.Now()
			}
			mu.Unlock()
			if n > 0 && !drop {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	a, b := make(chan struct{}), make(chan struct{})
	go pipe(up, down, a)
	go pipe(down, up, b)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second) // bounded: no spec holds longer
	for {
		select {
		case <-a:
		case <-b:
		case <-deadline:
		case <-tick.C:
			mu.Lock()
			quiet := time.Since(last) > idle
			if quiet && silent {
				forgot = true
			}
			mu.Unlock()
			if !quiet || silent {
				continue
			}
		}
		down.Close()
		up.Close()
		<-a
		<-b
		return
	}
}
