package main_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/probe"
)

var _ = Describe("mockdirector serve --ephemeral-ports --ports-file", Label("process"), func() {
	It("binds every listener on a port the kernel picks and writes each as a probe --target value", func() {
		m := startServe("director", "127.0.10.47")
		data, err := os.ReadFile(filepath.Join(m.dir, "ports"))
		Expect(err).NotTo(HaveOccurred())
		lines := strings.Fields(string(data))
		Expect(lines).To(ContainElements(HavePrefix("director/5061=127.0.10.47:"), HavePrefix("director/444=127.0.10.47:")), "served ports and the guard on 444")
		for _, l := range lines {
			role, dest, addr, err := probe.ParseTarget(l)
			Expect(err).NotTo(HaveOccurred(), l)
			Expect(role).To(Equal("director"))
			Expect(addr).NotTo(HaveSuffix(":5061"))
			Expect(dest).NotTo(BeNil())
		}
		c, err := net.DialTimeout("tcp", m.addr(5061), 5*time.Second)
		Expect(err).NotTo(HaveOccurred(), "the file says where 5061 listens")
		c.Close()

		By("a second serve refuses to overwrite the file")
		dir := GinkgoT().TempDir()
		s := runMD("serve", "--role", "director", "--bind", "127.0.10.47", "--ephemeral-ports", "--ports-file", filepath.Join(m.dir, "ports"),
			"--journal", filepath.Join(dir, "j.jsonl"), "--certs", filepath.Join(dir, "certs"))
		Expect(s).NotTo(gexec.Exit(0))
		Expect(string(s.Err.Contents())).To(ContainSubstring("--ports-file " + filepath.Join(m.dir, "ports") + " exists"))
	})
})
