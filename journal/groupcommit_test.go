package journal_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/journal"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

var _ = Describe("group commit", func() {
	var path string
	BeforeEach(func() { path = filepath.Join(testdir.New(), "j.jsonl") })
	AfterEach(func() { journal.SetWriteHook(nil) })

	It("writes the events recorded while a write is under way in one write(2), each caller returning after its own line", func() {
		w, err := journal.Open(path)
		Expect(err).NotTo(HaveOccurred())
		defer w.Close()
		const followers = 10
		release, inWrite := make(chan struct{}), make(chan struct{})
		var once, released sync.Once
		// A failed expectation must not leave the leader blocked (Close would wait for it).
		defer released.Do(func() { close(release) })
		// The first write waits until the followers have queued behind it.
		journal.SetWriteHook(func(*journal.Writer) { once.Do(func() { close(inWrite); <-release }) })
		first := make(chan error, 1)
		go func() { first <- w.Record(event("leader", 0)) }()
		Eventually(inWrite).Should(BeClosed(), "the leader is in its write(2)")
		returned := make(chan error, followers)
		for i := range followers {
			go func() { returned <- w.Record(event("follower", i+1)) }()
		}
		Eventually(func() int { return journal.Queued(w) }, 10*time.Second, time.Millisecond).Should(Equal(followers))
		Consistently(returned, 50*time.Millisecond).ShouldNot(Receive(), "no follower returns before its line is written")
		released.Do(func() { close(release) })
		Expect(<-first).To(Succeed())
		for range followers {
			Expect(<-returned).To(Succeed())
		}
		Expect(w.Writes()).To(BeEquivalentTo(2), "one write for the leader, one for the ten that queued behind it")
		Expect(w.Lines()).To(BeEquivalentTo(followers + 1))
		evs, err := journal.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(followers + 1))
	})

	It("keeps every line whole and every caller's line in the file under 64 concurrent writers (run with -race)", func() {
		w, err := journal.OpenWith(path, journal.Options{MaxSize: 64 << 10, SyncInterval: time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		const writers, each = 64, 100
		recordConcurrently(w, writers, each)
		Expect(w.Close()).To(Succeed())
		evs, err := journal.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(writers * each))
		seen := map[string]bool{}
		for _, e := range evs {
			seen[e.Listener+e.HTTP.Path] = true
		}
		Expect(seen).To(HaveLen(writers * each))
		GinkgoWriter.Printf("%d events in %d writes\n", writers*each, w.Writes())
	})

	It("fails every Record of a batch whose write failed, and tells OnError (a full disk is never silent)", func() {
		var mu sync.Mutex
		var told []error
		w, err := journal.OpenWith("/dev/full", journal.Options{OnError: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			told = append(told, err)
		}})
		Expect(err).NotTo(HaveOccurred())
		err = w.Record(event("x", 0))
		Expect(err).To(MatchError(ContainSubstring("no space left on device")))
		Expect(err).To(MatchError(ContainSubstring("/dev/full")))
		Expect(w.Lines()).To(BeZero())
		mu.Lock()
		Expect(told).To(HaveLen(1))
		mu.Unlock()
		w.Close()
	})

	It("fails the next Record after a background fsync failed, returns it from Close and tells OnError", func() {
		told := make(chan error, 100)
		// fsync on /dev/null fails with EINVAL while writes succeed: a disk that took the bytes
		// but could not make them durable.
		w, err := journal.OpenWith("/dev/null", journal.Options{SyncInterval: 5 * time.Millisecond,
			OnError: func(err error) { told <- err }})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Record(event("x", 0))).To(Succeed(), "the write itself succeeds")
		var bg error
		Eventually(told, 5*time.Second).Should(Receive(&bg))
		Expect(bg).To(MatchError(ContainSubstring("sync")))
		err = w.Record(event("x", 1))
		Expect(err).To(MatchError(ContainSubstring("may not be on disk")))
		Expect(errors.Is(err, os.ErrInvalid) || err.Error() != "").To(BeTrue())
		Expect(w.Close()).To(MatchError(ContainSubstring("earlier background failure")))
	})

	It("never rotates what is not a regular file (a journal on /dev/null stays there)", func() {
		w, err := journal.OpenWith("/dev/null", journal.Options{MaxSize: 100})
		Expect(err).NotTo(HaveOccurred())
		for i := range 10 {
			Expect(w.Record(event("x", i))).To(Or(Succeed(), MatchError(ContainSubstring("sync"))))
		}
		w.Close()
		st, err := os.Stat("/dev/null")
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode() & os.ModeCharDevice).NotTo(BeZero())
		rotated, err := journal.RotatedFiles("/dev/null")
		Expect(err).NotTo(HaveOccurred())
		Expect(rotated).To(BeEmpty())
	})

	It("refuses Records once Close has begun, but writes those already queued", func() {
		w, err := journal.Open(path)
		Expect(err).NotTo(HaveOccurred())
		release, inWrite := make(chan struct{}), make(chan struct{})
		var once, released sync.Once
		defer released.Do(func() { close(release) }) // a failed expectation leaves nothing blocked
		journal.SetWriteHook(func(*journal.Writer) { once.Do(func() { close(inWrite); <-release }) })
		r1 := make(chan error, 1)
		go func() { r1 <- w.Record(event("a", 0)) }()
		r2 := make(chan error, 1)
		Eventually(inWrite).Should(BeClosed(), "the first Record is the leader, in its write(2)")
		go func() { r2 <- w.Record(event("b", 1)) }()
		Eventually(func() int { return journal.Queued(w) }, 5*time.Second, time.Millisecond).Should(Equal(1))
		closed := make(chan error, 1)
		go func() { closed <- w.Close() }()
		Eventually(func() bool { return journal.Closing(w) }, 5*time.Second, time.Millisecond).Should(BeTrue())
		Expect(w.Record(event("c", 2))).To(MatchError(ContainSubstring("closed")))
		released.Do(func() { close(release) })
		Expect(<-r1).To(Succeed())
		Expect(<-r2).To(Succeed())
		Expect(<-closed).To(Succeed())
		evs, err := journal.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(2))
	})
})
