package probe_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/netns"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/probe/probetest"
	"github.com/mockdirector/mockdirector/scenarios"
)

func row(from, to string, port int, protocol, check, expect string) scenarios.Row {
	return scenarios.Row{From: from, To: to, Port: port, Transport: "tcp", Protocol: protocol, Check: check, Expect: expect, Origin: "seed"}
}

var _ = Describe("negative results", Ordered, Serial, Label("negative"), func() {
	var l *lab
	BeforeAll(func() { l = startLab() })

	Context("on loopback", func() {
		It("reports a closed port as refused, and deny-refused holds only where something is known to listen", func() {
			// 127.0.20.5 serves nothing (the lab's listeners are on 127.0.20.2-4, and 5061 is
			// below the kernel's ephemeral range, where no port-0 bind lands): the kernel
			// answers the SYN with a reset. Nothing proves
			// the reset is a firewall's (issue 11): unproven, a fail under --strict, and a pass
			// only on the user's word that a guard listens there (--guards).
			r := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 5061, scenarios.ProtoTCP, "", scenarios.ExpectDenyRefused)
			r.Target = "127.0.20.5:5061"
			res := runRow(l.options(), r)
			Expect(res.Observed).To(Equal(wire.StateRefused))
			Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
			Expect(res.Code).To(Equal(wire.CodeUnproven))
			Expect(res.Reason).To(ContainSubstring("refused: by a firewall or by the host; cannot tell without a listener there"))
			o := l.options()
			o.Strict = true
			Expect(runRow(o, r).Verdict).To(Equal(wire.VerdictFail), "--strict fails an unproven row")
			o.Strict, o.Guards = false, true
			res = runRow(o, r)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(res.Code).To(Equal(wire.CodeRefused))
			Expect(res.Reason).To(ContainSubstring("proven by --guards"))

			r.Expect = scenarios.ExpectAllow
			res = runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Reason).To(ContainSubstring("connection refused"))
			Expect(res.Reason).To(ContainSubstring("the seed table expects internal-clients -> director allowed"))
		})

		It("holds --guards' word on a deny row only where this run saw mockdirector answer", func() {
			// The lab's Director answers the allow row; nothing runs at 127.0.20.5. Both deny
			// rows are refused (nothing listens on port 9), which --guards alone would pass: at
			// 127.0.20.5 that is a stopped serve, not a firewall.
			dirHost, _, err := net.SplitHostPort(l.Addr(scenarios.RoleDirector, 80))
			Expect(err).NotTo(HaveOccurred())
			allow := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 80, scenarios.ProtoHTTP, "", scenarios.ExpectAllow)
			atMock := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 9, scenarios.ProtoTCP, "", scenarios.ExpectDenyRefused)
			atMock.Target = net.JoinHostPort(dirHost, "9")
			atNothing := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 19, scenarios.ProtoTCP, "", scenarios.ExpectDenyRefused)
			atNothing.Target = "127.0.20.5:19"
			o := l.options()
			o.Guards = true
			o.Scenario = &scenarios.Scenario{Name: "spec", File: "spec", Rows: []scenarios.Row{allow, atMock, atNothing}}
			jobs, err := probe.Plan(o)
			Expect(err).NotTo(HaveOccurred())
			rep := probe.Collect("spec", time.Now(), probe.Run(context.Background(), jobs, len(jobs)), nil)
			byPort := map[int]probe.Result{}
			for _, r := range rep.Results {
				byPort[r.Port] = r
			}
			Expect(byPort[80].Verdict).To(Equal(wire.VerdictPass), byPort[80].Reason)
			Expect(byPort[9].Verdict).To(Equal(wire.VerdictPass), byPort[9].Reason)
			Expect(byPort[9].Reason).To(ContainSubstring("and in this run director"))
			Expect(byPort[19].Observed).To(Equal(wire.StateRefused))
			Expect(byPort[19].Verdict).To(Equal(wire.VerdictUnproven), byPort[19].Reason)
			Expect(byPort[19].Reason).To(ContainSubstring("nothing at 127.0.20.5 answered as mockdirector in this run"))
		})

		It("tries a failing check again as often as the row says, and says so", func() {
			r := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 80, scenarios.ProtoTCP, "", scenarios.ExpectAllow)
			r.Target = "127.0.20.5:80"
			two := 2
			r.Retries = &two
			res := runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Attempts).To(Equal(3))
			Expect(res.Reason).To(HaveSuffix("(after 3 attempts)"))
		})

		It("reports handshake-fails for a client certificate from another CA, and names it when allow was expected", func() {
			other := testdir.New()
			_, err := certs.Init(l.topo, certs.Options{Dir: other})
			Expect(err).NotTo(HaveOccurred())
			foreign, err := certs.LoadFromDir(other, certs.ProbeName)
			Expect(err).NotTo(HaveOccurred())
			trust, err := certs.LoadPool(l.certDir + "/" + certs.CACertFile)
			Expect(err).NotTo(HaveOccurred())

			for _, check := range []string{scenarios.CheckMTLS, scenarios.CheckSIPOptions} {
				r := row(scenarios.RoleEdgeInternal, scenarios.RoleDirector, 5061, scenarios.ProtoSIPMTLS, check, scenarios.ExpectHandshakeFails)
				o := l.options()
				o.Scenario = &scenarios.Scenario{Name: "spec", Rows: []scenarios.Row{r}}
				jobs, err := probe.Plan(o)
				Expect(err).NotTo(HaveOccurred())
				jobs[0].Identity, jobs[0].Roots = foreign, trust
				res := probe.RunJob(context.Background(), &jobs[0])
				Expect(res.Observed).To(Equal(wire.StateHandshakeFailed), check)
				Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)

				jobs[0].Row.Expect = scenarios.ExpectAllow
				res = probe.RunJob(context.Background(), &jobs[0])
				Expect(res.Verdict).To(Equal(wire.VerdictFail))
				Expect(res.Reason).To(ContainSubstring("rejected the client certificate"))
			}
		})

		It("holds handshake-fails only on the server's own refusal, not on silence or on a server the prober refuses", func() {
			// A listener that accepts and never answers: TLS never came up, and nothing says the
			// server would refuse the client's certificate (a device in the path holds it).
			silent := silentListener("127.0.20.13")
			// A TLS server whose certificate comes from a CA the prober does not trust (an
			// inspecting device, a wrong host): the prober refuses it before the server judges
			// anything.
			other := testdir.New()
			_, err := certs.Init(l.topo, certs.Options{Dir: other})
			Expect(err).NotTo(HaveOccurred())
			stranger, err := certs.LoadFromDir(other, "dir01.contoso.local")
			Expect(err).NotTo(HaveOccurred())
			untrusted := tlsServer("127.0.20.13:0", &tls.Config{Certificates: []tls.Certificate{stranger.Cert}, ClientAuth: tls.RequireAnyClientCert})

			for _, target := range []string{silent, untrusted} {
				for _, check := range []string{scenarios.CheckMTLS, scenarios.CheckSIPOptions} {
					r := row(scenarios.RoleEdgeInternal, scenarios.RoleDirector, 5061, scenarios.ProtoSIPMTLS, check, scenarios.ExpectHandshakeFails)
					r.Target, r.Timeout = target, "500ms"
					res := runRow(l.options(), r)
					Expect(res.Observed).To(Equal(wire.StateHandshakeFailed), "%s %s: %s", target, check, res.Reason)
					Expect(res.Verdict).To(Equal(wire.VerdictFail), "%s %s: %s", target, check, res.Reason)
					Expect(res.Reason).To(ContainSubstring("not by the server refusing it"))
				}
			}
		})

		It("leaves handshake-fails unproven on an alert that came before any server certificate", func() {
			// A TLS 1.2 server that shares no cipher suite with the prober alerts on the
			// ClientHello, before its certificate: a device in the path refusing TLS does the
			// same, so nothing shows the server refused.
			dir, err := certs.LoadFromDir(l.certDir, "dir01.contoso.local")
			Expect(err).NotTo(HaveOccurred())
			addr := tlsServer("127.0.20.13:0", &tls.Config{Certificates: []tls.Certificate{dir.Cert},
				MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_RC4_128_SHA}})
			r := row(scenarios.RoleEdgeInternal, scenarios.RoleDirector, 5061, scenarios.ProtoSIPMTLS, scenarios.CheckMTLS, scenarios.ExpectHandshakeFails)
			r.Target, r.Timeout = addr, "2s"
			res := runRow(l.options(), r)
			Expect(res.Observed).To(Equal(wire.StateHandshakeFailed), res.Reason)
			Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
			Expect(res.Reason).To(ContainSubstring("an alert before any server certificate"))
		})

		It("fails a mutual TLS row whose server never asks for a client certificate (a TLS-terminating device)", func() {
			// The lab's own Director certificate, so the chain verifies: only the missing
			// CertificateRequest tells this from the mock's MTLS listener.
			dir, err := certs.LoadFromDir(l.certDir, "dir01.contoso.local")
			Expect(err).NotTo(HaveOccurred())
			addr := tlsServer("127.0.20.13:0", &tls.Config{Certificates: []tls.Certificate{dir.Cert}, ClientAuth: tls.NoClientCert})
			for _, c := range []struct {
				port            int
				protocol, check string
			}{{5061, scenarios.ProtoSIPMTLS, scenarios.CheckMTLS}, {50001, scenarios.ProtoCLSMTLS, scenarios.CheckCLS}} {
				r := row(scenarios.RoleEdgeInternal, scenarios.RoleDirector, c.port, c.protocol, c.check, scenarios.ExpectAllow)
				if c.check == scenarios.CheckCLS {
					r.From = scenarios.RoleAny
				}
				r.Target, r.Timeout = addr, "2s"
				res := runRow(l.options(), r)
				Expect(res.Observed).To(Equal(wire.StateHandshakeOK), res.Reason)
				Expect(res.Verdict).To(Equal(wire.VerdictFail), "%s: %s", c.check, res.Reason)
				Expect(res.Code).To(Equal(wire.CodeNoCertRequest))
				Expect(res.Reason).To(ContainSubstring("never asked for a client certificate"))
			}
			// The mock's own MTLS listener asks, and the same rows pass there.
			for _, c := range []struct {
				port            int
				protocol, check string
			}{{5061, scenarios.ProtoSIPMTLS, scenarios.CheckMTLS}, {50001, scenarios.ProtoCLSMTLS, scenarios.CheckCLS}} {
				r := row(scenarios.RoleEdgeInternal, scenarios.RoleDirector, c.port, c.protocol, c.check, scenarios.ExpectAllow)
				if c.check == scenarios.CheckCLS {
					r.From = scenarios.RoleAny // the table's CLS rows: any source with a certificate of the CA
				}
				res := runRow(l.options(), r)
				Expect(res.Verdict).To(Equal(wire.VerdictPass), "%s: %s", c.check, res.Reason)
			}
		})

		It("fails the tls check when the server certificate does not carry the expected name", func() {
			r := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 443, scenarios.ProtoHTTPS, scenarios.CheckTLS, scenarios.ExpectAllow)
			res := runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)

			r.ServerName = "wrong.contoso.local"
			res = runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Observed).To(Equal(wire.StateHandshakeFailed))
			Expect(res.Reason).To(ContainSubstring("is not valid for wrong.contoso.local"))
			Expect(res.ServerCert.SANs).To(ContainElement("dir-pool.contoso.local"))
		})

		It("reports a listener that never answers the TLS handshake as a handshake failure within the timeout", func() {
			r := row(scenarios.RoleEdgeInternal, scenarios.RoleDirector, 5061, scenarios.ProtoSIPMTLS, scenarios.CheckTLS, scenarios.ExpectAllow)
			r.Target, r.Timeout = silentListener("127.0.20.6"), "500ms" // held open, saying nothing
			res := runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Observed).To(Equal(wire.StateHandshakeFailed))
			Expect(res.Reason).To(ContainSubstring("no TLS answer in"))
			Expect(res.DurationMS).To(BeNumerically("<", 5000))
		})

		It("fails an allow row whose source the destination sees differently", func() {
			r := row(scenarios.RoleReverseProxy, scenarios.RoleDirector, 8080, scenarios.ProtoHTTP, "", scenarios.ExpectAllow)
			r.SourceSeenAs = "127.0.20.99"
			res := runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Reason).To(ContainSubstring("the destination saw source 127.0.20.10, not 127.0.20.99"))

			r.SourceSeenAs, r.Member = "", "dir02"
			res = runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Reason).To(ContainSubstring("member dir01.contoso.local answered, expected dir02"))
		})

		It("fails an allow row answered by another port's listener, as behind a port forward", func() {
			r := row(scenarios.RoleReverseProxy, scenarios.RoleDirector, 4443, scenarios.ProtoHTTPS, "", scenarios.ExpectAllow)
			// Book the row's 4443 at the Director's 443 listener, as a DNAT 4443 -> 443 would.
			forwarded := l.options()
			forwarded.Addresses.Add(scenarios.RoleDirector, "", 4443, l.Addr(scenarios.RoleDirector, 443))
			res := runRow(forwarded, r)
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Reason).To(ContainSubstring("answered by listener https-443 (port 443), not port 4443"))

			res = runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		})
	})

	Context("with this host's own routing in the way (a namespace the test creates)", Label("netns"), func() {
		// A SYN this host has no route for (ENETUNREACH) never leaves it: the network's firewall
		// was not tested, so even with --guards (the user's word that a guard listens there) the
		// deny row must not pass. (EPERM and EACCES, a connect this host's own firewall refused,
		// are read the same way; Linux's output chain drops a TCP SYN silently instead, so no
		// namespace here makes one: a cgroup connect hook or Windows' outbound rules do.)
		var ns string
		BeforeAll(func() {
			if err := probetest.Available(); err != nil {
				Skip(err.Error())
			}
			set := netns.Set{Prefix: fmt.Sprintf("mdpo%d", os.Getpid())}
			DeferCleanup(set.Remove)
			var err error
			ns, err = set.Add("x")
			Expect(err).NotTo(HaveOccurred())
		})
		runIn := func(target string) probe.Result {
			r := row(scenarios.RoleEdgeInternal, scenarios.RoleDirector, 5061, scenarios.ProtoTCP, "", scenarios.ExpectDeny)
			r.Target = target
			o := l.options()
			o.Guards, o.Timeout = true, time.Second
			o.Scenario = &scenarios.Scenario{Name: "spec", File: "spec", Rows: []scenarios.Row{r}}
			jobs, err := probe.Plan(o)
			Expect(err).NotTo(HaveOccurred())
			jobs[0].Source = netip.Addr{} // the namespace has loopback only: send from what the route gives
			var res probe.Result
			Expect(netns.Do(ns, func() error { res = probe.RunJob(context.Background(), &jobs[0]); return nil })).To(Succeed())
			return res
		}

		It("fails a deny row to a network this host has no route to, even with --guards", func() {
			res := runIn("198.51.100.7:7003")
			Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
			Expect(res.Observed).To(Equal(wire.StateError))
			Expect(res.Reason).To(ContainSubstring("no route to 198.51.100.7:7003 from this host"))
		})
	})

	Context("behind nftables in a namespace the test creates", Label("netns"), func() {
		var bh *probetest.Blackhole
		BeforeAll(func() {
			if err := probetest.Available(); err != nil {
				Skip(err.Error())
			}
			var err error
			bh, err = probetest.NewBlackhole("mdh2probe", "192.0.2.248/30", []int{7001}, []int{7002})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(bh.Close)
		})

		probeAt := func(port int, expect string) probe.Result {
			r := row(scenarios.RoleEdgeInternal, scenarios.RoleDirector, port, scenarios.ProtoTCP, "", expect)
			r.Target = net.JoinHostPort(bh.Addr.String(), strconv.Itoa(port))
			o := l.options()
			o.Source, o.Timeout = bh.HostAddr, time.Second
			return runRow(o, r)
		}

		It("reports a dropped SYN as filtered after the timeout", func() {
			res := probeAt(5061, scenarios.ExpectDenyFiltered)
			Expect(res.Observed).To(Equal(wire.StateFiltered))
			// A drop proves nothing without a listener there (a host firewall drops too).
			Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
			Expect(res.Reason).To(ContainSubstring("Windows Defender"))
			Expect(res.Reason).To(ContainSubstring("no answer in 1s - filtered"))
			Expect(probeAt(5061, scenarios.ExpectDenyRefused).Verdict).To(Equal(wire.VerdictFail))
		})

		It("reports an ICMP admin-prohibited reject as refused by a firewall", func() {
			res := probeAt(7002, scenarios.ExpectDeny)
			Expect(res.Observed).To(Equal(wire.StateRefused))
			Expect(res.Reason).To(ContainSubstring("rejected by a firewall"))
			// The host's own firewall rejects the same way: unproven without a listener there.
			Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
		})

		It("reports a port the firewall passes but nothing serves as refused", func() {
			res := probeAt(7001, scenarios.ExpectDenyRefused)
			Expect(res.Observed).To(Equal(wire.StateRefused))
			Expect(res.Reason).To(ContainSubstring("connection refused"))
		})

		It("holds every deny row of the scenario when a firewall drops it, and fails them when it does not", func() {
			o := l.options()
			o.Scenario, o.Timeout = &scenarios.Scenario{Name: scenarioName}, time.Second
			for _, r := range scenarioRows {
				if r.Denied() {
					o.Scenario.Rows = append(o.Scenario.Rows, r)
				}
			}
			jobs, err := probe.Plan(o)
			Expect(err).NotTo(HaveOccurred())
			behind := append([]probe.Job(nil), jobs...)
			for i := range behind {
				_, port, _ := net.SplitHostPort(behind[i].Target)
				behind[i].Target, behind[i].Source = net.JoinHostPort(bh.Addr.String(), port), bh.HostAddr
			}
			rep := probe.Collect("guards", time.Now(), probe.Run(context.Background(), behind, 32), nil)
			Expect(rep.Summary.Unproven).To(Equal(len(jobs)), "every guard row filtered, and nothing known to listen behind the blackhole")
			for i := range behind {
				behind[i].Guards = true
			}
			rep = probe.Collect("guards", time.Now(), probe.Run(context.Background(), behind, 32), nil)
			Expect(rep.Summary.Unproven).To(Equal(len(jobs)), "nothing behind the blackhole answered as mockdirector in the run, so --guards' word is not borne out")
			for _, r := range rep.Results {
				Expect(r.Reason).To(ContainSubstring("answered as mockdirector in this run"), r.ID)
			}
			// A job run alone has no run to have seen the mock in: the user's word stands.
			alone := probe.RunJob(context.Background(), &behind[0])
			Expect(alone.Verdict).To(Equal(wire.VerdictPass), alone.Reason)
			Expect(alone.Reason).To(ContainSubstring("proven by --guards"))
			// The same rows straight at the mock on loopback: nothing denies them.
			rep = probe.Collect("guards", time.Now(), probe.Run(context.Background(), jobs, 32), nil)
			served := map[string]bool{}
			for _, role := range scenarios.ServerRoles {
				for _, r := range scenarios.Default().ServedBy(role) {
					served[fmt.Sprintf("%s/%d", role, r.Port)] = true
				}
			}
			for _, r := range rep.Results {
				if !served[fmt.Sprintf("%s/%d", r.To, r.Port)] || r.Transport == wire.TransportUDP {
					// The destination does not serve the port, nor UDP here: refused by the host,
					// which proves nothing of a firewall.
					Expect(r.Observed).To(Equal(wire.StateRefused), r.ID)
					Expect(r.Verdict).To(Equal(wire.VerdictUnproven), r.ID)
					continue
				}
				Expect(r.Verdict).To(Equal(wire.VerdictFail), r.ID)
				Expect(r.Reason).To(ContainSubstring("connected - the path is open"))
			}
		})

		It("streams each result as it finishes: a refused row arrives before a filtered one started first", func() {
			var jobs []probe.Job
			for i, p := range []int{5061, 7001} {
				r := row(scenarios.RoleAny, scenarios.RoleDirector, p, scenarios.ProtoTCP, "", scenarios.ExpectDeny)
				r.Target = net.JoinHostPort(bh.Addr.String(), strconv.Itoa(p))
				jobs = append(jobs, probe.Job{Row: r, From: r.From, Check: "tcp", Target: r.Target, ServerName: bh.Addr.String(), Timeout: 2 * time.Second, Index: i})
			}
			results := probe.Run(context.Background(), jobs, 2)
			first := <-results
			Expect(first.Port).To(Equal(7001))
			Expect(first.Observed).To(Equal(wire.StateRefused))
			second := <-results
			Expect(second.Observed).To(Equal(wire.StateFiltered))
			Eventually(results).Should(BeClosed())
		})

		It("runs a set of filtered ports side by side and reports each as filtered", func() {
			var jobs []probe.Job
			for i, p := range []int{80, 443, 444, 4443, 5061, 8080, 50001, 50002, 50003} {
				r := row(scenarios.RoleAny, scenarios.RoleDirector, p, scenarios.ProtoTCP, "", scenarios.ExpectDenyFiltered)
				r.Target = net.JoinHostPort(bh.Addr.String(), strconv.Itoa(p))
				jobs = append(jobs, probe.Job{Row: r, From: r.From, Check: "tcp", Target: r.Target, Host: bh.Addr.String(), ServerName: bh.Addr.String(), Timeout: 500 * time.Millisecond, Index: i})
			}
			rep := probe.Collect("filtered", time.Now(), probe.Run(context.Background(), jobs, 32), nil)
			Expect(rep.Summary.Unproven).To(Equal(len(jobs)), "filtered, with nothing known to listen")
			// Not a timing assertion: the per-result durations show they ran side by side.
			for _, r := range rep.Results {
				Expect(r.Observed).To(Equal(wire.StateFiltered))
			}
		})
	})
})
