package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// Writer appends events to a JSON Lines file with group commit: events recorded at the same
// time share one write(2), and each Record returns only once its own line is in the file (the
// kernel has the bytes), so a process killed with SIGKILL loses no event it answered for.
// fsync (protection against a machine crash) runs on a goroutine of its own, at most every
// SyncInterval and on Close, never on a writer's path. With MaxSize set the file is rotated
// (see Options); ReadSet and Scan read the rotated files back as one journal.
//
// Why batches and not one O_APPEND write(2) a line: every write(2) pays the system call's entry and
// exit, dear on a virtual machine with speculative-execution mitigations, and two writers appending
// to one file take turns on its lock in the kernel anyway. Under wrk -c64 and SIP OPTIONS at 32
// connections on such a machine (2 cores), a batch carried about 8 lines and the mock spent 13-15%
// less CPU a request on HTTPS and 16-17% less on SIP than with a write(2) a line (two A/B runs of
// four rounds each). Where system calls are cheap the batches lose on HTTPS: on an Intel machine
// with Enhanced IBRS (getppid(2) 140 ns, a 450-byte write(2) 1.0 us, 3.6 KB 3.2 us) a write(2) a
// line cost 9% less CPU a keep-alive HTTPS request (67.1 against 73.6 us, seven alternated rounds)
// and the same on SIP (83.7 against 82.5), because the waiting Records' park and wake cost more
// than the write(2)s they save; an earlier machine of that kind had the batches 15% dearer. Which
// writer wins is the machine's, not the code's: one that chose at run time would need both paths.
// bench/journalcost.sh shows what the journal costs on the machine at hand. Options.Mapped (Linux)
// avoids both: each Record copies its line into a shared mapping of the file (mapped.go), with no
// system call and no wait, at the price of a live file that ends in allocated NUL bytes. The yield costs one
// more read(2) a keep-alive HTTPS request, which finds nothing (strace -c: 2.33 reads a request,
// 1.32 EAGAIN, against 1.39 and 0.36 with a write(2) a line; net/http's background read of the
// connection, let run before the answer, is the likely one); on the mitigated machine the batches
// still win with it.
//
// A failed write fails every Record of its batch; a failed background fsync or rotation fails
// the next batch's Records, is returned by Close and is passed to Options.OnError, so a journal
// that stopped being safe is never silent.
type Writer struct {
	path string
	opts Options

	mu      sync.Mutex
	idle    sync.Cond // signalled when the last leader steps down (Close waits for it)
	f       *os.File
	size    int64  // bytes in f
	seq     int    // the suffix of the newest rotated file
	cur     *batch // the batch being filled
	spare   []byte // a written batch's buffer, for the next one
	writing bool   // a leader is writing
	closed  bool
	dirty   bool          // written since the last fsync
	retired []retiredFile // rotated files still to be fsynced and closed by the syncer
	syncMu  sync.Mutex    // one sync at a time
	dirDirt bool          // a rename or create to fsync in the directory
	pending error         // a background failure the next batch reports
	first   error         // the first background failure, for Close
	torn    bool          // a write failed part-way: the next batch starts on a new line
	lines   int64         // lines written since Open
	writes  int64         // write(2) calls (batches) since Open
	noRot   time.Time     // no rotation attempt before this (after a failed one)
	kick    chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
	errs    errorLimiter
	// The mapped writer's (Options.Mapped; mapped.go): the file's allocated end, the window
	// being filled and the windows left behind, for the syncer to unmap.
	alloc  int64
	win    *window
	unmaps []*window
	broken error // the file was cut short under the mapping: every Record fails with it
}

// Options tune a Writer; the zero value is an unrotated journal synced every SyncInterval.
type Options struct {
	// MaxSize rotates the file before a write would take it past MaxSize bytes: PATH is renamed
	// PATH.N (N one more than the newest rotated file, so PATH.1 is the oldest) and a new PATH is
	// started. 0: never rotate.
	MaxSize int64
	// Keep is how many rotated files to keep; the oldest beyond it are removed (and said so
	// through OnError). 0: keep every rotated file.
	Keep int
	// SyncInterval is how often a dirty journal is fsynced (default SyncInterval).
	SyncInterval time.Duration
	// OnError is told of background failures (fsync, rotation, removal) and of failed writes,
	// at most once a second with a count of those it held back. It must not call the Writer.
	OnError func(error)
	// Mapped copies each line into a shared mapping of the file instead of writing it with
	// write(2) (Linux, a regular file): the cheapest journal under load, with the same promise
	// (the line is the kernel's when Record returns), but the live file carries a tail of
	// allocated NUL bytes that `tail -f` stumbles on. See mapped.go.
	Mapped bool
}

// ErrPruned is what OnError hears when the oldest rotated file was removed beyond Keep: a
// notice, not a failure.
var ErrPruned = errors.New("removed the oldest rotated file")

// ErrCut is in the error of every Record of a mapped writer once another program cut its file
// short (a truncate, logrotate's copytruncate): the writer stays failed until it is opened again.
var ErrCut = errors.New("another program cut the journal file short while it was written")

// testHookWrite, when set (by tests only), runs before each batch's write(2).
var testHookWrite func(*Writer)

// SyncInterval is how often a dirty journal is fsynced by default.
const SyncInterval = 200 * time.Millisecond

// linePool holds the buffers events are encoded into before they join a batch.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// batch is the lines of the Records that share one write(2).
// The channels are made by the first Record that has to wait for the batch (a batch written
// by the Record that started it has none, and is reused).
type batch struct {
	buf  []byte
	n    int
	err  error
	done chan struct{} // closed once buf is written (or failed)
	lead chan struct{} // one token: its receiver writes this batch
}

var batchPool = sync.Pool{New: func() any { return new(batch) }}

func newBatch(buf []byte) *batch {
	b := batchPool.Get().(*batch)
	*b = batch{buf: buf[:0]}
	return b
}

// Open opens (creating, or appending to) a journal file that is never rotated.
func Open(path string) (*Writer, error) { return OpenWith(path, Options{}) }

// OpenWith opens (creating, or appending to) a journal file with the given options.
func OpenWith(path string, o Options) (*Writer, error) {
	if o.MaxSize < 0 || o.Keep < 0 {
		return nil, fmt.Errorf("journal %s: max size %d and keep %d must not be negative", path, o.MaxSize, o.Keep)
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = SyncInterval
	}
	if o.Mapped {
		if err := mappedSupported(); err != nil {
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
	}
	f, size, err := openFileFor(path, o.Mapped)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		if o.Mapped {
			f.Close()
			return nil, fmt.Errorf("journal %s: %s, and the mapped writer needs a regular file: leave it off for devices and pipes", path, fileKind(st.Mode()))
		}
		o.MaxSize = 0 // never rename a device or a pipe (--journal /dev/null)
	}
	rotated, err := RotatedFiles(path)
	if err != nil {
		f.Close()
		return nil, err
	}
	w := &Writer{path: path, opts: o, f: f, size: size, alloc: size, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if n := len(rotated); n > 0 {
		w.seq = rotated[n-1].Seq
	}
	w.idle.L = &w.mu
	w.errs.report = o.OnError
	w.cur = newBatch(nil)
	w.wg.Add(1)
	go w.syncLoop()
	return w, nil
}

// fileKind names what a file that is not a regular one is, for a message.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// openFile opens path for appending (0600: the journal names sources and certificate subjects)
// and ends a line cut by a crash, so the next event starts on a line of its own.
func openFile(path string) (*os.File, int64, error) { return openFileFor(path, false) }

// openFileFor opens path for the append writer or (mapped) for the mapped one, and repairs
// its tail.
func openFileFor(path string, mapped bool) (*os.File, int64, error) {
	open := openAppend // open_*.go: on Windows with FILE_SHARE_DELETE, so rotation can rename it
	if mapped {
		open = openMapped
	}
	f, err := open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("journal %s: %w", path, err)
	}
	size, err := repairTail(f, path, mapped)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, size, nil
}

// repairTail cuts the NUL bytes a mapped writer's crash left after the last line (blocks
// allocated ahead of it) and ends a line cut by a crash with a newline. It returns where the
// next line goes.
func repairTail(f *os.File, path string, mapped bool) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("journal %s: %w", path, err)
	}
	if st.Size() == 0 || !st.Mode().IsRegular() {
		return st.Size(), nil
	}
	r, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("journal %s: %w", path, err)
	}
	defer r.Close()
	end, last, err := dataEnd(r, st.Size())
	if err != nil {
		return 0, fmt.Errorf("journal %s: %w", path, err)
	}
	size := st.Size()
	if end < size {
		if err := f.Truncate(end); err == nil {
			size = end
		} else if mapped {
			return 0, fmt.Errorf("journal %s: cut the NUL bytes after its last line: %w", path, err)
		}
		// Otherwise not ours to cut (Windows opens the journal for appending only): readers
		// take the NUL bytes for a line break, so the next line starts on a line of its own.
	}
	if size > end || end == 0 || last == '\n' {
		return size, nil
	}
	if mapped {
		_, err = f.WriteAt([]byte("\n"), size)
	} else {
		_, err = f.Write([]byte("\n"))
	}
	if err != nil {
		return 0, fmt.Errorf("journal %s: %w", path, err)
	}
	return size + 1, nil
}

// dataEnd is the offset after the last byte of r that is not NUL, and that byte (0 in a file
// of NUL bytes only).
func dataEnd(r *os.File, size int64) (int64, byte, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		from := max(end-int64(len(buf)), 0)
		b := buf[:end-from]
		if _, err := r.ReadAt(b, from); err != nil {
			return 0, 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != 0 {
				return from + int64(i) + 1, b[i], nil
			}
		}
		end = from
	}
	return 0, 0, nil
}

// Path is the file the writer appends to.
func (w *Writer) Path() string { return w.path }

// Record writes e as one line and returns once the line is in the file. Events are encoded
// outside the lock; concurrent Records join one batch, written by one of them (the leader)
// with one write(2) while the others wait for it.
func (w *Writer) Record(e Event) error {
	lp := linePool.Get().(*[]byte)
	line, err := AppendJSON((*lp)[:0], &e)
	if err != nil {
		linePool.Put(lp)
		return fmt.Errorf("journal %s: %w", w.path, err)
	}
	line = append(line, '\n')
	if w.opts.Mapped {
		err := w.recordMapped(line)
		if cap(line) <= 64<<10 {
			*lp = line
			linePool.Put(lp)
		}
		return err
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fmt.Errorf("journal %s: closed", w.path)
	}
	b := w.cur
	b.buf = append(b.buf, line...)
	b.n++
	if cap(line) <= 64<<10 {
		*lp = line
		linePool.Put(lp)
	}
	if w.writing {
		if b.done == nil {
			b.done, b.lead = make(chan struct{}), make(chan struct{}, 1)
		}
		w.mu.Unlock()
		select {
		case <-b.done:
			return b.err
		case <-b.lead:
			w.mu.Lock()
			w.lead() // b is still the batch being filled: this Record writes it
			return b.err
		}
	}
	// Nobody writes: this Record leads its batch. It first yields the processor once, so the
	// goroutines that are about to record (under load, the other requests of this moment) join
	// this write(2) instead of each making their own; alone, it goes on at once.
	w.writing = true
	w.mu.Unlock()
	runtime.Gosched()
	w.mu.Lock()
	w.lead()
	err = b.err
	if b.done == nil {
		batchPool.Put(b) // nobody joined it: nobody reads it any more
	}
	return err
}

// lead writes the batch being filled, then hands the next one (filled meanwhile) to one of its
// own Records, or steps down when there is none. Called with mu held and writing set; returns
// with mu released.
func (w *Writer) lead() {
	b := w.cur
	w.cur = newBatch(w.spare)
	w.spare = nil
	torn := w.torn
	// A background failure noticed before this write fails this batch (taken now, not after the
	// write: a failure the syncer finds meanwhile goes to the next batch, not to Records that
	// started before it).
	pending := w.pending
	w.pending = nil
	w.mu.Unlock()

	partial, err := w.write(b.buf, torn)

	w.mu.Lock()
	switch {
	case err == nil:
		w.torn = false
		w.writes++
		w.lines += int64(b.n)
		w.dirty = true
	case partial:
		w.torn = true
	}
	werr := err
	if pending != nil {
		err = errors.Join(err, pending)
	}
	b.err = err
	if cap(b.buf) <= 1<<20 {
		w.spare = b.buf
	}
	b.buf = nil
	if w.cur.n > 0 {
		w.cur.lead <- struct{}{} // the Records that joined it made its channels
	} else {
		w.writing = false
		w.idle.Broadcast()
	}
	done := b.done
	w.mu.Unlock()
	if done != nil {
		close(done)
	}
	if werr != nil {
		w.errs.add(werr)
	}
}

// write puts one batch into the file (rotating first when it would pass MaxSize) and says
// whether a failed write left part of it there. Only the leader calls it, so it is the only one
// to change f and size.
func (w *Writer) write(buf []byte, torn bool) (partial bool, err error) {
	if w.opts.MaxSize > 0 && w.size > 0 && w.size+int64(len(buf)) > w.opts.MaxSize {
		w.rotate()
	}
	if torn {
		buf = append([]byte{'\n'}, buf...)
	}
	if testHookWrite != nil {
		testHookWrite(w)
	}
	n, err := w.f.Write(buf)
	w.size += int64(n)
	if err != nil {
		return n > 0 || torn, fmt.Errorf("journal %s: %w", w.path, err)
	}
	return false, nil
}

// rotate renames the file PATH.N+1 and starts a new PATH. The old file goes to the syncer to be
// fsynced and closed; removing the oldest beyond Keep is the syncer's job too. A failure leaves
// the writer on the old file (nothing is lost), is reported, and is retried a second later.
func (w *Writer) rotate() {
	if time.Now().Before(w.noRot) {
		return
	}
	next := fmt.Sprintf("%s.%d", w.path, w.seq+1)
	if err := os.Rename(w.path, next); err != nil {
		w.rotateFailed(fmt.Errorf("journal %s: rotate: %w", w.path, err))
		return
	}
	f, size, err := openFile(w.path)
	if err != nil {
		if rerr := os.Rename(next, w.path); rerr != nil {
			err = errors.Join(err, rerr)
		}
		w.rotateFailed(fmt.Errorf("journal %s: rotate: %w", w.path, err))
		return
	}
	w.mu.Lock()
	w.retired = append(w.retired, retiredFile{w.f, next})
	w.f, w.size, w.seq = f, size, w.seq+1
	w.dirDirt = true
	w.mu.Unlock()
	w.poke()
}

// rotateFailed reports a failed rotation; it fails no Record (the lines still go to the old
// file) but Close returns it and OnError hears of it.
func (w *Writer) rotateFailed(err error) {
	w.noRot = time.Now().Add(time.Second)
	w.background(err, false)
}

// background records a failure off the writers' path: Close returns the first one, OnError
// hears of it, and with failNext (an fsync failed: lines may not be on disk) the Records of the
// next batch fail with it too.
func (w *Writer) background(err error, failNext bool) {
	w.mu.Lock()
	if failNext && w.pending == nil {
		w.pending = fmt.Errorf("%w (events journaled before it may not be on disk)", err)
	}
	if w.first == nil {
		w.first = err
	}
	w.mu.Unlock()
	w.errs.add(err)
}

// poke asks the syncer to run now.
func (w *Writer) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Writes is the number of write(2) calls since Open: Lines/Writes is how many events a batch
// carried on average (group commit at work).
func (w *Writer) Writes() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

// Lines is the number of events written since Open.
func (w *Writer) Lines() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lines
}

func (w *Writer) syncLoop() {
	defer w.wg.Done()
	t := time.NewTicker(w.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
		case <-w.kick:
		}
		w.Sync()
	}
}

// Sync fsyncs what was written since the last Sync (and the files rotated away, which it then
// closes, and the directory after a rotation), then removes rotated files beyond Keep. Writes
// go on while it runs. A failure is returned and also reported as a background failure.
func (w *Writer) Sync() error {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return nil
	}
	return w.sync()
}

// retiredFile is a rotated file and its name now.
type retiredFile struct {
	f    *os.File
	name string
}

func (w *Writer) sync() error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	w.mu.Lock()
	f, dirty, retired, dir := w.f, w.dirty, w.retired, w.dirDirt
	w.dirty, w.retired, w.dirDirt = false, nil, false
	w.mu.Unlock()

	var errs []error
	if err := w.unmapRetired(); err != nil { // a rotated file's last copies land before its fsync
		errs = append(errs, err)
	}
	for _, r := range retired {
		if err := r.f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: sync: %w", r.name, err))
		}
		if err := r.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: close: %w", r.name, err))
		}
	}
	if dirty {
		if err := f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: sync: %w", w.path, err))
		}
	}
	if dir {
		if err := syncDir(filepath.Dir(w.path)); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: sync directory: %w", w.path, err))
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		w.background(err, true)
	}
	if dir {
		if perr := errors.Join(w.prune()...); perr != nil {
			w.background(perr, false)
			err = errors.Join(err, perr)
		}
	}
	return err
}

// prune removes the oldest rotated files beyond Keep, and says so (a report over what is left
// no longer holds them).
func (w *Writer) prune() []error {
	if w.opts.Keep == 0 {
		return nil
	}
	rotated, err := RotatedFiles(w.path)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for len(rotated) > w.opts.Keep {
		if err := os.Remove(rotated[0].Path); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: remove the oldest rotated file: %w", rotated[0].Path, err))
		} else {
			w.errs.add(fmt.Errorf("journal %s: %w %s (keep %d)", w.path, ErrPruned, rotated[0].Path, w.opts.Keep))
		}
		rotated = rotated[1:]
	}
	return errs
}

// Close waits for the batch being written, syncs and closes the file. It returns the first
// background failure since Open, if any, beside its own.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for w.writing {
		w.idle.Wait()
	}
	w.mu.Unlock()
	close(w.done)
	w.wg.Wait()

	var merr error
	if w.opts.Mapped {
		merr = w.closeMapped()
	}
	w.mu.Lock()
	w.dirty = true
	first := w.first
	w.mu.Unlock()
	err := errors.Join(merr, w.sync())
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if cerr := w.f.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("journal %s: close: %w", w.path, cerr))
	}
	if first != nil {
		err = errors.Join(fmt.Errorf("journal %s: an earlier background failure: %w", w.path, first), err)
	}
	return err
}

// errorLimiter passes failures on at most once a second, with the count of those held back.
type errorLimiter struct {
	report func(error)
	mu     sync.Mutex
	last   time.Time
	held   int
}

func (l *errorLimiter) add(err error) {
	if l.report == nil {
		return
	}
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.last) < time.Second {
		l.held++
		l.mu.Unlock()
		return
	}
	if l.held > 0 {
		err = fmt.Errorf("%w (and %d more journal messages held back in the last second)", err, l.held)
	}
	l.last, l.held = now, 0
	l.mu.Unlock()
	l.report(err)
}
