package main_test

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/journal"
)

// The service specs bind only 127.0.86.1-127.0.86.9; serviceOffset keeps every director
// port outside the kernel's ephemeral range.
const serviceOffset = 14000

var _ = Describe("mockdirector service install checks serve's flags before it registers anything", Label("service"), func() {
	DescribeTable("a bad install fails with exit 2 and says what to fix",
		func(want string, args ...string) {
			s := runMD(append([]string{"service", "install"}, args...)...)
			Expect(s.ExitCode()).To(Equal(2), "stdout: %s\nstderr: %s", s.Out.Contents(), s.Err.Contents())
			Expect(string(s.Err.Contents())).To(ContainSubstring(want))
			Expect(string(s.Out.Contents())).NotTo(ContainSubstring("installed"))
		},
		Entry("no --role", `required flag(s) "role" not set`),
		Entry("a role serve does not stand in for", `--role "reverse-proxy": a service stands in for director, frontend, edge-internal, pki`, "--role", "reverse-proxy"),
		Entry("a member the pool lacks", `pool dir-pool.contoso.local has no member "dir09"`, "--role", "director", "--member", "dir09"),
		Entry("a wire profile serve lacks (serve's own check)", `--profile: wireprofile: unknown profile "iis6"`, "--role", "director", "--profile", "iis6"),
		Entry("a journal size serve cannot read (serve's own check)", `--journal-max-size "lots"`, "--role", "director", "--journal-max-size", "lots"),
		Entry("a heap floor serve cannot read (serve's own check)", `--gc-heap-floor "lots": a size such as 64MiB`, "--role", "director", "--gc-heap-floor", "lots"),
		Entry("a topology file that is not there", "no-such-site.yaml", "--role", "director", "--config", "no-such-site.yaml"),
		Entry("a site certificate that is not there", "nope.crt: no such file or directory (the service reads it on every start: give a path that stays)", "--role", "director", "--cert", "nope.crt"),
		Entry("a password on the command line", "--cert-password would be written into the service's command line", "--role", "director", "--cert-password", "hunter2"),
		Entry("an admin token on the command line", "use --admin-token-file FILE", "--role", "director", "--admin", "127.0.0.1:9180", "--admin-token", "t0ken"),
		Entry("an unknown flag", "unknown flag: --colour", "--role", "director", "--colour"),
	)

	It("refuses a secret only this shell's environment holds", func() {
		cmd := exec.Command(binPath, "service", "install", "--role", "director", "--admin", "127.0.0.1:9180")
		cmd.Env = append(os.Environ(), "MOCKDIRECTOR_ADMIN_TOKEN=t0ken")
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 30*time.Second).Should(gexec.Exit(2))
		Expect(s.Err).To(gbytes.Say(`MOCKDIRECTOR_ADMIN_TOKEN is set here, but the service will not have this shell's environment: pass --admin-token-file FILE`))
	})

	It("takes every flag serve takes, and lists them in its help", func() {
		serve := runMD("serve", "--help")
		install := runMD("service", "install", "--help")
		Expect(serve.ExitCode()).To(Equal(0))
		Expect(install.ExitCode()).To(Equal(0))
		flags := regexp.MustCompile(`(?m)^\s+(?:-\w, )?(--[a-z0-9-]+)`).FindAllStringSubmatch(string(serve.Out.Contents()), -1)
		Expect(len(flags)).To(BeNumerically(">", 20))
		for _, f := range flags {
			if f[1] == "--help" {
				continue
			}
			Expect(string(install.Out.Contents())).To(ContainSubstring(f[1]+" "), "service install --help lacks serve's %s", f[1])
		}
		Expect(string(install.Out.Contents())).To(ContainSubstring("--force"))
	})
})

var _ = Describe("mockdirector service on a host without systemd", Label("service"), func() {
	BeforeEach(func() {
		if fi, err := os.Stat("/run/systemd/system"); err == nil && fi.IsDir() {
			Skip("systemd runs here: the message for a host without it cannot show")
		}
	})
	It("fails every manager command clearly, naming PID 1 and what to do instead", func() {
		pid1, err := os.ReadFile("/proc/1/comm")
		Expect(err).NotTo(HaveOccurred())
		want := "systemd is not running (PID 1 is " + strings.TrimSpace(string(pid1))
		for _, args := range [][]string{
			{"install", "--role", "director"}, {"start", "--role", "director"}, {"stop", "--role", "director"},
			{"uninstall", "--role", "director"}, {"status"},
		} {
			s := runMD(append([]string{"service"}, args...)...)
			Expect(s.ExitCode()).To(Equal(2), "service %v", args)
			Expect(string(s.Err.Contents())).To(ContainSubstring(want), "service %v", args)
			Expect(string(s.Err.Contents())).To(ContainSubstring("run mockdirector serve directly"), "service %v", args)
		}
		_, err = os.Stat("/etc/systemd/system/mockdirector-director-dir01.service")
		Expect(os.IsNotExist(err)).To(BeTrue(), "install wrote a unit on a host without systemd")
	})
})

// fakeSystemctl stands in for systemctl inside the specs' mount namespace (systemd is not
// PID 1 on the machines that run these specs, and a real systemctl then refuses every call):
// it records each call, keeps each unit's active state in a file, and answers is-active and
// list-unit-files the way systemctl does. What is checked against it is the file kardianos
// wrote and the calls it made; that systemd accepts the file is checked by systemd-analyze.
const fakeSystemctl = `#!/bin/sh
echo "$*" >> "$FAKE_SYSTEMCTL/calls"
case "$1" in
is-active)
  st=$(cat "$FAKE_SYSTEMCTL/state-$2" 2>/dev/null || echo inactive); echo "$st"
  [ "$st" = active ] || exit 3 ;;
list-unit-files) [ -f "/etc/systemd/system/$4" ] && echo "$4 enabled enabled" ;;
start) echo active > "$FAKE_SYSTEMCTL/state-$2" ;;
stop) echo inactive > "$FAKE_SYSTEMCTL/state-$2" ;;
--version) echo "systemd 252 (252.38-1~deb12u1)" ;;
esac
exit 0
`

// serviceSteps runs the mockdirector commands of steps, in order, in one new mount namespace
// whose /etc/systemd/system, /run/systemd and /var/lib are empty tmpfs (so install writes
// where it would on a real host, and nothing of the host changes), with systemd marked as
// booted (/run/systemd/system) and fakeSystemctl first on PATH. Each step's output and exit
// code land in dir/NAME.out and dir/NAME.rc, the unit directory after it in dir/NAME.units;
// the data directory is copied to dir/var-lib at the end.
func serviceSteps(dir string, steps [][]string) {
	fake := filepath.Join(dir, "fake")
	Expect(os.MkdirAll(fake, 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(fake, "systemctl"), []byte(fakeSystemctl), 0o755)).To(Succeed())
	var sh strings.Builder
	sh.WriteString("set -u\nmount -t tmpfs tmpfs /etc/systemd/system && mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && mount -t tmpfs tmpfs /var/lib || exit 99\n")
	for _, st := range steps {
		if name, ok := strings.CutPrefix(st[0], "!"); ok { // a shell line between the commands
			sh.WriteString(st[1] + "\n")
			sh.WriteString("cp -r /etc/systemd/system " + shQuote(filepath.Join(dir, name+".units")) + "\n")
			continue
		}
		sh.WriteString(shQuote(binPath))
		for _, a := range st[1:] {
			sh.WriteString(" " + shQuote(a))
		}
		sh.WriteString(" >" + shQuote(filepath.Join(dir, st[0]+".out")) + " 2>&1; echo $? >" + shQuote(filepath.Join(dir, st[0]+".rc")) + "\n")
		sh.WriteString("cp -r /etc/systemd/system " + shQuote(filepath.Join(dir, st[0]+".units")) + "\n")
	}
	sh.WriteString("cp -r /var/lib " + shQuote(filepath.Join(dir, "var-lib")) + "\n")
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", sh.String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+fake+":"+os.Getenv("PATH"), "FAKE_SYSTEMCTL="+fake)
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "the mount namespace: %s", out)
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// step is one step's output and exit code.
func step(dir, name string) (string, int) {
	out, err := os.ReadFile(filepath.Join(dir, name+".out"))
	Expect(err).NotTo(HaveOccurred())
	rc, err := os.ReadFile(filepath.Join(dir, name+".rc"))
	Expect(err).NotTo(HaveOccurred())
	code, err := strconv.Atoi(strings.TrimSpace(string(rc)))
	Expect(err).NotTo(HaveOccurred())
	return string(out), code
}

var _ = Describe("mockdirector service as a systemd unit", Ordered, Label("service", "netns"), func() {
	var dir string
	BeforeAll(func() {
		if !isRoot() {
			Skip("a mount namespace needs root")
		}
		if _, err := exec.LookPath("unshare"); err != nil {
			Fail("unshare (util-linux) is missing")
		}
		dir = GinkgoT().TempDir()
		site, err := os.ReadFile("../../topology/default.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "site.yaml"), site, 0o644)).To(Succeed())
		odd := filepath.Join(dir, "x y", `50%$HOME\j.jsonl`) // a space, a specifier, a variable, a backslash
		// A copy of the binary that an unprivileged user may run.
		pub, err := os.MkdirTemp("", "md-service-pub-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, pub)
		Expect(os.Chmod(pub, 0o755)).To(Succeed())
		bin, err := os.ReadFile(binPath)
		Expect(err).NotTo(HaveOccurred())
		pubBin := filepath.Join(pub, "mockdirector")
		Expect(os.WriteFile(pubBin, bin, 0o755)).To(Succeed())
		nonRoot := "cd / && setpriv --reuid=65534 --regid=65534 --clear-groups " + shQuote(pubBin) + " service install --role director >" +
			shQuote(filepath.Join(dir, "nonroot.out")) + " 2>&1; echo $? >" + shQuote(filepath.Join(dir, "nonroot.rc")) + "; cd " + shQuote(dir)
		serviceSteps(dir, [][]string{
			{"!nonroot", nonRoot},
			{"install", "service", "install", "--role", "director", "--config", "site.yaml", "--bind", "127.0.86.1", "--port-offset", "14000", "--journal", odd, "--no-guards", "--user", "mdsvc", "-v"},
			{"again", "service", "install", "--role", "director", "--config", "site.yaml"},
			{"second", "service", "install", "--role", "director", "--member", "dir02", "--bind", "127.0.86.2"},
			{"ambiguous", "service", "start", "--role", "director"},
			{"start", "service", "start", "--role", "director", "--member", "dir01"},
			{"status-running", "service", "status"},
			{"!fail-dir02", `echo failed >"$FAKE_SYSTEMCTL/state-mockdirector-director-dir02.service"`},
			{"status-failed", "service", "status", "--role", "director", "--member", "dir02"},
			{"stop-failed", "service", "stop", "--role", "director", "--member", "dir02"},
			{"force", "service", "install", "--role", "director", "--member", "dir01.contoso.local", "--force"},
			{"status-after-force", "service", "status", "--role", "director", "--member", "dir01"},
			{"uninstall", "service", "uninstall", "--role", "director", "--member", "dir01"},
			{"uninstall-second", "service", "uninstall", "--role", "director", "--member", "dir02"},
			{"status-none", "service", "status"},
			{"status-missing", "service", "status", "--role", "director", "--member", "dir09"},
			{"uninstall-none", "service", "uninstall", "--role", "director"},
		})
	})

	It("installs a unit kardianos wrote from the flags as given: ExecStart quoted for systemd, the data directory, User=, Restart=", func() {
		out, rc := step(dir, "install")
		Expect(rc).To(Equal(0), out)
		Expect(out).To(ContainSubstring("installed mockdirector-director-dir01 (/etc/systemd/system/mockdirector-director-dir01.service), not started"))
		Expect(out).To(ContainSubstring("journalctl -u mockdirector-director-dir01 -f"))
		Expect(out).To(ContainSubstring("trust: /var/lib/mockdirector/certs/ca.crt"))
		unit, err := os.ReadFile(filepath.Join(dir, "install.units", "mockdirector-director-dir01.service"))
		Expect(err).NotTo(HaveOccurred(), "install: %s", out)
		u := string(unit)
		// The arguments: service run, --role and the member resolved first, then serve's flags
		// in name order, relative paths made absolute, the default --certs in the data
		// directory (--member and --certs are set by install, so they sort in too), the odd journal path escaped so that systemd gives it back as written.
		Expect(u).To(ContainSubstring("\nExecStart=" + binPath + ` "service" "run" "--role=director" "--member=dir01.contoso.local"` +
			` "--bind=127.0.86.1" "--certs=/var/lib/mockdirector/certs" "--config=` + filepath.Join(dir, "site.yaml") + `"` +
			` "--journal=` + filepath.Join(dir, "x y") + `/50%%$$HOME\\j.jsonl"` +
			` "--no-guards=true" "--port-offset=14000" "--verbose=true"` + "\n"))
		for _, line := range []string{
			"WorkingDirectory=/var/lib/mockdirector", "StateDirectory=mockdirector", "StateDirectoryMode=0750",
			"User=mdsvc", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
			"Restart=on-failure", "RestartSec=30", "StartLimitIntervalSec=0",
			"After=network-online.target", "Wants=network-online.target", "WantedBy=multi-user.target",
			"ConditionFileIsExecutable=" + binPath,
		} {
			Expect(u).To(MatchRegexp(`(?m)^`+regexp.QuoteMeta(line)+`$`), "the unit lacks %s:\n%s", line, u)
		}
		Expect(u).NotTo(ContainSubstring("EnvironmentFile"))
		_, err = os.Stat(filepath.Join(dir, "var-lib", "mockdirector"))
		Expect(err).NotTo(HaveOccurred(), "install made no data directory")
	})

	It("writes a unit systemd's own parser takes without a warning", func() {
		if _, err := exec.LookPath("systemd-analyze"); err != nil {
			Skip("systemd-analyze is missing")
		}
		v := filepath.Join(dir, "verify")
		Expect(os.MkdirAll(v, 0o755)).To(Succeed())
		unit, err := os.ReadFile(filepath.Join(dir, "install.units", "mockdirector-director-dir01.service"))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(v, "mockdirector-director-dir01.service"), unit, 0o644)).To(Succeed())
		// The same file with the escapes undone: systemd warns, so the check can fail.
		bad := strings.Replace(string(unit), `50%%$$HOME\\j`, `50%$HOME\j`, 1)
		Expect(os.WriteFile(filepath.Join(v, "mockdirector-bad.service"), []byte(bad), 0o644)).To(Succeed())
		good, _ := exec.Command("systemd-analyze", "verify", filepath.Join(v, "mockdirector-director-dir01.service")).CombinedOutput()
		Expect(strings.TrimSpace(string(good))).To(BeEmpty())
		warned, _ := exec.Command("systemd-analyze", "verify", filepath.Join(v, "mockdirector-bad.service")).CombinedOutput()
		Expect(string(warned)).To(ContainSubstring("Ignoring unknown escape sequences"))
	})

	It("tells a user who is not root to use sudo, after checking the flags and before touching anything", func() {
		out, rc := step(dir, "nonroot")
		Expect(rc).To(Equal(2), out)
		Expect(out).To(ContainSubstring("service install needs root: run it with sudo (sudo mockdirector service ...)"))
		units, err := os.ReadDir(filepath.Join(dir, "nonroot.units"))
		Expect(err).NotTo(HaveOccurred())
		Expect(units).To(BeEmpty(), "a refused install wrote a unit")
	})

	It("made the systemctl calls kardianos makes, and refused to install over a unit without --force", func() {
		out, rc := step(dir, "again")
		Expect(rc).To(Equal(2), out)
		Expect(out).To(ContainSubstring("service mockdirector-director-dir01 is already installed (/etc/systemd/system/mockdirector-director-dir01.service, stopped): --force replaces it"))
		calls, err := os.ReadFile(filepath.Join(dir, "fake", "calls"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(calls)).To(ContainSubstring("enable mockdirector-director-dir01.service\ndaemon-reload\n"))
		Expect(string(calls)).To(ContainSubstring("start mockdirector-director-dir01.service\n"))
		// --force: stop the running unit, disable and remove it, then install again.
		Expect(string(calls)).To(MatchRegexp(`stop mockdirector-director-dir01.service\n(.*\n)*disable mockdirector-director-dir01.service\ndaemon-reload\n(.*\n)*enable mockdirector-director-dir01.service\ndaemon-reload\n`))
	})

	It("keeps two members of a role apart and asks which one when --member is missing", func() {
		out, rc := step(dir, "second")
		Expect(rc).To(Equal(0), out)
		Expect(out).To(ContainSubstring("installed mockdirector-director-dir02"))
		out, rc = step(dir, "ambiguous")
		Expect(rc).To(Equal(2), out)
		Expect(out).To(ContainSubstring("role director has 2 services on this host (mockdirector-director-dir01, mockdirector-director-dir02): --member names one"))
	})

	It("prints running, stopped and not installed per service, and exits 1 unless all run", func() {
		out, rc := step(dir, "status-running")
		Expect(rc).To(Equal(1), out)
		Expect(out).To(MatchRegexp(`mockdirector-director-dir01\s+running\s+journalctl -u mockdirector-director-dir01 -f`))
		Expect(out).To(MatchRegexp(`mockdirector-director-dir02\s+stopped`))
		out, rc = step(dir, "status-failed")
		Expect(rc).To(Equal(1), out)
		Expect(out).To(MatchRegexp(`mockdirector-director-dir02\s+failed`))
		Expect(out).To(ContainSubstring("note: mockdirector-director-dir02 failed: its last run ended in an error; why: journalctl -u mockdirector-director-dir02 -f"))
		out, rc = step(dir, "stop-failed")
		Expect(rc).To(Equal(0), out)
		Expect(out).To(ContainSubstring("mockdirector-director-dir02 is not running"))
		out, rc = step(dir, "force")
		Expect(rc).To(Equal(0), out)
		out, rc = step(dir, "status-after-force")
		Expect(rc).To(Equal(1), out)
		Expect(out).To(MatchRegexp(`mockdirector-director-dir01\s+stopped`), "--force stops the unit it replaces")
		out, rc = step(dir, "status-none")
		Expect(rc).To(Equal(1), out)
		Expect(out).To(ContainSubstring("no mockdirector service is installed"))
		out, rc = step(dir, "status-missing")
		Expect(rc).To(Equal(1), out)
		Expect(out).To(MatchRegexp(`mockdirector-director-dir09\s+not installed`))
	})

	It("uninstalls (stopping first; a failed unit too) and leaves the data; a second uninstall says nothing is installed", func() {
		out, rc := step(dir, "uninstall")
		Expect(rc).To(Equal(0), out)
		Expect(out).To(ContainSubstring("uninstalled mockdirector-director-dir01"))
		out, rc = step(dir, "uninstall-second")
		Expect(rc).To(Equal(0), out)
		_, err := os.Stat(filepath.Join(dir, "uninstall.units", "mockdirector-director-dir01.service"))
		Expect(os.IsNotExist(err)).To(BeTrue())
		_, err = os.Stat(filepath.Join(dir, "uninstall.units", "mockdirector-director-dir02.service"))
		Expect(err).NotTo(HaveOccurred(), "uninstalling dir01 removed dir02")
		_, err = os.Stat(filepath.Join(dir, "var-lib", "mockdirector"))
		Expect(err).NotTo(HaveOccurred())
		out, rc = step(dir, "uninstall-none")
		Expect(rc).NotTo(Equal(0), out)
		Expect(out).To(ContainSubstring("no mockdirector service of role director is installed"))
	})
})

var _ = Describe("mockdirector service run, as the service manager starts it", Label("service", "process"), func() {
	// runService starts `service run` as systemd would (a plain child here), with systemd's
	// $STATE_DIRECTORY a temporary directory, and waits for ready.
	runService := func(state, bind string, extra ...string) *gexec.Session {
		args := append([]string{"service", "run", "--role", "director", "--bind", bind, "--port-offset", strconv.Itoa(serviceOffset)}, extra...)
		cmd := exec.Command(binPath, args...)
		cmd.Env = append(os.Environ(), "STATE_DIRECTORY="+state)
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { s.Kill().Wait(5 * time.Second) })
		return s
	}

	It("serves from its data directory, journals, and on SIGTERM stops cleanly with the journal intact", func() {
		leaseAddr("127.0.86.5") // the ports are table + serviceOffset: a second run of the suite waits
		state := GinkgoT().TempDir()
		s := runService(state, "127.0.86.5", "--no-guards")
		Eventually(s.Out, 20*time.Second).Should(gbytes.Say("ready"), "service run did not get ready: %s", s.Err.Contents())
		jpath := filepath.Join(state, "mockdirector-director-dir01.jsonl")
		Expect(string(s.Out.Contents())).To(ContainSubstring("journal " + jpath))

		cl := &http.Client{Timeout: 10 * time.Second}
		for i := range 3 {
			res, err := cl.Get("http://" + net.JoinHostPort("127.0.86.5", strconv.Itoa(8080+serviceOffset)) + "/.well-known/mockdirector?n=" + strconv.Itoa(i))
			Expect(err).NotTo(HaveOccurred())
			res.Body.Close()
			Expect(res.StatusCode).To(Equal(http.StatusOK))
		}
		Expect(s.Command.Process.Signal(syscall.SIGTERM)).To(Succeed())
		Eventually(s, 30*time.Second).Should(gexec.Exit(0), "stderr: %s", s.Err.Contents())
		Expect(s.Out).To(gbytes.Say("stopped; journal " + regexp.QuoteMeta(jpath) + " synced"))

		evs, err := journal.ReadFile(jpath)
		Expect(err).NotTo(HaveOccurred(), "the journal does not read back whole")
		n := 0
		for _, e := range evs {
			if e.Listener == "http-8080" && e.HTTP != nil && strings.Contains(e.HTTP.Path, "/.well-known/mockdirector") {
				n++
			}
		}
		Expect(n).To(Equal(3), "journal: %v", evs)
		_, err = os.Stat(filepath.Join(state, "certs", "ca.crt"))
		Expect(err).NotTo(HaveOccurred(), "the CA was not made in the data directory")
	})

	It("exits with serve's code, instead of hanging as active, when serve cannot start", func() {
		leaseAddr("127.0.86.6")
		hold, err := net.Listen("tcp", net.JoinHostPort("127.0.86.6", strconv.Itoa(443+serviceOffset)))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(hold.Close)
		s := runService(GinkgoT().TempDir(), "127.0.86.6", "--no-guards")
		Eventually(s, 30*time.Second).Should(gexec.Exit(2))
		Expect(s.Err).To(gbytes.Say("cannot bind 127.0.86.6:" + strconv.Itoa(443+serviceOffset)))
	})
})
