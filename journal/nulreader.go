package journal

import (
	"bytes"
	"io"
)

// nulLines reads a journal with every run of NUL bytes read as one newline, and a run that
// reaches the end of the file as nothing. A mapped writer leaves NUL bytes where it allocated
// ahead of its lines (the live file's tail, or after a crash) and where a line was being
// copied when the process died: so the line cut there is a line of its own (a bad one), the
// next is whole, and the tail of a live file is its end. JSON escapes NUL, so no event holds one.
type nulLines struct {
	r     io.Reader
	buf   []byte // read from r, not yet returned
	space []byte
	nul   bool // a run of NUL bytes was read and not yet returned as its newline
	err   error
}

func newNulLines(r io.Reader) *nulLines { return &nulLines{r: r, space: make([]byte, 32<<10)} }

func (z *nulLines) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	out := 0
	for out == 0 {
		if len(z.buf) == 0 {
			if z.err != nil {
				return 0, z.err // a NUL run still open here reached the end: nothing
			}
			n, err := z.r.Read(z.space)
			z.buf, z.err = z.space[:n], err
			continue
		}
		for len(z.buf) > 0 && out < len(p) {
			if z.buf[0] == 0 {
				z.nul = true
				z.buf = bytes.TrimLeft(z.buf, "\x00")
				continue
			}
			if z.nul {
				p[out] = '\n'
				out++
				z.nul = false
				continue
			}
			k := bytes.IndexByte(z.buf, 0)
			if k < 0 {
				k = len(z.buf)
			}
			c := copy(p[out:], z.buf[:k])
			out += c
			z.buf = z.buf[c:]
		}
	}
	return out, nil
}
