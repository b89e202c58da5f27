package yamlsafe

import (
	"errors"
	"fmt"
	"strings"
)

// MaxProblems is how many problems Problems.Err lists before it summarises the rest: a 10 MB
// file of repeated rows must not print 11 MB of messages.
const MaxProblems = 20

// Problems collects the validation problems of one file, each a line of the final error.
type Problems struct {
	lines []string
	more  int
}

// Add records a problem; beyond MaxProblems only the count is kept.
func (p *Problems) Add(format string, args ...any) {
	if len(p.lines) >= MaxProblems {
		p.more++
		return
	}
	p.lines = append(p.lines, fmt.Sprintf(format, args...))
}

// Len is the number of problems recorded, listed or not.
func (p *Problems) Len() int { return len(p.lines) + p.more }

// Err joins the problems into one error, one a line, ending "... and 12,345 more" when some
// were not listed; nil when there are none.
func (p *Problems) Err() error {
	if p.Len() == 0 {
		return nil
	}
	lines := p.lines
	if p.more > 0 {
		lines = append(lines[:len(lines):len(lines)], fmt.Sprintf("... and %s more", thousands(p.more)))
	}
	return errors.New(strings.Join(lines, "\n"))
}

// thousands prints n with comma separators: 12345 -> "12,345".
func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
