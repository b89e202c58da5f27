package journal_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/journal"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

// childEnv names the journal the child process writes; childMappedEnv set says with the
// mapped writer.
const (
	childEnv       = "MOCKDIRECTOR_JOURNAL_KILL_CHILD"
	childMappedEnv = "MOCKDIRECTOR_JOURNAL_KILL_MAPPED"
)

// runChild records events from 32 goroutines into a rotating journal and prints each event's
// id on stdout only after its Record returned, until it is killed (bounded: 200k events).
func runChild(path string) int {
	o := journal.Options{MaxSize: 64 << 10, SyncInterval: 10 * time.Millisecond, Mapped: os.Getenv(childMappedEnv) != ""}
	w, err := journal.OpenWith(path, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	acks := make(chan string, 1024)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200000 / 32 {
				e := event(fmt.Sprintf("g%d", g), i)
				if err := w.Record(e); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return
				}
				acks <- e.Listener + e.HTTP.Path
			}
		}()
	}
	go func() { wg.Wait(); close(acks) }()
	out := bufio.NewWriterSize(os.Stdout, 4096)
	for id := range acks {
		fmt.Fprintln(out, id)
		if len(acks) == 0 {
			out.Flush()
		}
	}
	out.Flush()
	w.Close()
	return 0
}

var _ = Describe("the journal under kill -9", Label("process"), func() {
	DescribeTable("holds every event whose Record returned, with rotation on", func(mapped bool) {
		if mapped && runtime.GOOS != "linux" {
			Skip("the mapped writer is for Linux only")
		}
		dir := testdir.New()
		path := filepath.Join(dir, "j.jsonl")
		self, err := os.Executable()
		Expect(err).NotTo(HaveOccurred())
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), childEnv+"="+path)
		if mapped {
			cmd.Env = append(cmd.Env, childMappedEnv+"=1")
		}
		cmd.Stderr = GinkgoWriter
		stdout, err := cmd.StdoutPipe()
		Expect(err).NotTo(HaveOccurred())
		Expect(cmd.Start()).To(Succeed())
		DeferCleanup(func() { cmd.Process.Kill(); cmd.Wait() })

		acked := map[string]bool{}
		br := bufio.NewReader(stdout)
		killed := false
		for {
			// Only whole lines: the kill can cut the child's last write to the pipe mid-line.
			id, err := br.ReadString('\n')
			if err != nil {
				break
			}
			acked[strings.TrimSuffix(id, "\n")] = true
			if !killed && len(acked) >= 20000 {
				Expect(cmd.Process.Signal(syscall.SIGKILL)).To(Succeed()) // Records in flight
				killed = true
			}
		}
		Expect(killed).To(BeTrue(), "the child ended before it was killed (%d acks)", len(acked))
		err = cmd.Wait()
		Expect(err).To(MatchError(ContainSubstring("killed")))

		rotated, err := journal.RotatedFiles(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(rotated)).To(BeNumerically(">", 10), "rotation was on")
		journaled := map[string]bool{}
		st, err := journal.Scan([]string{path}, func(e journal.Event) error {
			journaled[e.Listener+e.HTTP.Path] = true
			return nil
		})
		Expect(err).NotTo(HaveOccurred())
		if mapped {
			// A copy into the mapping cut by the kill leaves part of a line that was never
			// acknowledged, in the live file only (rotation cuts a file once its lines are placed).
			Expect(st.BadCount).To(BeNumerically("<=", 32), "at most a line per goroutine cut: %v", st.Bad)
			for _, b := range st.Bad {
				Expect(b.File).To(Equal(path))
			}
		} else {
			Expect(st.BadCount).To(BeZero(), "no torn line: %v", st.Bad)
		}
		var missing []string
		for id := range acked {
			if !journaled[id] {
				missing = append(missing, id)
			}
		}
		Expect(missing).To(BeEmpty(), "answered but not journaled (of %d answered): %s", len(acked), strings.Join(missing[:min(len(missing), 10)], " "))
		GinkgoWriter.Printf("%d acked, %d journaled, %d files, %d cut lines\n", len(acked), len(journaled), len(st.Files), st.BadCount)

		// The next writer cuts the NUL bytes allocated ahead (mapped: unless the kill came while
		// it rotated) and goes on after the last line.
		w, err := journal.OpenWith(path, journal.Options{Mapped: mapped})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Record(event("after", 0))).To(Succeed())
		Expect(w.Close()).To(Succeed())
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		last := len(data) - len(lines[len(lines)-1]) - 1
		if mapped {
			// A Record killed between taking its place in the mapping and copying its line
			// leaves that place NUL while later Records' lines follow it: a hole readers take
			// as a line break. None may be left in or after the new line.
			Expect(bytes.IndexByte(data[last:], 0)).To(Equal(-1), "no NUL byte in or after the last line (at %d of %d bytes)", bytes.LastIndexByte(data, 0), len(data))
		} else {
			Expect(bytes.IndexByte(data, 0)).To(Equal(-1), "no NUL byte anywhere: %d of %d bytes", bytes.IndexByte(data, 0), len(data))
		}
		Expect(string(lines[len(lines)-1])).To(And(ContainSubstring(`"listener":"after"`), HaveSuffix("}")), "the new event is the last line, whole")
		Expect(data).To(HaveSuffix("}\n"))
	},
		Entry("group commit", false),
		Entry("the mapped writer", true),
	)
})
