package journal_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/journal"
)

func event(listener string, i int) journal.Event {
	return journal.Event{Time: time.Now().UTC(), Kind: journal.KindHTTP, Role: "director", Member: "dir01",
		Listener: listener, Port: 443, Transport: "tcp", Outcome: journal.OutcomeOK,
		HTTP: &journal.HTTPInfo{Method: "GET", Path: fmt.Sprintf("/meet/%d", i), Status: 200}}
}

var _ = Describe("the journal writer", func() {
	var path string
	BeforeEach(func() { path = filepath.Join(testdir.New(), "j.jsonl") })

	It("writes one whole line per event, even from many goroutines at once", func() {
		w, err := journal.Open(path)
		Expect(err).NotTo(HaveOccurred())
		const writers, each = 8, 250
		recordConcurrently(w, writers, each)
		Expect(w.Lines()).To(BeEquivalentTo(writers * each))
		Expect(w.Close()).To(Succeed())

		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		expectEveryLine(data, writers, each)
	})

	It("has the line in the file as soon as Record returns (before any fsync or Close)", func() {
		w, err := journal.Open(path)
		Expect(err).NotTo(HaveOccurred())
		defer w.Close()
		Expect(w.Record(event("https-443", 1))).To(Succeed())
		// Another reader of the file sees it at once: the bytes are in the kernel.
		evs, err := journal.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(1))
		Expect(evs[0].HTTP.Path).To(Equal("/meet/1"))
	})

	It("appends to an existing journal and ends a line cut by a crash", func() {
		Expect(os.WriteFile(path, []byte(`{"kind":"http","listener":"a","outcome":"ok"}`+"\n"+`{"kind":"http","liste`), 0o644)).To(Succeed())
		w, err := journal.Open(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Record(event("b", 2))).To(Succeed())
		Expect(w.Close()).To(Succeed())

		f, err := os.Open(path)
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		evs, skipped, err := journal.Read(f)
		Expect(err).NotTo(HaveOccurred())
		Expect(skipped).To(Equal(1), "the cut line is skipped, not merged into the next one")
		Expect(evs).To(HaveLen(2))
		Expect(evs[0].Listener).To(Equal("a"))
		Expect(evs[1].Listener).To(Equal("b"))
	})

	It("refuses events after Close, so nobody answers without a journal line", func() {
		w, err := journal.Open(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Close()).To(Succeed())
		Expect(w.Close()).To(Succeed())
		Expect(w.Record(event("x", 0))).To(MatchError(ContainSubstring("closed")))
	})

	It("names the file when it cannot open it", func() {
		_, err := journal.Open(filepath.Join(path, "nope", "j.jsonl"))
		Expect(err).To(MatchError(ContainSubstring(path)))
	})

	It("skips a line still being written when reading", func() {
		evs, skipped, err := journal.Read(bytes.NewBufferString(`{"kind":"http","outcome":"ok"}` + "\n" + `{"kind":"ht`))
		Expect(err).NotTo(HaveOccurred())
		Expect(skipped).To(BeZero())
		Expect(evs).To(HaveLen(1))
	})

	It("merges the journals of several members in time order", func() {
		a, b := filepath.Join(testdir.New(), "a.jsonl"), filepath.Join(testdir.New(), "b.jsonl")
		wa, err := journal.Open(a)
		Expect(err).NotTo(HaveOccurred())
		wb, err := journal.Open(b)
		Expect(err).NotTo(HaveOccurred())
		t0 := time.Now().UTC()
		for i := range 4 {
			e := event("l", i)
			e.Time = t0.Add(time.Duration(i) * time.Millisecond)
			w := wa
			if i%2 == 1 {
				w = wb
			}
			Expect(w.Record(e)).To(Succeed())
		}
		Expect(wa.Close()).To(Succeed())
		Expect(wb.Close()).To(Succeed())
		evs, err := journal.Merge(b, a)
		Expect(err).NotTo(HaveOccurred())
		var paths []string
		for _, e := range evs {
			paths = append(paths, e.HTTP.Path)
		}
		Expect(paths).To(Equal([]string{"/meet/0", "/meet/1", "/meet/2", "/meet/3"}))
	})
})

// expectEveryLine checks that data holds the lines of recordConcurrently, each whole.
func expectEveryLine(data []byte, writers, each int) {
	GinkgoHelper()
	Expect(bytes.Count(data, []byte("\n"))).To(Equal(writers * each))
	evs, skipped, err := journal.Read(bytes.NewReader(data))
	Expect(err).NotTo(HaveOccurred())
	Expect(skipped).To(BeZero())
	Expect(evs).To(HaveLen(writers * each))
	perListener := map[string]int{}
	for _, e := range evs {
		perListener[e.Listener]++
	}
	Expect(perListener).To(HaveLen(writers))
	for _, n := range perListener {
		Expect(n).To(Equal(each))
	}
}

// recordConcurrently records each events from each of writers goroutines at once.
func recordConcurrently(w *journal.Writer, writers, each int) {
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer GinkgoRecover()
			for i := range each {
				Expect(w.Record(event(fmt.Sprintf("l%d", g), i))).To(Succeed())
			}
		}()
	}
	wg.Wait()
}
