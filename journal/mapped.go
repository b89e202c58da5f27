package journal

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"
)

// The mapped writer (Options.Mapped): each Record takes its line's place in the file under the
// Writer's mutex (a few instructions: an offset, and now and then an fallocate or a new
// mapping) and copies the line into a shared mapping of the file outside it. No system call and
// no wait on another Record. Under wrk -c64 keep-alive on a 2-core AMD machine with cheap system
// calls, CPU a request over no journal at all: mapped +1.1 us, a write(2) a line +2.3, group
// commit +4.0 (quiet hour, alternated); when the machine was loaded by its neighbours, mapped
// +3.4 (Record 2.6, of it 1.3 in page faults; fsync 0.8) and group commit 9% dearer still. Most
// of the mapped cost is the page fault of the first store into each page (memmove in profiles).
// Faulting the next window in ahead from a goroutine of its own (MADV_POPULATE_WRITE) was tried
// and not kept: every fsync write-protects the pages again, so the stores fault all the same,
// and the populated pages of zeros are written to disk.
//
// The price is in what the live file looks like: blocks are allocated ahead of the lines, so
// while serve runs the file ends with up to allocStep NUL bytes, and `tail -f` (which follows
// the file's size) shows nothing new until serve stops. Readers of this package treat a run of
// NUL bytes as a line break and a NUL tail as the end of the journal; Close and rotation cut
// the tail, and the next Open cuts the one a crash left.

// recordMapped places line in the file and copies it into the mapping.
func (w *Writer) recordMapped(line []byte) error {
	n := int64(len(line))
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fmt.Errorf("journal %s: closed", w.path)
	}
	if w.broken != nil {
		err := w.broken
		w.mu.Unlock()
		return err
	}
	var rerr error
	if w.opts.MaxSize > 0 && w.size > 0 && w.size+n > w.opts.MaxSize && !time.Now().Before(w.noRot) {
		if rerr = w.rotateMapped(); rerr != nil {
			w.noRot = time.Now().Add(time.Second)
		}
	}
	off := w.size
	win, err := w.room(off, n)
	if err != nil {
		w.mu.Unlock()
		err = fmt.Errorf("journal %s: %w", w.path, err)
		w.errs.add(err)
		if rerr != nil {
			w.background(rerr, false)
		}
		return err
	}
	w.size += n
	w.lines++
	w.dirty = true
	pending := w.pending
	w.pending = nil
	win.pending.Add(1) // before the unlock: nobody unmaps win while this copy runs
	w.mu.Unlock()
	cerr := copyLine(win.mem[off-win.base:], line)
	win.pending.Add(-1)
	if rerr != nil {
		w.background(rerr, false)
	}
	if cerr != nil {
		err := fmt.Errorf("journal %s: %w", w.path, cerr)
		w.mu.Lock()
		if w.broken == nil {
			w.broken = err
		}
		w.mu.Unlock()
		w.errs.add(err)
		return err
	}
	return pending
}

// copyLine copies a line into the mapping. Another program that cuts the file short (a
// truncate, logrotate's copytruncate) leaves the mapped pages past its new end without a file
// behind them; a store there is a fault, which this turns into an error (the Record fails, the
// client gets its 503) instead of the end of the process.
func copyLine(dst, src []byte) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (%v): open it again, and rotate a mapped journal by its size limit (Options.MaxSize), not by truncating it", ErrCut, r)
		}
	}()
	copy(dst, src)
	return nil
}

// room makes [off, off+n) of the file allocated and mapped, and returns the window that holds
// it. Called with mu held.
func (w *Writer) room(off, n int64) (*window, error) {
	if end := off + n; end > w.alloc {
		to := (end + allocStep - 1) / allocStep * allocStep
		if err := allocate(w.f, w.alloc, to); err != nil {
			return nil, fmt.Errorf("allocate the next %d bytes: %w", to-w.alloc, err)
		}
		w.alloc = to
	}
	if win := w.win; win != nil && off >= win.base && off+n <= win.base+int64(len(win.mem)) {
		return win, nil
	}
	win, err := mapWindow(w.f, off, n)
	if err != nil {
		return nil, err
	}
	if w.win != nil {
		w.unmaps = append(w.unmaps, w.win)
		w.poke()
	}
	w.win = win
	return win, nil
}

// rotateMapped renames the file PATH.N+1 and starts a new PATH, as rotate does, after cutting
// the old file's allocated tail (every line placed in it lies before size; the copies still
// under way finish in the old mapping, which the syncer unmaps). Called with mu held; a failure
// leaves the writer on the old file.
func (w *Writer) rotateMapped() error {
	if err := w.cutTail(); err != nil {
		return fmt.Errorf("journal %s: rotate: %w", w.path, err)
	}
	w.alloc = w.size
	next := fmt.Sprintf("%s.%d", w.path, w.seq+1)
	if err := os.Rename(w.path, next); err != nil {
		return fmt.Errorf("journal %s: rotate: %w", w.path, err)
	}
	f, size, err := openFileFor(w.path, true)
	if err != nil {
		if rerr := os.Rename(next, w.path); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("journal %s: rotate: %w", w.path, err)
	}
	w.retired = append(w.retired, retiredFile{w.f, next})
	if w.win != nil {
		w.unmaps = append(w.unmaps, w.win)
	}
	w.f, w.size, w.alloc, w.win, w.seq = f, size, size, nil, w.seq+1
	w.dirDirt = true
	w.poke()
	return nil
}

// cutTail cuts the file to its lines, unless another program cut it shorter already (then a
// truncate would grow it back with NUL bytes).
func (w *Writer) cutTail() error {
	st, err := w.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() <= w.size {
		return nil
	}
	return w.f.Truncate(w.size)
}

// unmapRetired unmaps the windows the writer moved on from (waiting for their last copies).
// The syncer calls it before it fsyncs, so a rotated file's lines are all in before its fsync.
func (w *Writer) unmapRetired() error {
	w.mu.Lock()
	wins := w.unmaps
	w.unmaps = nil
	w.mu.Unlock()
	var errs []error
	for _, win := range wins {
		if err := win.unmap(); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: unmap: %w", w.path, err))
		}
	}
	return errors.Join(errs...)
}

// closeMapped waits for the copies under way, unmaps the window and cuts the file to its lines.
// Called by Close once no Record can start.
func (w *Writer) closeMapped() error {
	var errs []error
	if w.win != nil {
		if err := w.win.unmap(); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: unmap: %w", w.path, err))
		}
		w.win = nil
	}
	if err := w.unmapRetired(); err != nil {
		errs = append(errs, err)
	}
	if err := w.cutTail(); err != nil {
		errs = append(errs, fmt.Errorf("journal %s: cut the allocated tail: %w", w.path, err))
	}
	return errors.Join(errs...)
}
