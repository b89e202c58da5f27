package journal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/journal"
)

var _ = Describe("the mapped writer", func() {
	var path string
	BeforeEach(func() { path = filepath.Join(testdir.New(), "j.jsonl") })
	mapped := journal.Options{Mapped: true}

	It("writes one whole line per event from many goroutines, and Close leaves no allocated tail", func() {
		w, err := journal.OpenWith(path, mapped)
		Expect(err).NotTo(HaveOccurred())
		const writers, each = 8, 2000 // ~4 MB: more than one window and many allocation steps
		recordConcurrently(w, writers, each)
		Expect(w.Lines()).To(BeEquivalentTo(writers * each))
		Expect(w.Writes()).To(BeZero(), "no write(2): the lines were copied into the mapping")
		Expect(w.Close()).To(Succeed())

		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(bytes.IndexByte(data, 0)).To(Equal(-1), "no NUL byte")
		expectEveryLine(data, writers, each)
	})

	It("has the line in the file as soon as Record returns, and readers stop at the allocated tail", func() {
		w, err := journal.OpenWith(path, mapped)
		Expect(err).NotTo(HaveOccurred())
		defer w.Close()
		Expect(w.Record(event("https-443", 1))).To(Succeed())
		Expect(w.Record(event("https-443", 2))).To(Succeed())
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(data).To(HaveSuffix("\x00"), "the live file ends with the blocks allocated ahead")
		// Another reader of the file sees the lines at once: the bytes are in the kernel.
		var paths []string
		st, err := journal.Scan([]string{path}, func(e journal.Event) error { paths = append(paths, e.HTTP.Path); return nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(paths).To(Equal([]string{"/meet/1", "/meet/2"}))
		Expect(st.BadCount).To(BeZero())
		Expect(st.Unfinished).To(BeZero())
	})

	It("appends to a journal of the default writer and the default writer to its", func() {
		a, err := journal.Open(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Record(event("a", 1))).To(Succeed())
		Expect(a.Close()).To(Succeed())
		m, err := journal.OpenWith(path, mapped)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Record(event("m", 2))).To(Succeed())
		Expect(m.Close()).To(Succeed())
		a, err = journal.Open(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Record(event("a", 3))).To(Succeed())
		Expect(a.Close()).To(Succeed())
		evs, err := journal.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(3))
		Expect([]string{evs[0].Listener, evs[1].Listener, evs[2].Listener}).To(Equal([]string{"a", "m", "a"}))
	})

	It("rotates: every rotated file is cut to its lines and the set reads back whole, in order", func() {
		w, err := journal.OpenWith(path, journal.Options{Mapped: true, MaxSize: 16 << 10})
		Expect(err).NotTo(HaveOccurred())
		for i := range 500 {
			Expect(w.Record(event("l", i))).To(Succeed())
		}
		Expect(w.Close()).To(Succeed())
		rotated, err := journal.RotatedFiles(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(rotated)).To(BeNumerically(">=", 5))
		for _, r := range rotated {
			data, err := os.ReadFile(r.Path)
			Expect(err).NotTo(HaveOccurred())
			Expect(bytes.IndexByte(data, 0)).To(Equal(-1), "%s holds no NUL byte", r.Path)
			Expect(len(data)).To(BeNumerically("<=", 16<<10), r.Path)
			Expect(data).To(HaveSuffix("\n"))
		}
		var n int
		st, err := journal.Scan([]string{path}, func(e journal.Event) error {
			Expect(e.HTTP.Path).To(Equal(event("l", n).HTTP.Path))
			n++
			return nil
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(500))
		Expect(st.BadCount).To(BeZero())
	})

	It("reads a line cut by a crash as a bad line of its own and the lines around it whole", func() {
		a, b := event("a", 1), event("b", 2)
		la, err := journal.AppendJSON(nil, &a)
		Expect(err).NotTo(HaveOccurred())
		lb, err := journal.AppendJSON(nil, &b)
		Expect(err).NotTo(HaveOccurred())
		// a, then a line whose copy stopped half-way (NUL bytes where the rest was to go),
		// then b, then the tail allocated ahead.
		data := append(append(la, '\n'), la[:40]...)
		data = append(data, make([]byte, len(la)-40+1)...)
		data = append(append(data, lb...), '\n')
		data = append(data, make([]byte, 5000)...)
		Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
		var got []string
		st, err := journal.Scan([]string{path}, func(e journal.Event) error { got = append(got, e.Listener); return nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal([]string{"a", "b"}))
		Expect(st.BadCount).To(Equal(1))
		Expect(st.Bad[0].Line).To(Equal(2))

		w, err := journal.Open(path) // the default writer cuts the tail too
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Close()).To(Succeed())
		fi, err := os.Stat(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(fi.Size()).To(BeEquivalentTo(len(data) - 5000))
	})

	It("refuses a file that is not a regular one, naming the fix", func() {
		_, err := journal.OpenWith(os.DevNull, mapped)
		Expect(err).To(MatchError(And(ContainSubstring(os.DevNull), ContainSubstring("regular file"), ContainSubstring("leave it off"))))
	})

	It("fails the Record, not the process, when the disk is full", func() {
		if os.Geteuid() != 0 {
			Skip("mounts a 256 KiB tmpfs: needs root (CI runs as root)")
		}
		dir := testdir.New()
		Expect(syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k")).To(Succeed())
		DeferCleanup(func() { Expect(syscall.Unmount(dir, syscall.MNT_DETACH)).To(Succeed()) })
		p := filepath.Join(dir, "j.jsonl")
		w, err := journal.OpenWith(p, mapped)
		Expect(err).NotTo(HaveOccurred())
		var ok int
		var rerr error
		for i := range 10000 { // ~2.5 MB: far more than the file system holds
			if rerr = w.Record(event("full", i)); rerr != nil {
				break
			}
			ok++
		}
		Expect(rerr).To(MatchError(And(ContainSubstring(p), ContainSubstring("no space left"))))
		Expect(w.Close()).To(Succeed())
		evs, err := journal.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(ok), "every Record that returned nil is in the file, nothing else")
	})

	It("fails the Records with a reason instead of dying of the fault when another program cuts the file short, and leaves it as it was cut", func() {
		w, err := journal.OpenWith(path, mapped)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Record(event("before", 1))).To(Succeed())
		Expect(os.Truncate(path, 0)).To(Succeed()) // logrotate's copytruncate, or > FILE
		err = w.Record(event("after", 2))
		Expect(err).To(MatchError(And(ContainSubstring(path), ContainSubstring("cut the journal file short"), ContainSubstring("size limit"))))
		Expect(errors.Is(err, journal.ErrCut)).To(BeTrue(), "callers can tell this failure: %v", err)
		Expect(w.Record(event("after", 3))).To(MatchError(journal.ErrCut), "it stays failed")
		Expect(w.Close()).To(Succeed())
		fi, err := os.Stat(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(fi.Size()).To(BeZero(), "Close does not grow the cut file back")
	})
})
