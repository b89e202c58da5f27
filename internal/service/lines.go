package service

import (
	"bytes"
	"strings"
	"sync"
)

// LineWriter is an io.Writer that hands each complete line (trailing spaces trimmed, empty
// lines dropped) to emit: the bridge from serve's output to the Windows event log, where
// each line becomes one event.
type LineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string) error
}

// NewLineWriter is the LineWriter that emits through emit.
func NewLineWriter(emit func(line string) error) *LineWriter { return &LineWriter{emit: emit} }

// Write buffers p and emits the lines it completes.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimRight(string(w.buf[:i]), " \r\t")
		w.buf = w.buf[i+1:]
		if line == "" {
			continue
		}
		if err := w.emit(line); err != nil {
			return len(p), err
		}
	}
}

// Flush emits what is left without a newline.
func (w *LineWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	line := strings.TrimSpace(string(w.buf))
	w.buf = nil
	if line == "" {
		return nil
	}
	return w.emit(line)
}
