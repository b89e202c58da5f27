//go:build unix

package main_test

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/journal"
)

var _ = Describe("serve stopped by a signal at any point of its start", Label("process"), func() {
	// A supervisor (systemd, a test) may send SIGTERM the moment serve prints a line. serve used
	// to take signals only after it printed ready, so a SIGTERM before that killed it: no
	// journal sync, exit by signal, and --host-firewall=open's rules left in place.
	DescribeTable("exits 0, says the journal is synced and leaves the journal readable",
		func(line string) {
			dir := GinkgoT().TempDir()
			jpath := filepath.Join(dir, "j.jsonl")
			cmd := exec.Command(binPath, "serve", "--role", "director", "--bind", "127.0.10.49", "--ephemeral-ports",
				"--journal", jpath, "--certs", filepath.Join(dir, "certs"))
			stdout, err := cmd.StdoutPipe()
			Expect(err).NotTo(HaveOccurred())
			cmd.Stderr = GinkgoWriter
			Expect(cmd.Start()).To(Succeed())
			DeferCleanup(func() { cmd.Process.Kill() })
			// Read the lines straight off the pipe and signal on the one asked for, without the
			// polling delay of a gbytes buffer: the signal lands within microseconds of the line.
			lines := make(chan string, 256)
			go func() {
				defer GinkgoRecover()
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var seen []string
			signaled := false
			deadline := time.After(60 * time.Second) // bounded: a serve that never exits fails here
		read:
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						break read
					}
					seen = append(seen, l)
					GinkgoWriter.Println(l)
					if !signaled && strings.HasPrefix(l, line) {
						Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
						signaled = true
					}
				case <-deadline:
					Fail(fmt.Sprintf("serve still writing after 60 s (signaled %v); it printed %q", signaled, seen))
				}
			}
			Expect(signaled).To(BeTrue(), "serve never printed a line starting %q: %q", line, seen)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var werr error
			Eventually(done, 20*time.Second).Should(Receive(&werr))
			Expect(werr).NotTo(HaveOccurred(), "serve did not exit 0 on SIGTERM after %q (%v); it printed %d lines, the last %q", line, cmd.ProcessState, len(seen), seen[len(seen)-1])
			Expect(seen[len(seen)-1]).To(HavePrefix("stopped; journal "+jpath+" synced"), "%q", seen)
			_, err = journal.ReadFile(jpath)
			Expect(err).NotTo(HaveOccurred())
		},
		Entry("after the certificates are generated (listeners still binding)", "generated "),
		Entry("after the first line of the listener table", "mockdirector serving "),
		Entry("the moment it says ready", "ready"),
	)
})
