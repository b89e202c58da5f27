package probe_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/internal/testbin"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
)

// The built binary, driven as a user drives it: serve processes per role, probe against them,
// exit codes, JSON and JUnit files.
var _ = Describe("the mockdirector binary", Ordered, Serial, Label("cli"), func() {
	var (
		bin, dir, certDir, topo string
		servers                 = map[string]*served{}
	)

	BeforeAll(func() {
		var err error
		bin = binary()
		dir = testdir.New()
		certDir = filepath.Join(dir, "certs")
		topo, err = filepath.Abs(filepath.Join("testdata", "topology.yaml"))
		Expect(err).NotTo(HaveOccurred())
		run(bin, 0, "certs", "init", "--config", topo, "--dir", certDir)
		for _, role := range []string{"director", "frontend", "edge-internal", "pki"} {
			servers[role] = serve(bin, dir, topo, certDir, role)
		}
		DeferCleanup(func() {
			for _, s := range servers {
				s.Terminate().Wait(5 * time.Second)
			}
		})
	})

	// probeArgs aim every row at the ports the serves bound (their --ports-file lines are
	// --target values).
	probeArgs := func(extra ...string) []string {
		args := []string{"probe", "--config", topo, "--certs", certDir, "--skip-deny", "--expect-source-seen", "--timeout", "2s"}
		for _, s := range servers {
			for _, t := range s.targets {
				args = append(args, "--target", t)
			}
		}
		return append(args, extra...)
	}
	failedIDs := func(rep *probe.Report) []string {
		var ids []string
		for _, r := range rep.Results {
			if r.Verdict == wire.VerdictFail {
				ids = append(ids, r.ID)
			}
		}
		return ids
	}

	It("passes every allow row, exit 0, and writes JSON that decodes strictly", func() {
		out := filepath.Join(dir, "all.json")
		s := run(bin, 0, probeArgs("--format", "json", "--output", out)...)
		Expect(s.Out).To(gbytes.Say(`93 rows: 17 pass, 0 fail, 76 skip`))
		rep := readReport(out)
		Expect(rep.Scenario).To(Equal("lync2013-single-director"))
		Expect(rep.Results).To(HaveLen(93), "14 allow rows, the 3 certificate requirement (cdp) rows and the table's 76 complement deny rows")
		Expect(rep.Summary).To(Equal(probe.Summary{Pass: 17, Skip: 76}))
		for _, r := range rep.Results {
			Expect(r.ID).NotTo(BeEmpty())
			Expect(r.Reason).NotTo(BeEmpty())
			if r.Verdict == wire.VerdictPass && r.Check != "tcp" && r.Check != "http" && r.Check != "cdp" {
				Expect(r.ServerCert).NotTo(BeNil(), r.ID)
				Expect(r.ServerCert.NotAfter).To(BeTemporally(">", time.Now()))
			}
		}
	})

	It("writes JUnit that parses as XML with one testcase per row, one suite per source -> destination", func() {
		out := filepath.Join(dir, "all.xml")
		run(bin, 0, probeArgs("--format", "junit", "--output", out)...)
		data, err := os.ReadFile(out)
		Expect(err).NotTo(HaveOccurred())
		var doc probe.JUnitSuites
		Expect(xml.Unmarshal(data, &doc)).To(Succeed())
		cases := 0
		names := map[string]bool{}
		for _, s := range doc.Suites {
			Expect(names).NotTo(HaveKey(s.Name))
			names[s.Name] = true
			cases += len(s.Cases)
		}
		Expect(cases).To(Equal(93))
		Expect(doc.Tests).To(Equal(93))
		Expect(doc.Skipped).To(Equal(76))
		Expect(names).To(HaveKey("edge-internal -> director"))
	})

	It("exits 1 when no row was proven (every row skipped or unproven): nothing of the firewall was shown", func() {
		// --skip-deny with only deny rows selected: every row is skipped.
		s := run(bin, 1, probeArgs("--as", "edge-internal", "--only", "->director tcp/444")...)
		Expect(s.Out).To(gbytes.Say(`2 rows: 0 pass, 0 fail, 2 skip`))
		Expect(s.Err).To(gbytes.Say(`no row was proven \(0 unproven, 2 skipped\)`))
	})

	It("rejects bad flags and scenarios with exit 2 and says how to fix them", func() {
		s := run(bin, 2, "probe", "--format", "yaml")
		Expect(s.Err).To(gbytes.Say(`--format "yaml": choose one of json, junit, table`))
		bad := filepath.Join(dir, "bad.yaml")
		Expect(os.WriteFile(bad, []byte("name: x\nrows:\n  - {from: any, to: director, port: 5061, protocol: tcp, expect: maybe}\n"), 0o644)).To(Succeed())
		s = run(bin, 2, "scenarios", "validate", bad)
		Expect(s.Err).To(gbytes.Say(`bad.yaml:3: row 1: expect "maybe" is not one of`))
		s = run(bin, 2, "probe", "--scenario", bad)
		Expect(s.Err).To(gbytes.Say(`bad.yaml:3`))
		run(bin, 0, "scenarios", "validate", "lync2013-single-director")
	})

	It("holds a connection with --hold, showing a progress line on a terminal, and reports it held", func() {
		scn := filepath.Join(dir, "hold.yaml")
		Expect(os.WriteFile(scn, []byte("name: hold\nrows:\n  - {from: internal-clients, to: director, port: 80, protocol: http, check: hold, path: /meet/}\n"), 0o644)).To(Succeed())
		args := probeArgs("--scenario", scn, "--hold", "2s", "--format", "json", "--output", filepath.Join(dir, "hold.json"))
		// script(1) gives the probe a real terminal, so the progress line shows.
		line := bin + " " + strings.Join(args, " ")
		s := run("script", 0, "-qec", line, "/dev/null")
		Expect(string(s.Out.Contents())).To(MatchRegexp(`rows, 0 failing, holding idle [0-9]s of 2s`))
		rep := readReport(filepath.Join(dir, "hold.json"))
		Expect(rep.Results).To(HaveLen(1))
		Expect(rep.Results[0].ID).To(Equal("internal-clients->director tcp/80 http hold"))
		Expect(rep.Results[0].Observed).To(BeEquivalentTo("held 2s"), rep.Results[0].Reason)
		Expect(rep.Results[0].HoldMS).To(Equal(2000.0))

		By("a negative --hold is bad input")
		run(bin, 2, probeArgs("--scenario", scn, "--hold", "-1s")...)
	})

	It("turns exactly the rows to a stopped listener red, exit 1, with the reason", func() {
		// The stopped serve's addresses stay in the book: its ports are closed now.
		servers["edge-internal"].Terminate().Wait(5 * time.Second)
		stopped := servers["edge-internal"].addr("edge-internal/5061")
		DeferCleanup(func() { servers["edge-internal"] = serve(bin, dir, topo, certDir, "edge-internal") })
		out := filepath.Join(dir, "edge-stopped.json")
		run(bin, 1, probeArgs("--format", "json", "--output", out)...)
		rep := readReport(out)
		Expect(failedIDs(rep)).To(ConsistOf(
			"director->edge-internal tcp/5061 sip-mtls",
			"frontend->edge-internal tcp/5061 sip-mtls",
		))
		for _, r := range rep.Results {
			if r.Verdict == wire.VerdictFail {
				Expect(r.Observed).To(Equal(wire.StateRefused))
				Expect(r.Reason).To(ContainSubstring("SIP OPTIONS 5061 to edge-int.contoso.local (" + stopped + "): connection refused"))
				Expect(r.Reason).To(ContainSubstring("the table's introduction expects"))
			}
		}
	})

	It("turns exactly the TLS rows of a member with a certificate from another CA red, exit 1", func() {
		servers["frontend"].Terminate().Wait(5 * time.Second)
		other := filepath.Join(dir, "other-ca")
		run(bin, 0, "certs", "init", "--config", topo, "--dir", other)
		servers["frontend"] = serve(bin, dir, topo, other, "frontend")
		out := filepath.Join(dir, "frontend-other-ca.json")
		s := run(bin, 1, probeArgs("--format", "json", "--output", out)...)
		Expect(s.Out).To(gbytes.Say(`FAIL`))
		rep := readReport(out)
		Expect(failedIDs(rep)).To(ConsistOf(
			"director->frontend tcp/444 https",
			"reverse-proxy-internal->frontend tcp/4443 https",
			"edge-internal->frontend tcp/5061 sip-mtls",
		), "plain HTTP 8080 to the Front End still passes")
		for _, r := range rep.Results {
			if r.Verdict == wire.VerdictFail {
				Expect(r.Observed).To(Equal(wire.StateHandshakeFailed))
				Expect(r.Reason).To(ContainSubstring(`which the trust does not hold`))
			}
		}
	})
})

// The lab command on the tests' topology (127.0.20.x), on ports the kernel picks.
var _ = Describe("mockdirector lab", Ordered, Serial, Label("cli", "lab"), func() {
	var bin, topo string
	BeforeAll(func() {
		var err error
		bin = binary()
		topo, err = filepath.Abs(filepath.Join("testdata", "topology.yaml"))
		Expect(err).NotTo(HaveOccurred())
	})

	It("starts the four roles (the PKI web server too), probes every row from its own source address and passes, exit 0", func() {
		s := run(bin, 0, "lab", "--config", topo)
		out := string(s.Out.Contents())
		Expect(out).To(MatchRegexp(`director\s+dir01.contoso.local\s+127.0.20.2 `))
		Expect(out).To(MatchRegexp(`edge-internal -> director  \(to 127.0.20.2 from 127.0.20.4\)`))
		Expect(out).To(MatchRegexp(`PASS\s+5061\s+sip-options\s+allow\s+sip 200 .* source seen 127.0.20.4`))
		Expect(out).To(MatchRegexp(`SKIP .* needs a firewall between source and destination`))
		Expect(out).To(MatchRegexp(`SKIP\s+udp/443\s+udp-quic\s+deny\s+not-run`))
		Expect(out).To(ContainSubstring(`93 rows: 17 pass, 0 fail, 76 skip`))
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring("\x1b["), "no colour when stdout is not a terminal")
	})

	It("fails the deny rows with exit 1 when told a firewall is present but nothing denies", func() {
		out := filepath.Join(testdir.New(), "lab.json")
		s := run(bin, 1, "lab", "--config", topo, "--firewall-present", "--format", "json", "--output", out)
		// Every allow row passes; no deny row does (issue 11): open ones fail, refused ones are
		// unproven (the host refused: nothing listens there) or, against guard listeners, open.
		Expect(s.Out).To(gbytes.Say(`93 rows: 17 pass, \d+ fail, 0 skip`))
		rep := readReport(out)
		for _, r := range rep.Results {
			if r.Expected == wire.ExpectDeny {
				Expect(r.Verdict).NotTo(Equal(wire.VerdictPass), r.Reason)
			}
			if r.Verdict == wire.VerdictUnproven {
				Expect(r.Observed).To(Equal(wire.StateRefused), r.ID)
				Expect(r.Code).To(Equal(wire.CodeUnproven), r.ID)
			}
			if r.Verdict == wire.VerdictFail {
				Expect(r.Expected).To(BeEquivalentTo("deny"))
				Expect(r.Reason).To(Or(ContainSubstring("connected - the path is open"), ContainSubstring("guard")))
			}
		}
	})
})

// builtBinary is the mockdirector binary, built once for the suite by the first spec that needs it.
var builtBinary string

func binary() string {
	if builtBinary == "" {
		var err error
		builtBinary, err = testbin.Build()
		Expect(err).NotTo(HaveOccurred())
	}
	return builtBinary
}

var _ = AfterSuite(gexec.CleanupBuildArtifacts)

func run(bin string, code int, args ...string) *gexec.Session {
	s, err := gexec.Start(exec.Command(bin, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	Eventually(s, 60*time.Second).Should(gexec.Exit(code), "mockdirector "+strings.Join(args, " "))
	return s
}

// served is one `mockdirector serve` child and where it bound its table ports, as probe
// --target values (ROLE/PORT=HOST:PORT).
type served struct {
	*gexec.Session
	targets []string
}

// addr is where the serve bound a table port ("edge-internal/5061").
func (s *served) addr(key string) string {
	for _, t := range s.targets {
		if k, a, _ := strings.Cut(t, "="); k == key {
			return a
		}
	}
	Fail("serve bound no " + key)
	return ""
}

var serves int

// serve starts `mockdirector serve` for the role on ports the kernel picks and reads back where
// they are (--ports-file).
func serve(bin, dir, topo, certDir, role string) *served {
	serves++
	ports := filepath.Join(dir, fmt.Sprintf("%s-%d.ports", role, serves))
	s, err := gexec.Start(exec.Command(bin, "serve", "--role", role, "--config", topo, "--certs", certDir,
		"--ephemeral-ports", "--ports-file", ports, "--journal", filepath.Join(dir, role+".jsonl")), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	Eventually(s.Out, 30*time.Second).Should(gbytes.Say("ready;"))
	data, err := os.ReadFile(ports)
	Expect(err).NotTo(HaveOccurred())
	return &served{Session: s, targets: strings.Fields(string(data))}
}

func readReport(path string) *probe.Report {
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var rep probe.Report
	Expect(dec.Decode(&rep)).To(Succeed())
	return &rep
}
