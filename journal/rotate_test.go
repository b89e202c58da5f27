package journal_test

import (
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
