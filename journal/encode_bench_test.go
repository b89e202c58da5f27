package journal_test

import (
	"testing"

	"github.com/mockdirector/mockdirector/journal"
)

// BenchmarkAppendJSON is the encoding of one event (an HTTPS request's), as Record does it.
func BenchmarkAppendJSON(b *testing.B) {
	e := event("https-443", 1)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = journal.AppendJSON(buf[:0], &e); err != nil {
			b.Fatal(err)
		}
	}
}
