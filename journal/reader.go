package journal

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxLine is the longest line the reader takes as an event; a longer one is a bad line (and is
// skipped without being held in memory).
const MaxLine = 1 << 20

// MaxBadLines is how many bad lines Stats keeps by name; the rest are counted.
const MaxBadLines = 20

// BadLine is a line of a journal that is not an event: file, line number, why, and a short
// escaped prefix of what is there.
type BadLine struct {
	File   string
	Line   int
	Reason string
	Prefix string
}

// String is "file:line: reason: prefix".
func (b BadLine) String() string {
	s := fmt.Sprintf("%s:%d: %s", b.File, b.Line, b.Reason)
	if b.Prefix != "" {
		s += ": " + b.Prefix
	}
	return s
}

// Stats is what reading journals found beside the events: the files read, bad lines (the first
// MaxBadLines named, all counted) and lines still being written at the end of a live file.
type Stats struct {
	Files  []string
	Events int
	// Bad names the first MaxBadLines lines that are not events; BadCount counts them all.
	Bad      []BadLine
	BadCount int
	// Unfinished counts last lines without their newline (an event still being written).
	Unfinished int
}

// NotJournalError is returned when a file does not start with an event: it is not a journal
// (a YAML file, the prober's JSON, a binary file).
type NotJournalError struct{ BadLine }

func (e *NotJournalError) Error() string {
	return fmt.Sprintf("%s:%d: not a journal, its first line is %s: %s", e.File, e.Line, e.Reason, e.Prefix)
}

// RotatedFile is one file a Writer rotated away: PATH.Seq.
type RotatedFile struct {
	Path string
	Seq  int
}

// RotatedFiles lists the rotated files of path (PATH.1, PATH.2, ...), oldest first.
func RotatedFiles(path string) ([]RotatedFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	var out []RotatedFile
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok || e.IsDir() {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n <= 0 || strconv.Itoa(n) != rest {
			continue
		}
		out = append(out, RotatedFile{Path: filepath.Join(dir, e.Name()), Seq: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// SetFiles is the files of the journal path in the order they were written: its rotated files,
// oldest first, then path itself. It is fs.ErrNotExist when there is none of them.
func SetFiles(path string) ([]string, error) {
	rotated, err := RotatedFiles(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, r := range rotated {
		files = append(files, r.Path)
	}
	if _, err := os.Stat(path); err == nil {
		files = append(files, path)
	} else if !errors.Is(err, fs.ErrNotExist) || len(files) == 0 {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return files, nil
}

// openSet opens every file of a journal set (SetFiles) at once. Scan reads a set for as long
// as it takes (serve's admin folds its history while serve goes on writing), and rotation
// renames the live file and prunes the oldest meanwhile: under handles opened together the
// files stay readable whatever they are renamed to or removed. The set is listed again once
// the files are open; if it changed in between (a rotation between the listing and the
// opening), the handles are dropped and the set opened again, a few times at most.
func openSet(path string) ([]string, []*os.File, error) {
	const attempts = 10
	for try := 1; ; try++ {
		names, err := SetFiles(path)
		if err != nil {
			return nil, nil, err
		}
		files := make([]*os.File, 0, len(names))
		var oerr error
		for _, n := range names {
			f, err := openRead(n)
			if err != nil {
				oerr = err
				break
			}
			files = append(files, f)
		}
		if oerr == nil && sameSet(path, names, files) {
			return names, files, nil
		}
		closeFiles(files)
		if try == attempts {
			if oerr != nil {
				return nil, nil, fmt.Errorf("journal: %w", oerr)
			}
			return nil, nil, fmt.Errorf("journal %s: its files changed under each of %d attempts to open them as one set (rotating that fast?)", path, attempts)
		}
	}
}

// sameSet reports whether the set at path is still names, each name still the file opened.
func sameSet(path string, names []string, files []*os.File) bool {
	again, err := SetFiles(path)
	if err != nil || !slices.Equal(again, names) {
		return false
	}
	for i, f := range files {
		a, err1 := f.Stat()
		b, err2 := os.Stat(names[i])
		if err1 != nil || err2 != nil || !os.SameFile(a, b) {
			return false
		}
	}
	return true
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

// lineReader streams the events of one file. Memory is bounded by MaxLine whatever the size of
// the file.
type lineReader struct {
	name  string
	br    *bufio.Reader
	line  int
	first bool // no line read yet
	last  bool // the last file of a set: an unfinished last line is being written, not bad
	stats *Stats
	long  []byte
}

func newLineReader(r io.Reader, name string, last bool, st *Stats) *lineReader {
	return &lineReader{name: name, br: bufio.NewReaderSize(newNulLines(r), 64<<10), first: true, last: last, stats: st}
}

// next returns the next event; io.EOF at the end; a *NotJournalError when the first line is not
// an event; another error when the file cannot be read.
func (lr *lineReader) next() (Event, error) {
	for {
		b, whole, err := lr.readLine()
		if err != nil && (len(b) == 0 || !errors.Is(err, io.EOF)) {
			return Event{}, err
		}
		if len(b) == 0 && whole {
			lr.line++ // an empty line
			continue
		}
		lr.line++
		if !whole {
			// The last line has no newline: in the live file, an event still being written.
			if lr.last && (!lr.first || looksLikeEvent(b)) {
				lr.stats.Unfinished++
				return Event{}, io.EOF
			}
			if bad := lr.bad("a line cut short (no newline at the end of a rotated file)", b); bad != nil {
				return Event{}, bad
			}
			return Event{}, io.EOF
		}
		if len(b) > MaxLine {
			if bad := lr.bad(fmt.Sprintf("a line longer than %d bytes", MaxLine), b); bad != nil {
				return Event{}, bad
			}
			continue
		}
		var e Event
		if err := json.Unmarshal(b, &e); err != nil {
			if bad := lr.bad("not a JSON event ("+jsonReason(err)+")", b); bad != nil {
				return Event{}, bad
			}
			continue
		}
		if e.Kind == "" {
			if bad := lr.bad(`a JSON object without an event "kind"`, b); bad != nil {
				return Event{}, bad
			}
			continue
		}
		lr.first = false
		lr.stats.Events++
		return e, nil
	}
}

// readLine reads one line without its newline; whole says whether it ended with one. A line
// longer than MaxLine is returned as its first MaxLine+1 bytes, the rest dropped unread into
// memory.
func (lr *lineReader) readLine() (line []byte, whole bool, err error) {
	lr.long = lr.long[:0]
	over := false
	for {
		frag, err := lr.br.ReadSlice('\n')
		if room := MaxLine + 1 - len(lr.long); len(frag) > room {
			frag, over = frag[:room], true
		}
		lr.long = append(lr.long, frag...)
		switch {
		case err == nil:
			b := lr.long
			if !over {
				b = bytes.TrimSuffix(b[:len(b)-1], []byte("\r"))
			}
			return b, true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return lr.long, false, err
		}
	}
}

// bad counts a bad line; on the first line of a file it is the file's NotJournalError.
func (lr *lineReader) bad(reason string, b []byte) error {
	bl := BadLine{File: lr.name, Line: lr.line, Reason: reason, Prefix: prefix(b)}
	if lr.first {
		if looksLikeEvent(b) {
			// A first event cut by a crash and ended by the writer's next start: a journal.
			lr.first = false
		} else {
			return &NotJournalError{bl}
		}
	}
	lr.stats.BadCount++
	if len(lr.stats.Bad) < MaxBadLines {
		lr.stats.Bad = append(lr.stats.Bad, bl)
	}
	return nil
}

// looksLikeEvent is whether a line starts as the writer starts every event.
func looksLikeEvent(b []byte) bool { return bytes.HasPrefix(b, []byte(`{"time":"`)) }

// prefix is the start of a bad line, escaped, for a message.
func prefix(b []byte) string {
	const n = 60
	cut := len(b) > n
	if cut {
		b = b[:n]
	}
	s := strconv.Quote(string(b))
	if cut {
		s += "..."
	}
	return s
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return err.Error()
}

// Scan streams the events of one or more journals to fn, each journal being a path and its
// rotated files (SetFiles). Several journals (the members of a pool) are merged by time as they
// are read; memory does not grow with their size. It stops at the first error of fn, at a file
// that is not a journal (*NotJournalError) or one that cannot be read; bad lines in the middle
// of a file are counted and named in Stats.
func Scan(paths []string, fn func(Event) error) (Stats, error) {
	var st Stats
	var h streamHeap
	// A closure: `defer h.close()` would bind the empty heap of this line, and an early return
	// (the callback's error) would leave every file open.
	defer func() { h.close() }()
	for _, p := range paths {
		files, handles, err := openSet(p)
		if err != nil {
			return st, err
		}
		st.Files = append(st.Files, files...)
		s := &stream{order: len(h), files: files, handles: handles, stats: &st}
		ok, err := s.advance()
		if err != nil {
			s.closeAll()
			return st, err
		}
		if ok {
			h = append(h, s)
		} else {
			s.closeAll()
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		s := h[0]
		if err := fn(s.head); err != nil {
			return st, err
		}
		ok, err := s.advance()
		if err != nil {
			return st, err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			s.close()
			heap.Pop(&h)
		}
	}
	return st, nil
}

// stream is one journal (its rotated files, then the file) read event by event.
type stream struct {
	order   int // which journal of Scan's paths
	files   []string
	handles []*os.File // files, opened together (openSet); nil once read
	i       int
	f       *os.File
	lr      *lineReader
	head    Event
	stats   *Stats
}

// advance reads the next event into head; false at the end of the last file.
func (s *stream) advance() (bool, error) {
	for {
		if s.lr == nil {
			if s.i == len(s.files) {
				return false, nil
			}
			name, f := s.files[s.i], s.handles[s.i]
			s.handles[s.i] = nil
			s.f = f
			s.lr = newLineReader(f, name, s.i == len(s.files)-1, s.stats)
			s.i++
		}
		e, err := s.lr.next()
		if err == nil {
			s.head = e
			return true, nil
		}
		if !errors.Is(err, io.EOF) {
			var nj *NotJournalError
			if errors.As(err, &nj) {
				return false, err
			}
			return false, fmt.Errorf("journal %s: %w", s.lr.name, err)
		}
		s.close()
	}
}

// close closes the file being read; closeAll also the ones not reached yet.
func (s *stream) close() {
	if s.f != nil {
		s.f.Close()
		s.f, s.lr = nil, nil
	}
}

func (s *stream) closeAll() {
	s.close()
	closeFiles(s.handles)
}

// streamHeap orders streams by the time of their next event (the earlier journal first on a tie).
type streamHeap []*stream

func (h streamHeap) Len() int { return len(h) }
func (h streamHeap) Less(i, j int) bool {
	if !h[i].head.Time.Equal(h[j].head.Time) {
		return h[i].head.Time.Before(h[j].head.Time)
	}
	return h[i].order < h[j].order
}
func (h streamHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *streamHeap) Push(x any)   { *h = append(*h, x.(*stream)) }
func (h *streamHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}
func (h streamHeap) close() {
	for _, s := range h {
		s.closeAll()
	}
}

// ReadFile reads every whole event of a journal and its rotated files. A line cut short by a
// crash (the writer ends it on its next start) or still being written is skipped; a file that
// is not a journal is an error naming it and its first line. Prefer Scan for large journals.
func ReadFile(path string) ([]Event, error) {
	var out []Event
	_, err := Scan([]string{path}, func(e Event) error { out = append(out, e); return nil })
	return out, err
}

// Read decodes JSON Lines events from r and counts the lines it skipped as cut or unreadable.
// An unfinished last line (an event still being written) is not counted. A first line that is
// not an event is a *NotJournalError.
func Read(r io.Reader) (out []Event, skipped int, err error) {
	var st Stats
	lr := newLineReader(r, "journal", true, &st)
	for {
		e, err := lr.next()
		if errors.Is(err, io.EOF) {
			return out, st.BadCount, nil
		}
		if err != nil {
			return out, st.BadCount, err
		}
		out = append(out, e)
	}
}

// Merge reads several journals (the members of one pool) into one time-ordered list.
func Merge(paths ...string) ([]Event, error) {
	var all []Event
	if _, err := Scan(paths, func(e Event) error { all = append(all, e); return nil }); err != nil {
		return nil, err
	}
	// Each journal is in the order its events were written, which is time order give or take
	// the concurrency of the listeners; sorting makes the merged list exact.
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all, nil
}
