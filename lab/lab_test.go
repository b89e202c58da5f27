package lab

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("netns firewall lab", Ordered, Serial, Label("e2e"), func() {
	var (
		l     *testLab
		env   *checkEnv
		holds bool // the prober has the hold check
		cases []matrixCase
		dir   string
	)

	BeforeAll(func() {
		requireLab()
		began := time.Now()
		// One lab run at a time on a host: with the lease held, the mdlab-* namespaces and
		// working directories that exist are a crashed run's.
		lease, err := lockNamespaces()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(lease.Unlock)
		Expect(removeLeftovers()).To(Succeed(), "removing leftovers (mdlab-* namespaces) of a crashed run")
		stale, _ := filepath.Glob(filepath.Join(os.TempDir(), "mdlab-*"))
		for _, d := range stale {
			os.RemoveAll(d) // working directories of crashed runs
		}
		dir, err = os.MkdirTemp("", "mdlab-")
		Expect(err).NotTo(HaveOccurred())
		bin := buildBinary(dir)
		wd, err := os.Getwd()
		Expect(err).NotTo(HaveOccurred())
		l, err = newTestLab(bin, dir, wd)
		Expect(err).NotTo(HaveOccurred())

		// Registered before anything is built, so a half-built lab is torn down too (also on Ctrl-C).
		DeferCleanup(func() {
			if CurrentSpecReport().Failed() || os.Getenv("MDLAB_PEER_LOGS") != "" {
				for _, p := range l.Procs {
					GinkgoWriter.Printf("--- %s\n%s\n", p.Name, p.Output())
				}
			}
			l.Stop()
			Expect(removeLeftovers()).To(Succeed())
			names, err := labNamespaces()
			Expect(err).NotTo(HaveOccurred())
			Expect(names).To(BeEmpty(), "namespaces left behind")
			for _, p := range l.Procs {
				Expect(p.Exited()).To(BeTrue(), "process %s left running", p.Name)
			}
			Expect(processesMentioning(dir)).To(BeEmpty(), "processes using the lab directory left running")
			out, err := runHost("nft", "list", "tables")
			Expect(err).NotTo(HaveOccurred())
			Expect(out).NotTo(ContainSubstring("mdlab"), "nft table left behind on the host")
			Expect(os.RemoveAll(dir)).To(Succeed())
			GinkgoWriter.Printf("lab torn down: no mdlab-* namespace, process or nft table left\n")
		})

		Expect(buildNetwork()).To(Succeed())
		Expect(l.LoadFirewall(l.Firewall)).To(Succeed())
		Expect(l.StartPeers()).To(Succeed())
		env, err = newCheckEnv(l.Certs, 3*time.Second)
		Expect(err).NotTo(HaveOccurred())
		for _, j := range l.Journals {
			env.Journals = append(env.Journals, j)
		}
		var skipped []string
		cases, skipped = matrixCases(scenarios.Default())
		for _, id := range skipped {
			GinkgoWriter.Printf("lab checks skip %s (no lab check for it; mockdirector probe runs it)\n", id)
		}
		GinkgoWriter.Printf("lab up in %s: %d namespaces, %d peers, firewall %s\n",
			time.Since(began).Round(time.Millisecond), len(allNamespaces), len(l.Procs), l.FirewallFile)
	})

	It("passes every allowed row with the right member and the true source, and denies every row the table does not allow", func() {
		rs := env.RunAll(cases)
		printMatrix(GinkgoWriter, "matrix: lab/firewall.nft as written", rs)
		Expect(failingCases(rs)).To(BeEmpty())
		// The matrix is not vacuous: both expectations are present and exercised.
		var allowed, denied, udp int
		for _, r := range rs {
			if r.Case.Allow {
				allowed++
			} else {
				denied++
				Expect(r.Observed).To(BeElementOf(obsFiltered, obsRefused), r.Case.ID)
			}
			if r.Case.Check == checkQUIC {
				udp++
				Expect(r.Case.Allow).To(BeFalse(), "the table allows no UDP: %s", r.Case.ID)
			}
		}
		Expect(allowed).To(BeNumerically(">=", 14))
		Expect(denied).To(BeNumerically(">=", 5))
		Expect(udp).To(BeNumerically(">=", 9), "the UDP/QUIC guard rows run in the lab's own matrix")
	})

	It("has a real QUIC endpoint behind the VIP on UDP 443, 4443 and 5061 (so an opened UDP path cannot read as refused)", func() {
		// From the router itself: its own traffic passes no forward rule, so this reaches the
		// HLB's UDP balancing (peers/hlb-udp.nft.tmpl) and a Director whatever firewall.nft says.
		for port, alpn := range map[int]string{443: "h3", 4443: "mockdirector", 5061: "mockdirector"} {
			r := env.Run(matrixCase{ID: fmt.Sprintf("fw->vip udp/%d", port), NS: nsFirewall, Src: addrFWServer,
				Target: fmt.Sprintf("%s:%d", addrVIP, port), Check: checkQUIC, ServerName: "dir-pool.contoso.local", Allow: true})
			Expect(r.Pass).To(BeTrue(), "udp/%d: %s", port, r.Reason)
			Expect(r.Listener).To(Equal("udp/quic alpn="+alpn), "udp/%d", port)
			Expect(r.Member).To(Equal("cert dir-pool.contoso.local"), "udp/%d", port)
		}
	})

	It("mockdirector probe passes the built-in scenario from every source namespace", func() {
		holds = l.ProberHolds()
		if !holds {
			GinkgoWriter.Printf("NOTE: this mockdirector probe has no --hold: the idle timeout is proven by the lab's own held connection only\n")
		}
		outs, err := l.RunProbes("baseline", holds)
		printProbes(GinkgoWriter, "baseline", outs)
		Expect(err).NotTo(HaveOccurred())
		Expect(probeFailing(outs)).To(BeEmpty())
		// The UDP guard rows are denied by the firewall (filtered), not merely unanswered
		// (refused would mean the datagrams got through and nothing listened).
		udp := 0
		for _, o := range outs {
			for _, r := range o.Results {
				if strings.Contains(r.ID, " udp/") && !r.Unsupported() {
					udp++
					Expect(r.Observed).To(BeEquivalentTo("filtered"), "%s: %s", r.Key(), r.Reason)
				}
			}
		}
		Expect(udp).To(BeNumerically(">=", 9), "the prober ran the UDP guard rows")
		unsupported := probeUnsupported(outs)
		for _, u := range unsupported {
			GinkgoWriter.Printf("NOTE: this prober cannot run %s (not asserted)\n", u)
		}
		n := 0
		for _, o := range outs {
			if len(unsupported) == 0 {
				// A run that proved nothing (lab/hlb.yaml's internal-clients rows are all
				// affinity-source, unproven from one source) exits 1: not green.
				want := 1
				for _, r := range o.Results {
					if r.Verdict == "pass" || r.Verdict == "fail" {
						want = 0
						break
					}
				}
				Expect(o.Exit).To(Equal(want), "probe --as %s (%s) exit code", o.Run.Role, o.Run.Scenario)
			}
			n += len(o.Results)
		}
		Expect(n).To(BeNumerically(">=", len(scenarios.Default().Rows)))
	})

	It("balances across both Directors, with source persistence on 80/443", func() {
		seen := map[string]int{}
		for range 4 {
			r := env.Run(matrixCase{ID: "rr", NS: nsRP, Src: addrRPInt, Target: addrVIP + ":8080", Port: 8080,
				Check: checkHTTP, Path: "/meet/", ServerName: "dir-pool.contoso.local", Allow: true})
			Expect(r.Pass).To(BeTrue(), r.Reason)
			seen[r.Member]++
		}
		Expect(seen).To(HaveLen(2), "8080 round-robins over dir01 and dir02")
		for _, port := range []int{80, 443} {
			check := checkHTTP
			if port == 443 {
				check = checkHTTPS
			}
			members := map[string]int{}
			for range 4 {
				r := env.Run(matrixCase{ID: "persist", NS: nsClients, Src: addrClient, Target: fmt.Sprintf("%s:%d", addrVIP, port),
					Port: port, Check: check, Path: "/meet/", ServerName: "dir-pool.contoso.local", Allow: true})
				Expect(r.Pass).To(BeTrue(), r.Reason)
				members[r.Member]++
			}
			Expect(members).To(HaveLen(1), "port %d keeps one client on one Director", port)
		}
	})

	It("proves the Director HLB from both sides: both Directors answer, cookie persistence holds, source persistence is unproven from one source, and the report lists HAProxy's health checks per member", func() {
		outs, err := l.RunProbes("hlb", false)
		Expect(err).NotTo(HaveOccurred())
		var hlb []probeOutput
		for _, o := range outs {
			if o.Run.Scenario == "hlb.yaml" {
				hlb = append(hlb, o)
			}
		}
		printProbes(GinkgoWriter, "the Director HLB (lab/hlb.yaml)", hlb)
		n := 0
		for _, o := range hlb {
			for _, r := range o.Results {
				n++
				if strings.HasSuffix(r.ID, " affinity-source") {
					// One source sees one member under source persistence, and just the same
					// under none with the other member down: the check cannot tell, and says so.
					Expect(r.Verdict).To(BeEquivalentTo("unproven"), "%s: %s", r.Key(), r.Reason)
					Expect(r.Reason).To(ContainSubstring("persistence cannot be told from a one-member pool"), r.Key())
					continue
				}
				Expect(r.Verdict).To(BeEquivalentTo("pass"), "%s: %s", r.Key(), r.Reason)
				if strings.HasSuffix(r.ID, " distribution") {
					Expect(r.Reason).To(SatisfyAll(ContainSubstring("dir01 "), ContainSubstring("dir02 "), Not(ContainSubstring("0/"))), r.Key())
				}
			}
		}
		Expect(n).To(Equal(5), "the rows of lab/hlb.yaml")
		rep, err := l.MonitorReport(time.Minute)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("%s\n", rep)
		for _, m := range []string{"dir01", "dir02"} {
			Expect(rep).To(MatchRegexp(`director %s\s+tcp/5061\s+%s\s+tls-only\s+1\.0 s`, m, regexp.QuoteMeta(addrVIP)), "HAProxy's check of %s", m)
		}
		Expect(monitorFindings(rep)).To(BeEmpty())
	})

	It("journals the Edge path with the Edge internal address and certificate, from the lab and from kamailio's dispatcher pings", func() {
		// The matrix run above sent OPTIONS as the Edge; kamailio's dispatcher pings every 2 s.
		Eventually(func() []string {
			var got []string
			for _, m := range []string{"dir01", "dir02"} {
				evs, err := journal.ReadFile(l.Journals[m])
				if err != nil {
					continue
				}
				for _, ev := range evs {
					if ev.Kind != journal.KindSIP || ev.SIP == nil || ev.SIP.Method != "OPTIONS" {
						continue
					}
					if !strings.HasPrefix(ev.Remote, addrEdge+":") || ev.TLS == nil || ev.TLS.ClientCert == nil {
						continue
					}
					if !ev.TLS.ClientCert.Verified || !strings.Contains(ev.TLS.ClientCert.Subject, "edge-int.contoso.local") {
						continue
					}
					who := "lab"
					if strings.Contains(ev.SIP.From, "edge-int.contoso.local") {
						who = "kamailio"
					}
					got = append(got, who)
				}
			}
			slices.Sort(got)
			return slices.Compact(got)
		}, 15*time.Second, 500*time.Millisecond).Should(Equal([]string{"kamailio", "lab"}))
		// kamailio starts with the destination active and logs only changes: it must never have
		// marked the Director VIP down (its pings were answered with 200 over MTLS).
		Expect(l.Kamailio.Output()).NotTo(ContainSubstring("dispatcher destination down"))
	})

	Context("fault detection: each mutation on a fresh copy of the rule set flips exactly its rows", func() {
		for _, m := range mutations {
			It(m.Name, func() {
				if note, err := l.EnsureKamailio(); note != "" {
					GinkgoWriter.Printf("NOTE: %s\n", note)
					Expect(err).NotTo(HaveOccurred())
				}
				if m.Apply != nil {
					text, err := m.Apply(l.Firewall)
					Expect(err).NotTo(HaveOccurred())
					Expect(l.LoadFirewall(text)).To(Succeed(), "loading the mutated rule set")
					DeferCleanup(func() { Expect(l.LoadFirewall(l.Firewall)).To(Succeed()) })
				}
				if m.HAProxy != nil {
					cfg, err := m.HAProxy(l.HAProxyConfig)
					Expect(err).NotTo(HaveOccurred())
					Expect(l.LoadHAProxy(cfg)).To(Succeed(), "restarting HAProxy with the mutated haproxy.cfg")
					DeferCleanup(func() { Expect(l.LoadHAProxy(l.HAProxyConfig)).To(Succeed()) })
				}
				began := time.Now()
				var (
					outs     []probeOutput
					probeErr error
					done     = make(chan struct{})
				)
				go func() {
					defer close(done)
					outs, probeErr = l.RunProbes(strings.NewReplacer(" ", "_", ">", "", "'", "").Replace(m.Name), holds)
				}()
				rs := env.RunAll(cases)
				<-done
				printMatrix(GinkgoWriter, "mutation: "+m.Name+" ("+m.What+")", rs)
				printProbes(GinkgoWriter, "mutation: "+m.Name, outs)
				Expect(probeErr).NotTo(HaveOccurred())
				probeWant := probeKeysFor(m, scenarios.Default())
				if holds && m.ProbeHold != "" {
					probeWant[holdKey] = m.ProbeHold
				}
				maps.Copy(probeWant, m.HLBFlips)
				var pw []string
				for k := range probeWant {
					pw = append(pw, k)
				}
				slices.Sort(pw)
				gaps := probeGapKeys(m, scenarios.Default())
				for _, k := range gaps {
					r, _ := probeFind(outs, k)
					GinkgoWriter.Printf("known prober gap: %s -> %s (%s)\n", k, r.Verdict, r.Reason)
				}
				Expect(probeFailing(outs, gaps...)).To(Equal(pw), "mockdirector probe: exactly these rows flip, no false alarms")
				for k, phrase := range probeWant {
					r, _ := probeFind(outs, k)
					Expect(r.Reason).To(ContainSubstring(phrase), "probe names the cause for %s", k)
				}
				// What the destination saw of the HLB's health monitors during the mutation.
				rep, err := l.MonitorReport(time.Since(began))
				Expect(err).NotTo(HaveOccurred())
				if m.Monitors != "" {
					GinkgoWriter.Printf("report during the mutation:\n%s\n", rep)
					Expect(monitorFindings(rep)).To(ContainElement(ContainSubstring(m.Monitors)), "the report calls out the monitors")
				} else {
					Expect(monitorFindings(rep)).To(BeEmpty(), "no monitor callout without a monitor fault; the report during the mutation:\n%s", rep)
				}
				var want []string
				for id := range m.Flips {
					want = append(want, id)
				}
				slices.Sort(want)
				Expect(failingCases(rs)).To(Equal(want), "exactly these rows flip, no false alarms")
				for _, r := range rs {
					if phrase, ok := m.Flips[r.Case.ID]; ok {
						Expect(r.Reason).To(ContainSubstring(phrase), "the report names the cause for %s", r.Case.ID)
					}
				}
			})
		}
	})

	// Last: a failed handshake is what has crashed kamailio 5.6 in this lab.
	It("kamailio, the real Edge, refuses a peer without a client certificate", func() {
		r := env.Run(matrixCase{ID: "no-cert", NS: nsDir01, Src: addrDir01, Target: addrEdge + ":5061",
			Check: checkSIP, ServerName: "edge-int.contoso.local", Allow: true})
		Expect(r.Pass).To(BeFalse(), "OPTIONS without a client certificate must not be answered")
		Expect(r.Observed).To(Equal(obsFailed), r.Reason)
		GinkgoWriter.Printf("without a client certificate: %s\n", r.Reason)
	})
})

// processesMentioning lists processes whose command line contains s.
func processesMentioning(s string) []string {
	var found []string
	entries, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, e := range entries {
		b, err := os.ReadFile(e)
		if err == nil && strings.Contains(string(b), s) {
			found = append(found, e+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return found
}
