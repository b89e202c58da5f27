package main_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

var _ = Describe("mockdirector serve errors a person can act on", Label("errors", "process"), func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("names the busy port, the role and the listener, and suggests --port-offset or --bind", func() {
		// The port number is the point: the address is leased, so 17443 (4443 + 13000, below
		// the ephemeral range) is this spec's to hold busy.
		leaseAddr("127.0.10.50")
		busy, err := net.Listen("tcp", "127.0.10.50:17443")
		Expect(err).NotTo(HaveOccurred())
		defer busy.Close()
		s := runMD("serve", "--role", "director", "--bind", "127.0.10.50", "--port-offset", "13000",
			"--journal", filepath.Join(dir, "j.jsonl"), "--certs", filepath.Join(dir, "certs"))
		Expect(s.ExitCode()).NotTo(BeZero())
		Expect(s.Err).To(gbytes.Say(`director listener https-4443 cannot bind 127\.0\.10\.50:17443`))
		Expect(string(s.Err.Contents())).To(SatisfyAll(
			ContainSubstring("port 17443"), ContainSubstring("--port-offset"), ContainSubstring("--bind")))
		// Bound all or none: the listeners before 4443 (8080 comes first in the table) were let go.
		l, err := net.Listen("tcp", "127.0.10.50:21080")
		Expect(err).NotTo(HaveOccurred())
		l.Close()
	})

	It("says a privileged port was refused and suggests --port-offset (run as nobody)", func() {
		if !isRoot() {
			Skip("needs root to start the binary as another user")
		}
		// nobody must be able to run the binary and write its certificates and journal.
		home, err := os.MkdirTemp("", "md-nobody-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, home)
		Expect(os.Chmod(home, 0o777)).To(Succeed())
		bin := filepath.Join(home, "mockdirector")
		data, err := os.ReadFile(binPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(bin, data, 0o755)).To(Succeed())

		cmd := exec.Command(bin, "serve", "--role", "director", "--bind", "127.0.10.51",
			"--journal", filepath.Join(home, "j.jsonl"), "--certs", filepath.Join(home, "certs"))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 30*time.Second).Should(gexec.Exit())
		Expect(s.ExitCode()).NotTo(BeZero())
		Expect(string(s.Err.Contents())).To(SatisfyAll(
			ContainSubstring("director listener http-80 cannot bind 127.0.10.51:80"),
			ContainSubstring("port 80 is privileged"),
			ContainSubstring("--port-offset"),
		))
	})

	It("names the file, line and unknown field of a bad topology", func() {
		topo := filepath.Join(dir, "site.yaml")
		Expect(os.WriteFile(topo, []byte("domain: contoso.com\npools:\n  director:\n    fqdn: dir-pool.contoso.local\n    members:\n      - name: dir01.contoso.local\n        adress: 127.0.10.52\n"), 0o644)).To(Succeed())
		s := runMD("serve", "--role", "director", "--config", topo, "--journal", filepath.Join(dir, "j.jsonl"), "--certs", filepath.Join(dir, "certs"))
		Expect(s).To(gexec.Exit(2))
		Expect(s.Err).To(gbytes.Say(topo + `:7:\d+: .*unknown field "adress"`))
	})

	It("names the file and line of a wrong type in the topology", func() {
		topo := filepath.Join(dir, "site.yaml")
		Expect(os.WriteFile(topo, []byte("pools:\n  director:\n    fqdn: dir-pool.contoso.local\n    members:\n      - name: dir01.contoso.local\n        address: [127.0.10.52]\n"), 0o644)).To(Succeed())
		s := runMD("serve", "--role", "director", "--config", topo, "--journal", filepath.Join(dir, "j.jsonl"), "--certs", filepath.Join(dir, "certs"))
		Expect(s).To(gexec.Exit(2))
		// go-yaml names the wrong Go field here (Topology.Pools), so only file:line is asserted.
		Expect(s.Err).To(gbytes.Say(topo + `:6:\d+: cannot unmarshal`))
	})

	It("names a missing certificate file and the command that makes one", func() {
		crt := filepath.Join(dir, "site.crt")
		s := runMD("serve", "--role", "edge-internal", "--bind", "127.0.10.53", "--ephemeral-ports",
			"--cert", crt, "--key-file", filepath.Join(dir, "site.key"), "--ca", filepath.Join(dir, "ca.crt"),
			"--journal", filepath.Join(dir, "j.jsonl"))
		Expect(s.ExitCode()).NotTo(BeZero())
		Expect(string(s.Err.Contents())).To(SatisfyAll(ContainSubstring(crt), ContainSubstring("mockdirector certs init")))
	})

	It("names a journal directory that does not exist, and writes nothing", func() {
		missing := filepath.Join(dir, "no-such-dir")
		s := runMD("serve", "--role", "director", "--bind", "127.0.10.53", "--ephemeral-ports",
			"--journal", filepath.Join(missing, "j.jsonl"), "--certs", filepath.Join(dir, "certs"), "--admin", "127.0.10.53:0")
		Expect(s).To(gexec.Exit(2))
		Expect(string(s.Err.Contents())).To(SatisfyAll(ContainSubstring("the directory "+missing+" does not exist"), ContainSubstring("mkdir "+missing)))
		Expect(missing).NotTo(BeAnExistingFile(), "a mistyped directory is not made")
		Expect(filepath.Join(dir, "certs")).NotTo(BeAnExistingFile(), "no certificates generated")
	})

	It("rejects a role serve cannot stand in for", func() {
		s := runMD("serve", "--role", "edge-external")
		Expect(s).To(gexec.Exit(2))
		Expect(s.Err).To(gbytes.Say(`director, frontend, edge-internal`))
	})
})

var _ = Describe("mockdirector certs init", Label("certs", "process"), func() {
	It("writes keys 0600 and certificates 0644, and overwrites nothing without --force", func() {
		dir := filepath.Join(GinkgoT().TempDir(), "certs")
		s := runMD("certs", "init", "--dir", dir)
		Expect(s).To(gexec.Exit(0))
		keys, err := filepath.Glob(filepath.Join(dir, "*.key"))
		Expect(err).NotTo(HaveOccurred())
		Expect(keys).To(ContainElements(filepath.Join(dir, "ca.key"), filepath.Join(dir, "dir01.contoso.local.key"), filepath.Join(dir, "probe.key")))
		for _, k := range keys {
			st, err := os.Stat(k)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)), k)
		}
		crts, err := filepath.Glob(filepath.Join(dir, "*.crt"))
		Expect(err).NotTo(HaveOccurred())
		Expect(crts).NotTo(BeEmpty())
		for _, c := range crts {
			st, err := os.Stat(c)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o644)), c)
		}

		before, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
		Expect(err).NotTo(HaveOccurred())
		s = runMD("certs", "init", "--dir", dir)
		Expect(s.ExitCode()).NotTo(BeZero())
		Expect(string(s.Err.Contents())).To(SatisfyAll(ContainSubstring("refusing to overwrite"), ContainSubstring("--force")))
		after, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
		Expect(err).NotTo(HaveOccurred())
		Expect(after).To(Equal(before))

		s = runMD("certs", "init", "--dir", dir, "--force")
		Expect(s).To(gexec.Exit(0))
		after, err = os.ReadFile(filepath.Join(dir, "ca.crt"))
		Expect(err).NotTo(HaveOccurred())
		Expect(after).NotTo(Equal(before))
	})
})
