package journal_test

import (
	"path/filepath"
	"testing"

	"github.com/mockdirector/mockdirector/journal"
)

// BenchmarkRecord is Record from as many goroutines as GOMAXPROCS into a real file (rotation
// on): ns per event, allocations, and how many events a write(2) carried.
func BenchmarkRecord(b *testing.B) {
	w, err := journal.OpenWith(filepath.Join(b.TempDir(), "j.jsonl"), journal.Options{MaxSize: 64 << 20, Keep: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	e := event("https-443", 1)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := w.Record(e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(w.Lines())/float64(max(w.Writes(), 1)), "events/write")
}
