package journal

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// Writer appends events to a JSON Lines file. Each Record is one write(2) of one whole line made
// before Record returns, so a process killed with SIGKILL loses no event it recorded: the kernel
// has the bytes. fsync (protection against a machine crash) is batched: at most every
// SyncInterval, and on Close. (Group commit, several lines per write(2), was tried and dropped:
// at a mock's load concurrent Records almost never overlap; see bench/.)
type Writer struct {
	mu     sync.Mutex
	f      *os.File
	dirty  bool
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
	path   string
	// lines counts the lines written since Open.
	lines int64
	// torn is set when a write failed part-way: the next line starts with a newline so it
	// does not run into the torn one.
	torn bool
}

// SyncInterval is how often a dirty journal is fsynced.
const SyncInterval = 200 * time.Millisecond

// Open opens (creating, or appending to) a journal file.
func Open(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	w := &Writer{f: f, done: make(chan struct{}), path: path}
	if err := w.repairTail(); err != nil {
		f.Close()
		return nil, err
	}
	w.wg.Add(1)
	go w.syncLoop()
	return w, nil
}

// repairTail ends a line cut by a crash, so the next event starts on a line of its own.
func (w *Writer) repairTail() error {
	st, err := w.f.Stat()
	if err != nil || st.Size() == 0 || !st.Mode().IsRegular() {
		return err
	}
	r, err := os.Open(w.path)
	if err != nil {
		return fmt.Errorf("journal %s: %w", w.path, err)
	}
	defer r.Close()
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, st.Size()-1); err != nil {
		return fmt.Errorf("journal %s: %w", w.path, err)
	}
	if last[0] != '\n' {
		if _, err = w.f.Write([]byte("\n")); err != nil {
			return fmt.Errorf("journal %s: %w", w.path, err)
		}
	}
	return nil
}

// Path is the file the writer appends to.
func (w *Writer) Path() string { return w.path }

// Record writes e as one line, with one write(2), before it returns. Events are encoded outside
// the lock, so concurrent listeners only queue for the write itself.
func (w *Writer) Record(e Event) error {
	b, err := AppendJSON(make([]byte, 0, 768), &e)
	if err != nil {
		return fmt.Errorf("journal %s: %w", w.path, err)
	}
	b = append(b, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("journal %s: closed", w.path)
	}
	if w.torn {
		b = append([]byte{'\n'}, b...)
	}
	if n, err := w.f.Write(b); err != nil {
		w.torn = w.torn || n > 0
		return fmt.Errorf("journal %s: %w", w.path, err)
	}
	w.torn = false
	w.dirty = true
	w.lines++
	return nil
}

// Lines is the number of events written since Open.
func (w *Writer) Lines() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lines
}

func (w *Writer) syncLoop() {
	defer w.wg.Done()
	t := time.NewTicker(SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
			w.Sync()
		}
	}
}

// Sync flushes the file to disk if anything was written since the last Sync. Writes go on
// while it runs; what they add is synced next time.
func (w *Writer) Sync() error {
	w.mu.Lock()
	dirty := w.dirty && !w.closed
	w.dirty = false
	w.mu.Unlock()
	if !dirty {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: sync: %w", w.path, err)
	}
	return nil
}

// Close syncs and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.done)
	w.wg.Wait()
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
