//go:build unix

package journal_test

import (
	"os"
	"path/filepath"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/journal"
)

// File modes mean something on Unix only (NTFS has none): this file is not built for Windows.
var _ = Describe("journal file modes", func() {
	It("creates every file 0600, the first, the rotated ones and each new one after a rotation, whatever the umask", func() {
		// umask 0: a mode of 0644 or 0666 in the writer would show as such instead of being
		// narrowed to 0600 by a strict umask. (The umask is the process's; the specs of this
		// suite run one at a time.)
		old := syscall.Umask(0)
		DeferCleanup(func() { syscall.Umask(old) })
		dir := testdir.New()
		path := filepath.Join(dir, "j.jsonl")
		w, err := journal.OpenWith(path, journal.Options{MaxSize: 2 << 10, Keep: 3})
		Expect(err).NotTo(HaveOccurred())
		for i := range 100 {
			Expect(w.Record(event("l", i))).To(Succeed())
		}
		// Sync: the rotated files are closed and the oldest beyond Keep removed.
		Expect(w.Sync()).To(Succeed())
		Expect(w.Close()).To(Succeed())

		rotated, err := journal.RotatedFiles(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(rotated)).To(Equal(3), "rotated several times, Keep files kept")
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(len(rotated)+1), "the live file and the rotated ones, nothing else")
		for _, e := range entries {
			st, err := os.Stat(filepath.Join(dir, e.Name()))
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)), e.Name())
		}

		// Reopened (a restart), the writer goes on rotating into files of the same mode.
		w, err = journal.OpenWith(path, journal.Options{MaxSize: 2 << 10})
		Expect(err).NotTo(HaveOccurred())
		for i := range 30 {
			Expect(w.Record(event("l", i))).To(Succeed())
		}
		Expect(w.Close()).To(Succeed())
		entries, err = os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(entries)).To(BeNumerically(">", len(rotated)+1))
		for _, e := range entries {
			st, err := os.Stat(filepath.Join(dir, e.Name()))
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)), e.Name())
		}
	})
})
