package netlab_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/internal/netlab"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
)

// run proves the built-in table in the namespace lab behind firewall ("" = the export).
func run(firewall string) *netlab.Result {
	res, err := netlab.Run(context.Background(), netlab.Options{Binary: bin, Scenario: scenarios.BuiltinName,
		Firewall: firewall, Dir: GinkgoT().TempDir(), Timeout: time.Second, Log: GinkgoWriter})
	Expect(err).NotTo(HaveOccurred())
	left, err := netlab.Namespaces()
	Expect(err).NotTo(HaveOccurred())
	Expect(left).To(BeEmpty(), "namespaces left behind")
	return res
}

func failing(rep *probe.Report) []string {
	var ids []string
	for _, r := range rep.Results {
		if r.Verdict != wire.VerdictPass {
			ids = append(ids, r.From+" as "+r.ID+": "+r.Reason)
		}
	}
	return ids
}

// mutate writes the export of a first run with edit applied, as a site's own rule set.
func mutate(export string, edit func(string) string) string {
	data, err := os.ReadFile(export)
	Expect(err).NotTo(HaveOccurred())
	out := edit(string(data))
	Expect(out).NotTo(Equal(string(data)), "the mutation changed nothing")
	path := filepath.Join(GinkgoT().TempDir(), "site.nft")
	Expect(os.WriteFile(path, []byte(out), 0o644)).To(Succeed())
	return path
}

var _ = Describe("the namespace lab", Ordered, Serial, Label("netns"), func() {
	var base *netlab.Result
	var export string

	BeforeAll(func() {
		requireRoot()
		base = run("")
		data, err := os.ReadFile(base.FirewallFile)
		Expect(err).NotTo(HaveOccurred())
		export = filepath.Join(GinkgoT().TempDir(), "export.nft")
		Expect(os.WriteFile(export, data, 0o644)).To(Succeed())
	})

	It("proves every row of the table through the exported firewall, allow and deny, none skipped", func() {
		Expect(failing(base.Report)).To(BeEmpty())
		Expect(base.Report.Summary.Skip).To(BeZero())
		var allow, deny int
		for _, r := range base.Report.Results {
			if r.Expected == wire.ExpectAllow {
				allow++
				Expect(r.Identity).NotTo(BeNil(), r.ID)
			} else {
				deny++
				Expect(r.Observed).To(Equal(wire.StateFiltered), "%s: dropped by the router, not refused by a host", r.ID)
			}
		}
		// Every allow row of the table from its source role, the allow rows from any from every
		// role, and every complement deny row.
		Expect(deny).To(Equal(76))
		Expect(allow).To(BeNumerically(">=", 17), "14 allow rows of the table and 3 certificate requirement (cdp) rows")
		cdp := 0
		for _, r := range base.Report.Results {
			if r.Check == wire.CheckCDP {
				cdp++
				Expect(r.Reason).To(ContainSubstring("http://pki.contoso.local/mockdirector/ca.crl (CRL of mockdirector root CA"), r.ID)
				Expect(r.Identity.Role).To(Equal(scenarios.RolePKI), r.ID)
			}
		}
		Expect(cdp).To(Equal(3), "the Edge, the Director and the Front End each fetch the CRL from the PKI host")
		GinkgoWriter.Printf("proved %d rows in %s\n", len(base.Report.Results), base.Took)
	})

	It("flips exactly the Edge's 5061 rows, naming the missing rule, when the site's rule set lacks them", func() {
		fw := mutate(export, func(s string) string {
			return regexp.MustCompile(`(?m)^.*comment "edge-internal->(director|frontend) tcp/5061 sip-mtls"\n`).ReplaceAllString(s, "")
		})
		res := run(fw)
		Expect(res.Exported).To(BeFalse())
		var ids []string
		for _, r := range res.Report.Results {
			switch r.Verdict {
			case wire.VerdictPass:
			case wire.VerdictUnproven:
				// 5061 was the Edge's only allow row to the Front End: with it dropped, nothing
				// at the Front End answered the Edge in this run, so the Edge's deny rows there
				// rest on --guards' word alone, which a run no longer takes unsupported.
				Expect(r.From).To(Equal(scenarios.RoleEdgeInternal), r.ID)
				Expect(r.To).To(Equal(scenarios.RoleFrontend), r.ID)
				Expect(r.Expected).NotTo(Equal(wire.ExpectAllow), r.ID)
				Expect(r.Reason).To(ContainSubstring("answered as mockdirector in this run"), r.ID)
			default:
				ids = append(ids, r.ID)
				Expect(r.Observed).To(Equal(wire.StateFiltered), r.ID)
				Expect(r.Reason).To(ContainSubstring("should let it through"), r.ID)
				Expect(r.Reason).To(ContainSubstring("site.nft has no rule for it"), r.ID)
			}
		}
		Expect(ids).To(ConsistOf("edge-internal->director tcp/5061 sip-mtls", "edge-internal->frontend tcp/5061 sip-mtls"))
	})

	It("fails exactly the Edge's cdp row, naming the CRL's URL, when the site's rule set lacks perimeter -> PKI on TCP 80", func() {
		fw := mutate(export, func(s string) string {
			return regexp.MustCompile(`(?m)^.*comment "edge-internal->pki tcp/80 http"\n`).ReplaceAllString(s, "")
		})
		res := run(fw)
		var ids []string
		for _, r := range res.Report.Results {
			if r.Verdict != wire.VerdictPass {
				ids = append(ids, r.ID)
				Expect(r.Observed).To(Equal(wire.StateFiltered), r.ID)
				Expect(r.Reason).To(ContainSubstring("http://pki.contoso.local/mockdirector/ca.crl: no answer in"), r.ID)
				Expect(r.Reason).To(ContainSubstring("(to 203.0.113.40:80)"), r.ID)
				Expect(r.Reason).To(ContainSubstring("site.nft has no rule for it"), r.ID)
			}
		}
		Expect(ids).To(ConsistOf("edge-internal->pki tcp/80 http"), "the Director and Front End share the PKI host's network: their cdp rows still pass")
	})

	It("flips exactly the deny row a rule the table does not have opens: TCP 444 from the reverse proxy", func() {
		fw := mutate(export, func(s string) string {
			return strings.Replace(s, "ct state invalid drop\n", "ct state invalid drop\n\t\tip saddr 198.51.100.10 tcp dport 444 accept comment \"site extra\"\n", 1)
		})
		res := run(fw)
		var ids []string
		for _, r := range res.Report.Results {
			if r.Verdict != wire.VerdictPass {
				ids = append(ids, r.ID)
			}
		}
		Expect(ids).To(ConsistOf("reverse-proxy-internal->director tcp/444 tcp", "reverse-proxy-internal->frontend tcp/444 tcp"),
			"444 opened from the reverse proxy to every server: both its deny rows flip (the Front End serves 444, the Director's guard answers)")
	})

	It("removes its namespaces when interrupted mid-run", func() {
		cmd := exec.Command(bin, "lab")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s.Out, 30*time.Second).Should(gbytes.Say("serving"))
		Expect(s.Command.Process.Signal(syscall.SIGINT)).To(Succeed())
		Eventually(s, 30*time.Second).Should(gexec.Exit(1))
		Expect(s.Err).To(gbytes.Say("interrupted"))
		left, err := netlab.Namespaces()
		Expect(err).NotTo(HaveOccurred())
		Expect(left).To(BeEmpty())
	})
})
