package certs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

// md runs the mockdirector binary and waits for it to exit.
func md(args ...string) *gexec.Session {
	s, err := gexec.Start(exec.Command(mdBin, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	Eventually(s, 60*time.Second).Should(gexec.Exit())
	return s
}

// serveEphemeral starts `mockdirector serve ARGS` on ports the kernel picks (--ephemeral-ports),
// waits until it is ready and returns it with where it bound each table port, read from its
// --ports-file (in dir): "ROLE/PORT" (TCP) or "ROLE/udp/PORT" -> HOST:PORT. Runs of the suite
// on one host never collide. The process is interrupted when the spec ends.
func serveEphemeral(dir string, args ...string) (*gexec.Session, map[string]string) {
	portsFile := filepath.Join(dir, "ports")
	srv, err := gexec.Start(exec.Command(mdBin, append(args, "--ephemeral-ports", "--ports-file", portsFile)...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { srv.Interrupt(); Eventually(srv, 15*time.Second).Should(gexec.Exit()) })
	Eventually(srv.Out, 15*time.Second).Should(gbytes.Say("ready"), "serve did not get ready: %s", srv.Err.Contents())
	data, err := os.ReadFile(portsFile)
	Expect(err).NotTo(HaveOccurred())
	ports := map[string]string{}
	for _, line := range strings.Fields(string(data)) {
		key, addr, ok := strings.Cut(line, "=")
		Expect(ok).To(BeTrue(), "a --ports-file line is ROLE/PORT=HOST:PORT: %q", line)
		ports[key] = addr
	}
	return srv, ports
}

func mode(path string) os.FileMode {
	st, err := os.Stat(path)
	Expect(err).NotTo(HaveOccurred())
	return st.Mode().Perm()
}

var _ = Describe("the certs command group", func() {
	var dir string
	BeforeEach(func() { dir = testdir.New() })

	It("init, issue, export and faults write 0600 keys and overwrite nothing without --force", func() {
		c := filepath.Join(dir, "c")
		Expect(md("certs", "init", "--dir", c, "--intermediate", "--key", "rsa2048", "--validity", "90d")).To(gexec.Exit(0))
		Expect(mode(filepath.Join(c, "intermediate.key"))).To(Equal(os.FileMode(0o600)))
		Expect(mode(filepath.Join(c, "dir01.contoso.local.key"))).To(Equal(os.FileMode(0o600)))
		before, err := os.ReadFile(filepath.Join(c, "ca.crt"))
		Expect(err).NotTo(HaveOccurred())
		s := md("certs", "init", "--dir", c)
		Expect(s).To(gexec.Exit(2))
		Expect(s.Err).To(gbytes.Say("refusing to overwrite"))
		after, _ := os.ReadFile(filepath.Join(c, "ca.crt"))
		Expect(after).To(Equal(before))
		Expect(md("certs", "init", "--dir", c, "--key", "bogus")).To(gexec.Exit(2))
		Expect(md("certs", "init", "--dir", c, "--validity", "soon")).To(gexec.Exit(2))

		By("issue: an extra name from the same intermediate")
		Expect(md("certs", "issue", "--dir", c, "--cn", "rp.contoso.com", "--san", "192.0.2.10")).To(gexec.Exit(0))
		Expect(mode(filepath.Join(c, "rp.contoso.com.key"))).To(Equal(os.FileMode(0o600)))
		s = md("certs", "issue", "--dir", c, "--cn", "rp.contoso.com")
		Expect(s).To(gexec.Exit(2))
		Expect(s.Err).To(gbytes.Say("refusing to overwrite"))
		Expect(md("certs", "issue", "fe03", "--dir", c, "--role", "frontend", "--member", "fe02")).To(gexec.Exit(0))
		s = md("certs", "inspect", filepath.Join(c, "fe03.crt"), "--role", "frontend", "--member", "fe02", "--ca", filepath.Join(c, "ca.crt"))
		Expect(s).To(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say("lint: no findings"))
		s = md("certs", "inspect", filepath.Join(c, "rp.contoso.com.crt"), "--role", "director", "--ca", filepath.Join(c, "ca.crt"))
		Expect(s).To(gexec.Exit(1))
		Expect(s.Out).To(gbytes.Say("SUBJECT_NOT_POOL"))

		By("export: PFX read back by openssl")
		pw := filepath.Join(dir, "pw")
		Expect(os.WriteFile(pw, []byte("s3cret\n"), 0o600)).To(Succeed())
		out := filepath.Join(dir, "out")
		Expect(md("certs", "export", "--dir", c, "--name", "edge01-int.contoso.local", "--password-file", pw, "--out", out)).To(gexec.Exit(0))
		pfx := filepath.Join(out, "edge01-int.contoso.local.pfx")
		Expect(mode(pfx)).To(Equal(os.FileMode(0o600)))
		o, err := exec.Command("openssl", "pkcs12", "-info", "-in", pfx, "-passin", "file:"+pw, "-noout").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", o)
		s = md("certs", "export", "--dir", c, "--name", "edge01-int.contoso.local", "--password-file", pw, "--out", out)
		Expect(s).To(gexec.Exit(2))
		Expect(s.Err).To(gbytes.Say("refusing to overwrite"))

		By("inspect: a wrong PFX password names the file")
		s = md("certs", "inspect", pfx, "--cert-password", "nope")
		Expect(s).To(gexec.Exit(2))
		Expect(s.Err).To(gbytes.Say(`edge01-int.contoso.local.pfx: wrong PFX password`))

		By("faults: the documented set, not overwritten")
		f := filepath.Join(dir, "f")
		s = md("certs", "faults", "--dir", f)
		Expect(s).To(gexec.Exit(0))
		for _, name := range []string{"good", "expired", "not-yet-valid", "wrong-san", "no-client-auth", "untrusted-ca", "self-signed", "rsa1024", "sha1", "missing-intermediate"} {
			Expect(mode(filepath.Join(f, name+".key"))).To(Equal(os.FileMode(0o600)), name)
			Expect(string(s.Out.Contents())).To(ContainSubstring(name))
		}
		Expect(md("certs", "faults", "--dir", f)).To(gexec.Exit(2))
	})

	It("serves a PFX with serve --cert --cert-password, and inspect HOST:PORT lints what it serves", func() {
		c := filepath.Join(dir, "c")
		Expect(md("certs", "init", "--dir", c, "--intermediate")).To(gexec.Exit(0))
		pw := filepath.Join(dir, "pw")
		Expect(os.WriteFile(pw, []byte("s3cret"), 0o600)).To(Succeed())
		Expect(md("certs", "export", "--dir", c, "--name", "dir01.contoso.local", "--password-file", pw, "--include-root")).To(gexec.Exit(0))
		pfx := filepath.Join(c, "dir01.contoso.local.pfx")

		// This suite's block is 127.0.40.0/24, on ports the kernel picks.
		serveArgs := []string{"serve", "--role", "director", "--bind", "127.0.40.5",
			"--journal", filepath.Join(dir, "j.jsonl"), "--cert", pfx}
		bad := md(append(serveArgs, "--ephemeral-ports", "--cert-password", "wrong")...)
		Expect(bad).To(gexec.Exit(2))
		Expect(bad.Err).To(gbytes.Say(`dir01.contoso.local.pfx: wrong PFX password`))

		_, ports := serveEphemeral(dir, append(serveArgs, "--cert-password", "s3cret")...)
		sip := ports["director/5061"]
		Expect(sip).To(HavePrefix("127.0.40.5:"))

		s := md("certs", "inspect", sip, "--role", "director", "--member", "dir01", "--ca", filepath.Join(c, "ca.crt"),
			// 5061 takes only a known Edge server's certificate (the probe's names none).
			"--client-cert", filepath.Join(c, "edge01-int.contoso.local.crt"), "--client-key", filepath.Join(c, "edge01-int.contoso.local.key"))
		Expect(s).To(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say(`2 certificate\(s\), TLS 1.2`), "the default wire profile is Windows Server 2012 R2's: no TLS 1.3")
		Expect(s.Out).To(gbytes.Say("lint: no findings"))
		s = md("certs", "inspect", sip, "--role", "edge-internal", "--ca", filepath.Join(c, "ca.crt"))
		Expect(s).To(gexec.Exit(1), "the Director's certificate is not the Edge's")
		Expect(s.Out).To(gbytes.Say("SUBJECT_NOT_POOL"))
	})
})
