package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/netns"
	"github.com/mockdirector/mockdirector/scenarios"
)

const (
	playbookDir = "ansible"
	inventory   = "ansible/inventory/staging.yml"
)

// servers are the inventory hosts that run serve and keep a journal: the Lync roles' members
// and the PKI web server.
var servers = []string{"dir01", "fe01", "edge01", "pki01"}

// bundleFiles lists the files of a host's bundle (the tar the certs role unpacks on it).
func bundleFiles(path string) []string {
	out, err := run("tar", "-tf", path)
	Expect(err).NotTo(HaveOccurred())
	return strings.Fields(out)
}

// ansibleEnv keeps Ansible's own files (control sockets, caches, temp files) inside dir.
func ansibleEnv(dir string) []string {
	return append(os.Environ(),
		"ANSIBLE_CONFIG="+filepath.Join(mustAbs(playbookDir), "ansible.cfg"),
		"ANSIBLE_HOME="+filepath.Join(dir, "ansible-home"),
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "ansible-home", "tmp"),
		"ANSIBLE_SSH_CONTROL_PATH_DIR="+filepath.Join(dir, "cp"),
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks",
		"ANSIBLE_FORCE_COLOR=0",
		"HOME="+filepath.Join(dir, "home"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "home", ".cache"),
	)
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	Expect(err).NotTo(HaveOccurred())
	return a
}

// runBounded runs a command with a timeout, streaming its output to the Ginkgo writer, and
// returns the output and the exit code (-1 when it did not exit on its own).
func runBounded(d time.Duration, env []string, name string, args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdout = io.MultiWriter(&out, GinkgoWriter)
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String(), -1
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	Expect(err).NotTo(HaveOccurred(), "%s", name)
	return out.String(), 0
}

var _ = Describe("the fleet playbook (deploy/ansible)", func() {
	It("passes ansible-playbook --syntax-check (Linux and Windows tasks)", func() {
		if _, err := exec.LookPath("ansible-playbook"); err != nil {
			Skip("ansible-playbook missing (apt-get install ansible)")
		}
		dir := GinkgoT().TempDir()
		out, rc := runBounded(60*time.Second, ansibleEnv(dir), "ansible-playbook", "--syntax-check",
			"-i", inventory, filepath.Join(playbookDir, "site.yml"), filepath.Join(playbookDir, "teardown.yml"))
		Expect(rc).To(Equal(0), out)
		Expect(out).NotTo(ContainSubstring("WARNING"), "syntax check warns")
	})

	It("passes ansible-lint (production profile)", func() {
		if _, err := exec.LookPath("ansible-lint"); err != nil {
			Skip("ansible-lint missing (apt-get install ansible-lint)")
		}
		dir := GinkgoT().TempDir()
		cmd := []string{"--offline", "--profile", "production", "site.yml", "teardown.yml"}
		env := ansibleEnv(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, "ansible-lint", cmd...)
		c.Dir, c.Env = playbookDir, env
		out, err := c.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "ansible-lint:\n%s", out)
		Expect(string(out)).To(ContainSubstring("0 failure(s), 0 warning(s)"))
	})
})

var _ = Describe("the whole staging network over SSH to network-namespace hosts", Ordered, Label("fleet-e2e"), func() {
	var (
		dir, bin, evidence, hostsDir string
		hosts                        []*host
		env                          []string
		createdRunSSHD               bool
	)

	BeforeAll(func() {
		if os.Geteuid() != 0 {
			Skip("the fleet e2e needs root (network namespaces, sshd): run `sudo make fleet-e2e`")
		}
		for _, tool := range []string{"ip", "ansible-playbook", "ssh", "ssh-keygen", "/usr/sbin/sshd", "start-stop-daemon", "pgrep"} {
			if _, err := exec.LookPath(tool); err != nil {
				Skip("the fleet e2e needs " + tool + " (apt-get install ansible openssh-server openssh-client iproute2)")
			}
		}
		var err error
		hosts, err = inventoryHosts(inventory)
		Expect(err).NotTo(HaveOccurred())
		Expect(hosts).To(HaveLen(7))

		// mdfleet-* are the same names on every run: hold the prefix's lease, so a second run
		// on the host waits, and what removeFleet finds is only a crashed run's.
		lease, err := netns.Lock(prefix, 10*time.Minute)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(lease.Unlock)
		Expect(removeFleet()).To(Succeed(), "leftovers of an earlier run")
		dir, err = os.MkdirTemp("", prefix)
		Expect(err).NotTo(HaveOccurred())
		evidence = filepath.Join(dir, "evidence")
		hostsDir = filepath.Join(dir, "hosts")
		env = ansibleEnv(dir)

		// Every exit path (pass, fail, interrupt) kills what the run started and deletes what
		// it made, then checks that nothing is left.
		DeferCleanup(func() {
			// Killing every process of the namespaces ends each sshd and its sessions (which
			// hold its output pipe); the controller's ssh masters exit with their connections.
			cleanupErr := removeFleet()
			for _, h := range hosts {
				if h.sshd != nil && h.sshd.Process != nil {
					_ = h.sshd.Process.Kill()
					_ = h.sshd.Wait()
				}
			}
			for _, p := range pidsMentioning(dir) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			if createdRunSSHD {
				_ = os.Remove("/run/sshd")
			}
			Expect(os.RemoveAll(dir)).To(Succeed())
			Expect(cleanupErr).NotTo(HaveOccurred())
			Expect(fleetNamespaces()).To(BeEmpty(), "namespaces left")
			Eventually(func() []int { return pidsMentioning(dir) }).WithTimeout(5*time.Second).Should(BeEmpty(), "processes left")
			Expect(dir).NotTo(BeAnExistingFile())
		})

		for _, d := range []string{"ssh", "home", "cp", "remote-tmp", "hosts"} {
			Expect(os.MkdirAll(filepath.Join(dir, d), 0o700)).To(Succeed())
		}
		bin = filepath.Join(dir, "mockdirector")
		build := exec.Command("go", "build", "-o", bin, "github.com/mockdirector/mockdirector/cmd/mockdirector")
		build.Stdout, build.Stderr = GinkgoWriter, GinkgoWriter
		Expect(build.Run()).To(Succeed(), "go build ./cmd/mockdirector")

		// Keys made for the run: the controller's, and a host key per host for known_hosts.
		sshDir := filepath.Join(dir, "ssh")
		_, err = run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mdfleet-controller", "-f", filepath.Join(sshDir, "id_ed25519"))
		Expect(err).NotTo(HaveOccurred())
		pub, err := os.ReadFile(filepath.Join(sshDir, "id_ed25519.pub"))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(sshDir, "authorized_keys"), pub, 0o600)).To(Succeed())
		var known strings.Builder
		for _, h := range hosts {
			key := filepath.Join(sshDir, h.name+"_host_key")
			_, err = run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", h.name, "-f", key)
			Expect(err).NotTo(HaveOccurred())
			hp, err := os.ReadFile(key + ".pub")
			Expect(err).NotTo(HaveOccurred())
			f := strings.Fields(string(hp))
			fmt.Fprintf(&known, "%s %s %s\n", h.addr, f[0], f[1])
			Expect(os.WriteFile(filepath.Join(sshDir, h.name+".conf"), []byte(sshConfig(sshDir, h)), 0o600)).To(Succeed())
		}
		Expect(os.WriteFile(filepath.Join(sshDir, "known_hosts"), []byte(known.String()), 0o600)).To(Succeed())

		Expect(buildFleet(hosts)).To(Succeed())

		// sshd refuses to start without its privilege separation directory.
		if _, err := os.Stat("/run/sshd"); os.IsNotExist(err) {
			Expect(os.Mkdir("/run/sshd", 0o755)).To(Succeed())
			createdRunSSHD = true
		}
		for _, h := range hosts {
			h.sshd = exec.Command("ip", "netns", "exec", h.ns, "/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(sshDir, h.name+".conf"))
			// A file, not a pipe: Wait must not hang on sessions that inherited the output.
			logf, err := os.Create(filepath.Join(sshDir, h.name+".log"))
			Expect(err).NotTo(HaveOccurred())
			h.sshd.Stdout, h.sshd.Stderr = logf, logf
			h.sshd.WaitDelay = 2 * time.Second
			Expect(h.sshd.Start()).To(Succeed(), "sshd in %s", h.ns)
			Expect(logf.Close()).To(Succeed())
		}
		for _, h := range hosts {
			Expect(waitTCP(h.addr+":22", 15*time.Second)).To(Succeed(), "sshd of %s through the router", h.name)
		}

		vars := map[string]any{
			"mockdirector_binary":                   bin,
			"mockdirector_root":                     hostsDir + "/{{ inventory_hostname }}",
			"mockdirector_evidence_dir":             evidence,
			"mockdirector_probe_skip_deny":          true, // no firewall in the router: deny rows cannot hold
			"mockdirector_probe_timeout":            "2s",
			"ansible_ssh_private_key_file":          filepath.Join(sshDir, "id_ed25519"),
			"ansible_ssh_common_args":               "-F /dev/null -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=" + filepath.Join(sshDir, "known_hosts") + " -o ConnectTimeout=5",
			"ansible_remote_tmp":                    filepath.Join(dir, "remote-tmp"),
			"mockdirector_serve_start_timeout":      30,
			"mockdirector_probe_expect_source_seen": true,
			"ansible_python_interpreter":            "/usr/bin/python3",
		}
		data, err := json.Marshal(vars)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "vars.json"), data, 0o600)).To(Succeed())
	})

	playbook := func(name string, d time.Duration) (string, int) {
		return runBounded(d, env, "ansible-playbook", "-i", inventory, "-e", "@"+filepath.Join(dir, "vars.json"),
			filepath.Join(playbookDir, name))
	}

	It("runs site.yml: mocks up, probes run, results and journals fetched, the report holds every allow row", func() {
		out, rc := playbook("site.yml", 150*time.Second)
		if rc != 0 {
			if md, err := os.ReadFile(filepath.Join(evidence, "report.md")); err == nil {
				GinkgoWriter.Printf("report.md:\n%s\n", md)
			}
		}
		Expect(rc).To(Equal(0), "site.yml")
		Expect(out).To(ContainSubstring("every allow row proven"))
		manager := "as a plain process"
		if st, err := os.Stat("/run/systemd/system"); err == nil && st.IsDir() {
			manager = "as the systemd unit"
		}
		for _, m := range servers {
			Expect(out).To(MatchRegexp(`serve \S+ member \S+ on %s runs %s`, m, manager))
		}
		GinkgoWriter.Printf("serve ran %s on every member\n", manager)
		// serve --host-firewall=open: each member's host holds the record of what it opened.
		for _, m := range servers {
			Expect(out).To(MatchRegexp(`serve \S+ member \S+ on %s runs .*host firewall open`, m))
			rules, err := netns.Exec(prefix+m, "nft", "list", "table", "inet", "mockdirector")
			Expect(err).NotTo(HaveOccurred(), "%s: no table inet mockdirector while serve --host-firewall=open runs", m)
			Expect(rules).To(ContainSubstring("mockdirector "), "%s: the table lists no rule of serve's", m)
		}
		// site.yaml comes from the inventory, its group vars included (they outrank the defaults).
		site, err := os.ReadFile(filepath.Join(evidence, "site.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(site)).To(ContainSubstring(`internal-clients: ["192.0.2.211", "192.0.2.208/29"]`))
		// The PKI web server is a pool (the destination of the cdp rows), never a source.
		Expect(string(site)).To(ContainSubstring("  pki:\n    fqdn: pki.contoso.com\n    members:\n      - {name: pki01.contoso.com, address: 203.0.113.213}\n"))
		Expect(string(site)).NotTo(MatchRegexp(`(?m)^sources:(\n  .*)*\n  pki:`))
		// Its host holds its pool's site.yaml and what serve --role pki publishes, no private
		// key at all; the other hosts never the CA key.
		pkiSite, err := os.ReadFile(filepath.Join(evidence, "site-pki.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(pkiSite)).To(ContainSubstring("pki01.contoso.com"))
		Expect(string(pkiSite)).NotTo(ContainSubstring("dir01"))
		Expect(bundleFiles(filepath.Join(evidence, "bundles", "pki01.tar"))).To(ConsistOf(
			"site-pki.yaml", "certs/ca.crt", "certs/ca.crl", "certs/pki.url"))
		for _, h := range hosts {
			if h.name == "pki01" {
				continue
			}
			Expect(bundleFiles(filepath.Join(evidence, "bundles", h.name+".tar"))).To(ContainElements("site.yaml", "certs/ca.crt"))
			Expect(bundleFiles(filepath.Join(evidence, "bundles", h.name+".tar"))).NotTo(ContainElement("certs/ca.key"), "CA key on %s", h.name)
		}
		for _, h := range hosts {
			Expect(string(site)).To(ContainSubstring(h.addr))
			if h.name == "pki01" { // a destination only: nothing starts from it
				Expect(filepath.Join(evidence, "probe", h.name+".json")).NotTo(BeAnExistingFile())
				continue
			}
			Expect(filepath.Join(evidence, "probe", h.name+".json")).To(BeARegularFile())
		}
		for _, m := range servers {
			Expect(filepath.Join(evidence, "journals", m+".jsonl")).To(BeARegularFile())
		}
	})

	It("holds the collected evidence: report exits 0 with every allow row seen ok, every probe row passes", func() {
		scn, err := scenarios.Load(scenarios.BuiltinName)
		Expect(err).NotTo(HaveOccurred())
		var allow, cdp []string
		for _, r := range scn.Rows {
			if r.Allowed() {
				allow = append(allow, r.ID())
			}
			if r.Allowed() && r.Check == scenarios.CheckCDP && r.To == scenarios.RolePKI {
				cdp = append(cdp, r.ID())
			}
		}
		Expect(allow).NotTo(BeEmpty())
		// Every MTLS peer reaches the CDP and AIA of the CA on the PKI host.
		Expect(cdp).To(HaveLen(3), "the cdp rows (edge-internal, director, frontend -> pki)")

		args := []string{"report", "--topology", filepath.Join(evidence, "site.yaml"), "--probe", filepath.Join(evidence, "probe.json"), "--format", "json"}
		for _, m := range servers {
			args = append(args, "--journal", filepath.Join(evidence, "journals", m+".jsonl"))
		}
		out, rc := runBounded(30*time.Second, os.Environ(), bin, args...)
		Expect(rc).To(Equal(0), "report exit code")
		var res struct {
			OK   bool `json:"ok"`
			Rows []struct {
				ID    string `json:"id"`
				State string `json:"state"`
				Probe *struct {
					Verdict string `json:"verdict"`
				} `json:"probe"`
			} `json:"rows"`
			Unexpected []json.RawMessage `json:"unexpected"`
		}
		Expect(json.Unmarshal([]byte(out), &res)).To(Succeed())
		Expect(res.OK).To(BeTrue())
		Expect(res.Unexpected).To(BeEmpty())
		got := map[string]string{}
		for _, r := range res.Rows {
			got[r.ID] = r.State
			Expect(r.Probe).NotTo(BeNil(), "row %s has no probe result", r.ID)
			Expect(r.Probe.Verdict).To(Equal("pass"), "probe of %s", r.ID)
		}
		for _, id := range allow {
			Expect(got).To(HaveKeyWithValue(id, "seen ok"), "allow row %s", id)
		}
		for _, id := range cdp {
			Expect(got).To(HaveKeyWithValue(id, "seen ok"), "cdp row %s in the report", id)
		}

		md, err := os.ReadFile(filepath.Join(evidence, "report.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(md)).To(MatchRegexp(`(?m)^\*\*OK: %d of %d rows seen ok, 0 not seen yet, 0 seen but failed, 0 failing now, 0 unexpected`, len(allow), len(allow)))
		for _, id := range allow {
			Expect(string(md)).To(MatchRegexp("(?m)^\\| \\S+ seen ok \\| `%s` \\|.*\\| pass ", regexp.QuoteMeta(id)), "report.md row %s", id)
		}
		// The change board's page, and its PDF where the controller has Chromium.
		page, err := os.ReadFile(filepath.Join(evidence, "report.html"))
		Expect(err).NotTo(HaveOccurred(), "the controller wrote no report.html")
		for _, id := range allow {
			Expect(string(page)).To(ContainSubstring(html.EscapeString(id)), "report.html row %s", id)
		}
		if _, err := exec.LookPath("chromium"); err == nil {
			pdf, err := os.ReadFile(filepath.Join(evidence, "report.pdf"))
			Expect(err).NotTo(HaveOccurred(), "Chromium is on the controller, but it wrote no report.pdf")
			Expect(string(pdf)).To(HavePrefix("%PDF-"))
		}

		var probes struct {
			Results []struct {
				ID      string `json:"id"`
				Verdict string `json:"verdict"`
				Reason  string `json:"reason"`
			} `json:"results"`
		}
		data, err := os.ReadFile(filepath.Join(evidence, "probe.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(json.Unmarshal(data, &probes)).To(Succeed())
		passed := map[string]bool{}
		for _, p := range probes.Results {
			Expect(p.Verdict).To(BeElementOf("pass", "skip"), "%s: %s", p.ID, p.Reason)
			passed[p.ID] = passed[p.ID] || p.Verdict == "pass"
		}
		for _, id := range allow {
			Expect(passed).To(HaveKeyWithValue(id, true), "probe of allow row %s", id)
		}
		for _, id := range cdp {
			Expect(passed).To(HaveKeyWithValue(id, true), "probe of cdp row %s", id)
		}
		GinkgoWriter.Printf("%d allow rows seen ok by the mocks and passed by the probes; %d probe results\n", len(allow), len(probes.Results))

		// The same evidence without the Front End's journal must not pass: the verdict depends
		// on what the mocks saw, not on the play having run.
		partial := []string{"report", "--topology", filepath.Join(evidence, "site.yaml"), "--format", "markdown", "--role", "frontend",
			"--journal", filepath.Join(evidence, "journals", "dir01.jsonl"), "--journal", filepath.Join(evidence, "journals", "edge01.jsonl")}
		out, rc = runBounded(30*time.Second, os.Environ(), bin, partial...)
		Expect(rc).To(Equal(1), "report without fe01's journal")
		Expect(out).To(ContainSubstring("not seen yet"))

		// Nor do the cdp rows hold without the PKI host's journal: the probes' pass alone is not
		// what the mock saw.
		noPKI := []string{"report", "--topology", filepath.Join(evidence, "site.yaml"), "--format", "markdown", "--role", scenarios.RolePKI}
		for _, m := range servers[:3] {
			noPKI = append(noPKI, "--journal", filepath.Join(evidence, "journals", m+".jsonl"))
		}
		out, rc = runBounded(30*time.Second, os.Environ(), bin, noPKI...)
		Expect(rc).To(Equal(1), "report without pki01's journal")
		for _, id := range cdp {
			Expect(out).To(MatchRegexp("(?m)^\\| \\S+ not seen yet \\| `%s` \\|", regexp.QuoteMeta(id)), "cdp row %s without pki01's journal", id)
		}
	})

	It("teardown.yml stops and removes everything: no process, unit, file or firewall rule left", func() {
		out, rc := playbook("teardown.yml", 90*time.Second)
		Expect(rc).To(Equal(0), "teardown.yml")
		for _, h := range hosts {
			Expect(out).To(ContainSubstring(h.name + ": no process, unit, file or firewall rule left"))
			rules, err := netns.Exec(h.ns, "nft", "list", "ruleset")
			Expect(err).NotTo(HaveOccurred())
			Expect(rules).NotTo(ContainSubstring("mockdirector"), "%s: firewall rules of serve left", h.name)
		}
		entries, err := os.ReadDir(hostsDir)
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(BeEmpty(), "files left on the hosts")
		Expect(pidsMentioning(hostsDir)).To(BeEmpty(), "processes of the hosts' binaries")
		// In each host namespace only its sshd (and its sessions) may be left before cleanup.
		for _, h := range hosts {
			for _, p := range nsPids(h.ns) {
				exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", p))
				Expect(exe).To(Equal("/usr/sbin/sshd"), "process %d in %s", p, h.ns)
			}
		}
	})
})
