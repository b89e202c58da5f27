package journal_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/journal"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

var _ = Describe("the journal reader", func() {
	var dir string
	BeforeEach(func() { dir = testdir.New() })

	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed())
		return p
	}
	line := func(i int) string {
		return fmt.Sprintf(`{"time":"2026-12-01T10:00:%02dZ","kind":"http","listener":"l%d","outcome":"ok"}`, i, i) + "\n"
	}

	It("refuses a file that is not a journal, naming it and its first line", func() {
		p := write("topology.yaml", "pools:\n  director:\n    members: [dir01]\n")
		_, err := journal.Scan([]string{p}, func(journal.Event) error { return nil })
		var nj *journal.NotJournalError
		Expect(errors.As(err, &nj)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(HavePrefix(p + ":1: not a journal"))
		Expect(err.Error()).To(ContainSubstring(`"pools:"`))
		_, err = journal.ReadFile(p)
		Expect(errors.As(err, &nj)).To(BeTrue())
	})

	It("refuses JSON that is not events (the prober's output) and a one-line file without a newline", func() {
		p := write("probe.json", "{\n  \"results\": []\n}\n")
		_, err := journal.ReadFile(p)
		Expect(err).To(MatchError(ContainSubstring(p + ":1: not a journal")))
		p = write("other.jsonl", `{"a":1}`+"\n")
		_, err = journal.ReadFile(p)
		Expect(err).To(MatchError(ContainSubstring(`without an event "kind"`)))
		p = write("one.yaml", "pools: {}")
		_, err = journal.ReadFile(p)
		Expect(err).To(MatchError(ContainSubstring(p + ":1: not a journal")))
	})

	It("counts a corrupt line in the middle and names it file:line, and reads on", func() {
		p := write("j.jsonl", line(1)+"garbage here\n"+line(3)+`{"time":"2026-12-01T10:00:04Z","kind":"ht`+"\n"+line(5))
		var n int
		st, err := journal.Scan([]string{p}, func(journal.Event) error { n++; return nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(3))
		Expect(st.Events).To(Equal(3))
		Expect(st.BadCount).To(Equal(2))
		Expect(st.Bad[0].String()).To(HavePrefix(p + ":2: not a JSON event"))
		Expect(st.Bad[1].File).To(Equal(p))
		Expect(st.Bad[1].Line).To(Equal(4))
	})

	It("takes a journal whose first event was cut by a crash (the writer ended the line)", func() {
		p := write("j.jsonl", `{"time":"2026-12-01T10:00:00Z","ki`+"\n"+line(2))
		st, err := journal.Scan([]string{p}, func(journal.Event) error { return nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Events).To(Equal(1))
		Expect(st.BadCount).To(Equal(1))
	})

	It("names at most MaxBadLines lines and counts the rest", func() {
		var sb strings.Builder
		sb.WriteString(line(0))
		for range 100 {
			sb.WriteString("{not json\n")
		}
		p := write("j.jsonl", sb.String())
		st, err := journal.Scan([]string{p}, func(journal.Event) error { return nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(st.BadCount).To(Equal(100))
		Expect(st.Bad).To(HaveLen(journal.MaxBadLines))
	})

	It("skips a line longer than MaxLine without holding it, and reads on", func() {
		long := `{"time":"2026-12-01T10:00:01Z","kind":"http","reason":"` + strings.Repeat("x", journal.MaxLine) + `"}` + "\n"
		p := write("j.jsonl", line(0)+long+line(2))
		st, err := journal.Scan([]string{p}, func(journal.Event) error { return nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Events).To(Equal(2))
		Expect(st.BadCount).To(Equal(1))
		Expect(st.Bad[0].Reason).To(ContainSubstring("longer than"))
		Expect(st.Bad[0].Line).To(Equal(2))
	})

	It("counts an unfinished last line of the live file apart, not as bad", func() {
		p := write("j.jsonl", line(0)+`{"time":"2026-12-01T10:00:01Z","ki`)
		st, err := journal.Scan([]string{p}, func(journal.Event) error { return nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Events).To(Equal(1))
		Expect(st.BadCount).To(BeZero())
		Expect(st.Unfinished).To(Equal(1))
	})

	It("merges several rotated journals by time while streaming", func() {
		a := filepath.Join(dir, "a.jsonl")
		b := filepath.Join(dir, "b.jsonl")
		write("a.jsonl.1", line(0)+line(2))
		write("a.jsonl", line(4))
		write("b.jsonl.3", line(1))
		write("b.jsonl", line(3)+line(5))
		var got []string
		st, err := journal.Scan([]string{a, b}, func(e journal.Event) error { got = append(got, e.Listener); return nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal([]string{"l0", "l1", "l2", "l3", "l4", "l5"}))
		Expect(st.Files).To(Equal([]string{a + ".1", a, b + ".3", b}))
	})

	It("reads a set whose live file is gone (only rotated files left)", func() {
		write("c.jsonl.7", line(0))
		evs, err := journal.ReadFile(filepath.Join(dir, "c.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(1))
	})

	It("is fs.ErrNotExist when there is no journal at all", func() {
		_, err := journal.ReadFile(filepath.Join(dir, "none.jsonl"))
		Expect(errors.Is(err, fs.ErrNotExist)).To(BeTrue())
	})

	It("stops at the first error of the callback", func() {
		p := write("j.jsonl", line(0)+line(1))
		stop := errors.New("stop")
		_, err := journal.Scan([]string{p}, func(journal.Event) error { return stop })
		Expect(err).To(MatchError(stop))
	})

	It("streams a large journal event by event through the callback", func() {
		w, err := journal.Open(filepath.Join(dir, "big.jsonl"))
		Expect(err).NotTo(HaveOccurred())
		for i := range 20000 {
			e := event("l", i)
			e.Time = time.Unix(int64(i), 0).UTC()
			Expect(w.Record(e)).To(Succeed())
		}
		Expect(w.Close()).To(Succeed())
		n := 0
		st, err := journal.Scan([]string{filepath.Join(dir, "big.jsonl")}, func(journal.Event) error { n++; return nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(20000))
		Expect(st.BadCount).To(BeZero())
	})
})
