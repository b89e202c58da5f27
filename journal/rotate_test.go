package journal_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/journal"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

var _ = Describe("rotation", func() {
	var dir, path string
	BeforeEach(func() {
		dir = testdir.New()
		path = filepath.Join(dir, "j.jsonl")
	})

	record := func(w *journal.Writer, n int) {
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		for i := range n {
			e := event("l", i)
			e.Time = t0.Add(time.Duration(i) * time.Millisecond)
			Expect(w.Record(e)).To(Succeed())
		}
	}

	It("rotates before a file passes MaxSize and reads the rotated set back as one journal, in order", func() {
		const max = 4 << 10
		w, err := journal.OpenWith(path, journal.Options{MaxSize: max})
		Expect(err).NotTo(HaveOccurred())
		record(w, 300)
		Expect(w.Close()).To(Succeed())

		rotated, err := journal.RotatedFiles(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(rotated)).To(BeNumerically(">", 5))
		for i, r := range rotated {
			Expect(r.Seq).To(Equal(i + 1))
			st, err := os.Stat(r.Path)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Size()).To(BeNumerically("<=", max), r.Path)
			Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		}
		evs, err := journal.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(300))
		for i, e := range evs {
			Expect(e.HTTP.Path).To(Equal(fmt.Sprintf("/meet/%d", i)))
		}
	})

	It("keeps Keep rotated files, removes the oldest and says so", func() {
		var mu sync.Mutex
		var told []string
		w, err := journal.OpenWith(path, journal.Options{MaxSize: 2 << 10, Keep: 2,
			OnError: func(err error) { mu.Lock(); told = append(told, err.Error()); mu.Unlock() }})
		Expect(err).NotTo(HaveOccurred())
		record(w, 200)
		Expect(w.Close()).To(Succeed())
		rotated, err := journal.RotatedFiles(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(rotated).To(HaveLen(2))
		Expect(rotated[0].Seq).To(BeNumerically(">", 1), "the oldest went")
		mu.Lock()
		Expect(strings.Join(told, "\n")).To(ContainSubstring("removed the oldest rotated file"))
		mu.Unlock()
		evs, err := journal.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(evs)).To(BeNumerically("<", 200))
		Expect(evs[len(evs)-1].HTTP.Path).To(Equal("/meet/199"), "the newest events are kept")
	})

	It("goes on numbering after a restart, so an older rotated file is never overwritten", func() {
		w, err := journal.OpenWith(path, journal.Options{MaxSize: 2 << 10})
		Expect(err).NotTo(HaveOccurred())
		record(w, 50)
		Expect(w.Close()).To(Succeed())
		before, _ := journal.RotatedFiles(path)
		Expect(before).NotTo(BeEmpty())
		w, err = journal.OpenWith(path, journal.Options{MaxSize: 2 << 10})
		Expect(err).NotTo(HaveOccurred())
		record(w, 50)
		Expect(w.Close()).To(Succeed())
		after, _ := journal.RotatedFiles(path)
		Expect(len(after)).To(BeNumerically(">", len(before)))
		evs, err := journal.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(100))
	})

	It("ignores files that only look rotated (PATH.bak, PATH.01)", func() {
		for _, n := range []string{"j.jsonl.bak", "j.jsonl.01", "j.jsonl.-1"} {
			Expect(os.WriteFile(filepath.Join(dir, n), []byte("pools:\n"), 0o600)).To(Succeed())
		}
		w, err := journal.Open(path)
		Expect(err).NotTo(HaveOccurred())
		record(w, 3)
		Expect(w.Close()).To(Succeed())
		evs, err := journal.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(3))
	})
})

// serve's admin folds the history with Scan while serve goes on writing: a rotation (the live
// file renamed) and a prune (the oldest removed) in the middle of a Scan must lose nothing of
// what was there when it began, and must not end it with a file gone.
var _ = Describe("Scan while the writer rotates and prunes", func() {
	It("reads the set as it was when the Scan began, nothing lost", func() {
		path := filepath.Join(testdir.New(), "j.jsonl")
		const max = 4 << 10
		var mu sync.Mutex
		var pruned []string // what the writer removed (OnError hears ErrPruned)
		w, err := journal.OpenWith(path, journal.Options{MaxSize: max, Keep: 2, OnError: func(err error) {
			if errors.Is(err, journal.ErrPruned) {
				mu.Lock()
				pruned = append(pruned, err.Error())
				mu.Unlock()
			}
		}})
		Expect(err).NotTo(HaveOccurred())
		defer w.Close()
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		n := 0
		write := func(k int) {
			for range k {
				e := event("l", n)
				e.Time = t0.Add(time.Duration(n) * time.Millisecond)
				Expect(w.Record(e)).To(Succeed())
				n++
			}
		}
		write(40) // two rotated files and the live one
		rotated, err := journal.RotatedFiles(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(rotated)).To(BeNumerically(">=", 2))
		before := n

		var seen []string
		_, err = journal.Scan([]string{path}, func(e journal.Event) error {
			if len(seen) == 0 {
				write(100) // rotates several times: every file of the set above is renamed or removed
				// The writer prunes in the background, after its next sync. (On Windows a file
				// removed while open keeps its name until the last handle closes, so the notice,
				// not the directory, says it was removed.)
				Eventually(func() []string {
					mu.Lock()
					defer mu.Unlock()
					return pruned
				}, 10*time.Second, 10*time.Millisecond).Should(ContainElement(ContainSubstring(rotated[0].Path)), "the oldest file of the set being read was not pruned")
			}
			seen = append(seen, e.HTTP.Path)
			return nil
		})
		Expect(err).NotTo(HaveOccurred())
		// Everything there when it began, in order, with no gap; the live file's handle may also
		// hold lines appended to it before it was rotated away.
		Expect(len(seen)).To(BeNumerically(">=", before))
		Expect(len(seen)).To(BeNumerically("<=", n))
		for i, p := range seen {
			Expect(p).To(Equal(fmt.Sprintf("/meet/%d", i)))
		}
	})
})
