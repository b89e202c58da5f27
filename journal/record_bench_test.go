package journal_test

import (
	"path/filepath"
	"testing"

	"github.com/mockdirector/mockdirector/journal"
)

// BenchmarkRecord is Record from 8 goroutines a processor into a real file (rotation on), with
// each writer: ns per event, allocations, and how many events a write(2) carried.
func BenchmarkRecord(b *testing.B) {
	b.Run("group-commit", func(b *testing.B) { benchRecord(b, journal.Options{MaxSize: 64 << 20, Keep: 2}) })
	b.Run("mapped", func(b *testing.B) { benchRecord(b, journal.Options{MaxSize: 64 << 20, Keep: 2, Mapped: true}) })
}

func benchRecord(b *testing.B, o journal.Options) {
	w, err := journal.OpenWith(filepath.Join(b.TempDir(), "j.jsonl"), o)
	if err != nil {
		b.Skip(err) // the mapped writer off Linux
	}
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
	if w.Writes() > 0 {
		b.ReportMetric(float64(w.Lines())/float64(w.Writes()), "events/write")
	}
}
