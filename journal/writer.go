package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Writer appends events to a JSON Lines file. Each Record puts its own line in the file with
// one write(2) to a file opened O_APPEND, so the kernel places every line whole at the end, and
// returns once the line is there (the kernel has the bytes): a process killed with SIGKILL loses
// no event it answered for. No user-space lock is held across the write, so no Record waits for
// another's (group commit, where one writer writes the lines of those who queued behind it, was
// measured slower under load: the queued Records parked and woke, and that cost more than the
// write(2)s it saved; see bench/journalcost.sh). fsync (protection against a machine crash) runs
// on a goroutine of its own, at most every SyncInterval and on Close, never on a writer's path.
// With MaxSize set the file is rotated (see Options); ReadSet and Scan read the rotated files
// back as one journal.
//
// A failed write fails its Record; a failed background fsync or rotation fails the next Record,
// is returned by Close and is passed to Options.OnError, so a journal that stopped being safe is
// never silent.
type Writer struct {
	path string
	opts Options

	// file is shared by the writers (each appends under the read lock) and swapped by rotation
	// and Close, which take the write lock: no write(2) ever goes to a closed descriptor.
	file  sync.RWMutex
	f     *os.File
	out   appender  // f's raw append (append_*.go)
	seq   int       // the suffix of the newest rotated file
	noRot time.Time // no rotation attempt before this (after a failed one)
	// closing is set when Close begins, before it takes the write lock: a Record that gets the
	// read lock after that sees it, so none writes once Close holds the lock.
	closing atomic.Bool

	size    atomic.Int64          // bytes in f
	lines   atomic.Int64          // lines written since Open
	dirty   atomic.Bool           // written since the last fsync
	torn    atomic.Bool           // a write failed part-way: the next line starts on a new line
	pending atomic.Pointer[error] // a background failure the next Record reports

	mu      sync.Mutex    // guards retired, dirDirt, first
	retired []retiredFile // rotated files still to be fsynced and closed by the syncer
	dirDirt bool          // a rename or create to fsync in the directory
	first   error         // the first background failure, for Close
	syncMu  sync.Mutex    // one sync at a time
	kick    chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
	errs    errorLimiter
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
}

// ErrPruned is what OnError hears when the oldest rotated file was removed beyond Keep: a
// notice, not a failure.
var ErrPruned = errors.New("removed the oldest rotated file")

// testHookWrite, when set (by tests only), runs before each write(2).
var testHookWrite func(*Writer)

// SyncInterval is how often a dirty journal is fsynced by default.
const SyncInterval = 200 * time.Millisecond

// linePool holds the buffers events are encoded into.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

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
	f, size, err := openFile(path)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		o.MaxSize = 0 // never rename a device or a pipe (--journal /dev/null)
	}
	rotated, err := RotatedFiles(path)
	if err != nil {
		f.Close()
		return nil, err
	}
	w := &Writer{path: path, opts: o, f: f, out: newAppender(f), kick: make(chan struct{}, 1), done: make(chan struct{})}
	w.size.Store(size)
	if n := len(rotated); n > 0 {
		w.seq = rotated[n-1].Seq
	}
	w.errs.report = o.OnError
	w.wg.Add(1)
	go w.syncLoop()
	return w, nil
}

// openFile opens path for appending (0600: the journal names sources and certificate subjects)
// and ends a line cut by a crash, so the next event starts on a line of its own.
func openFile(path string) (*os.File, int64, error) {
	f, err := openAppend(path) // open_*.go: on Windows with FILE_SHARE_DELETE, so rotation can rename it
	if err != nil {
		return nil, 0, fmt.Errorf("journal %s: %w", path, err)
	}
	size, err := repairTail(f, path)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, size, nil
}

func repairTail(f *os.File, path string) (int64, error) {
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
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, st.Size()-1); err != nil {
		return 0, fmt.Errorf("journal %s: %w", path, err)
	}
	if last[0] == '\n' {
		return st.Size(), nil
	}
	if _, err = f.Write([]byte("\n")); err != nil {
		return 0, fmt.Errorf("journal %s: %w", path, err)
	}
	return st.Size() + 1, nil
}

// Path is the file the writer appends to.
func (w *Writer) Path() string { return w.path }

// Record writes e as one line and returns once the line is in the file. The event is encoded
// and written without a lock that other Records wait on; only rotation and Close hold them back.
func (w *Writer) Record(e Event) error {
	if w.closing.Load() {
		return fmt.Errorf("journal %s: closed", w.path)
	}
	lp := linePool.Get().(*[]byte)
	line, err := AppendJSON((*lp)[:0], &e)
	if err != nil {
		return fmt.Errorf("journal %s: %w", w.path, err)
	}
	line = append(line, '\n')
	err = w.append(line)
	if cap(line) <= 64<<10 {
		*lp = line
		linePool.Put(lp)
	}
	return err
}

// append puts one line into the file, rotating first when it would pass MaxSize.
func (w *Writer) append(line []byte) error {
	w.file.RLock()
	if w.closing.Load() {
		w.file.RUnlock()
		return fmt.Errorf("journal %s: closed", w.path)
	}
	if w.opts.MaxSize > 0 {
		if size := w.size.Load(); size > 0 && size+int64(len(line)) > w.opts.MaxSize && time.Now().After(w.noRot) {
			w.file.RUnlock()
			w.rotateFor(int64(len(line)))
			w.file.RLock()
			if w.closing.Load() {
				w.file.RUnlock()
				return fmt.Errorf("journal %s: closed", w.path)
			}
		}
	}
	// A background failure noticed before this write fails this Record (taken now, not after the
	// write: a failure the syncer finds meanwhile goes to the next Record, not to one that
	// started before it).
	pending := w.pending.Swap(nil)
	torn := w.torn.Load()
	if torn {
		line = append([]byte{'\n'}, line...)
	}
	if testHookWrite != nil {
		testHookWrite(w)
	}
	n, err := w.out.append(line)
	w.size.Add(int64(n))
	w.file.RUnlock()
	if err != nil {
		if n > 0 || torn {
			w.torn.Store(true)
		}
		err = fmt.Errorf("journal %s: %w", w.path, err)
		w.errs.add(err)
	} else {
		if torn {
			w.torn.CompareAndSwap(true, false)
		}
		w.lines.Add(1)
		w.dirty.Store(true)
	}
	if pending != nil {
		err = errors.Join(err, *pending)
	}
	return err
}

// rotateFor rotates the file unless another Record did while this one waited for the lock.
func (w *Writer) rotateFor(n int64) {
	w.file.Lock()
	defer w.file.Unlock()
	if !w.closing.Load() && w.size.Load() > 0 && w.size.Load()+n > w.opts.MaxSize {
		w.rotate()
	}
}

// rotate renames the file PATH.N+1 and starts a new PATH. The old file goes to the syncer to be
// fsynced and closed; removing the oldest beyond Keep is the syncer's job too. A failure leaves
// the writer on the old file (nothing is lost), is reported, and is retried a second later.
// Called with the file lock held (no write under way).
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
	w.dirDirt = true
	w.mu.Unlock()
	w.f, w.out, w.seq = f, newAppender(f), w.seq+1
	w.size.Store(size)
	w.poke()
}

// rotateFailed reports a failed rotation; it fails no Record (the lines still go to the old
// file) but Close returns it and OnError hears of it.
func (w *Writer) rotateFailed(err error) {
	w.noRot = time.Now().Add(time.Second)
	w.background(err, false)
}

// background records a failure off the writers' path: Close returns the first one, OnError
// hears of it, and with failNext (an fsync failed: lines may not be on disk) the next Record
// fails with it too.
func (w *Writer) background(err error, failNext bool) {
	if failNext {
		p := fmt.Errorf("%w (events journaled before it may not be on disk)", err)
		w.pending.CompareAndSwap(nil, &p)
	}
	w.mu.Lock()
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

// Writes is the number of write(2) calls since Open (one a line).
func (w *Writer) Writes() int64 { return w.lines.Load() }

// Lines is the number of events written since Open.
func (w *Writer) Lines() int64 { return w.lines.Load() }

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
	if w.closing.Load() {
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
	// The file lock keeps f open (rotation hands the old one to retired, Close waits for syncMu).
	w.file.RLock()
	f := w.f
	w.file.RUnlock()
	dirty := w.dirty.Swap(false)
	w.mu.Lock()
	retired, dir := w.retired, w.dirDirt
	w.retired, w.dirDirt = nil, false
	w.mu.Unlock()

	var errs []error
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

// Close waits for the writes under way, refuses new Records, syncs and closes the file. It
// returns the first background failure since Open, if any, beside its own.
func (w *Writer) Close() error {
	if w.closing.Swap(true) {
		return nil
	}
	// The write lock waits for the writes under way (later Records see closing); then the
	// syncer is told to stop.
	w.file.Lock()
	close(w.done)
	w.file.Unlock()
	w.wg.Wait()

	w.mu.Lock()
	first := w.first
	w.mu.Unlock()
	w.dirty.Store(true)
	err := w.sync()
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
