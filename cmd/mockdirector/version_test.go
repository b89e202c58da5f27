package main_test

import (
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

var _ = Describe("mockdirector version", Label("version"), func() {
	It("prints the version, commit and date given with -ldflags, as a release build has them", func() {
		bin, err := gexec.Build("github.com/mockdirector/mockdirector/cmd/mockdirector", "-ldflags",
			"-X main.version=1.2.3 -X main.commit=0123456789abcdef -X main.date=2026-12-01T00:00:00Z")
		Expect(err).NotTo(HaveOccurred())
		out, err := exec.Command(bin, "version").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", out)
		Expect(string(out)).To(MatchRegexp(`^mockdirector 1\.2\.3\ncommit  0123456789abcdef\ndate    2026-12-01T00:00:00Z\ngo      go1\.\S+ \w+/\w+\n$`))
		out, err = exec.Command(bin, "--version").CombinedOutput()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("1.2.3"))
	})

	It("falls back to the build's own stamp without -ldflags", func() {
		s, err := gexec.Start(exec.Command(binPath, "version"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 10*time.Second).Should(gexec.Exit(0))
		// A test build carries no module version; the commit comes from VCS when built in a checkout.
		Expect(string(s.Out.Contents())).To(MatchRegexp(`^mockdirector dev\ncommit  ([0-9a-f]{40}( \(with uncommitted changes\))?|unknown)\ndate    \S+\n`))
	})
})
