package main_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

var _ = Describe("serve --admin tokens", Label("admin", "process"), func() {
	const bind = "127.0.10.59"

	// adminURL is the page address serve printed.
	adminURL := func(m *mdServe) string {
		Eventually(m.session.Out, 10*time.Second).Should(gbytes.Say("live matrix"))
		got := regexp.MustCompile(`live matrix (http://[0-9.:]+/)`).FindStringSubmatch(string(m.session.Out.Contents()))
		Expect(got).To(HaveLen(2))
		return got[1]
	}
	status := func(url, token string) int {
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		res.Body.Close()
		return res.StatusCode
	}

	It("reads the token from --admin-token-file and never prints it", func() {
		file := filepath.Join(GinkgoT().TempDir(), "token")
		Expect(os.WriteFile(file, []byte("from-the-file\n"), 0o600)).To(Succeed())
		m := startServe("director", bind, "--admin", bind+":0", "--admin-token-file", file)
		base := adminURL(m)
		Expect(status(base+"api/matrix", "")).To(Equal(401))
		Expect(status(base+"api/matrix", "from-the-file")).To(Equal(200))
		Expect(string(m.session.Out.Contents())).NotTo(ContainSubstring("from-the-file"))
		Expect(string(m.session.Out.Contents())).To(ContainSubstring("the token is in " + file))
		Expect(filepath.Join(m.dir, "mockdirector-admin.token")).NotTo(BeAnExistingFile(), "no token made when one is given")
	})

	It("reads the token from the environment", func() {
		dir := GinkgoT().TempDir()
		cmd := exec.Command(binPath, "serve", "--role", "director", "--bind", bind, "--ephemeral-ports",
			"--journal", filepath.Join(dir, "j.jsonl"), "--certs", filepath.Join(dir, "certs"), "--admin", bind+":0")
		cmd.Env = append(os.Environ(), "MOCKDIRECTOR_ADMIN_TOKEN=from-the-env")
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { s.Kill().Wait(5 * time.Second) })
		m := &mdServe{session: s, dir: dir}
		base := adminURL(m)
		Expect(status(base+"healthz", "")).To(Equal(401))
		Expect(status(base+"healthz", "from-the-env")).To(Equal(200))
	})

	It("refuses a made token file other users can read", func() {
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "mockdirector-admin.token"), []byte("leaked\n"), 0o644)).To(Succeed())
		s := runMD("serve", "--role", "director", "--bind", bind, "--journal", filepath.Join(dir, "j.jsonl"), "--admin", bind+":0")
		Expect(s.ExitCode()).To(Equal(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring("can be read by other users (mode 0644): chmod 600"))
	})

	It("refuses --admin-token with --admin-token-file, and an empty token file", func() {
		dir := GinkgoT().TempDir()
		file := filepath.Join(dir, "token")
		Expect(os.WriteFile(file, []byte("\n"), 0o600)).To(Succeed())
		s := runMD("serve", "--role", "director", "--bind", bind, "--journal", filepath.Join(dir, "j.jsonl"),
			"--admin", bind+":0", "--admin-token", "x", "--admin-token-file", file)
		Expect(s.ExitCode()).To(Equal(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring("--admin-token and --admin-token-file: give one"))
		s = runMD("serve", "--role", "director", "--bind", bind, "--journal", filepath.Join(dir, "j.jsonl"),
			"--admin", bind+":0", "--admin-token-file", file)
		Expect(s.ExitCode()).To(Equal(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring("the file is empty"))
	})
})
