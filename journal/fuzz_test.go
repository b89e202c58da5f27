package journal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mockdirector/mockdirector/journal"
)

// FuzzRead feeds the reader arbitrary bytes: it never panics, every line is an event, a bad
// line, the unfinished tail or the reason the input is not a journal, and it never takes more
// events than there are lines (a run of NUL bytes ends a line too: the mapped writer's holes).
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"time":"2026-12-01T10:00:00Z","kind":"http","outcome":"ok"}` + "\n"))
	f.Add([]byte("pools:\n  director:\n"))
	f.Add([]byte(`{"time":"2026-12-01T10:00:00Z","ki` + "\n" + `{"time":"x","kind":"sip"}` + "\n" + `{"a":1}` + "\n\n\r\n"))
	f.Add([]byte(`{"time":"2026-12-01T10:00:00Z","kind":"cls","tls":{"client_cert":{"subject":"\u00e9"}},"duration_ms":1e400}` + "\n"))
	f.Add([]byte(`{"time":"2026-12-01T10:00:00Z","kind":"http","outcome":"ok"}` + "\n{\"time\"\x00\x00" + `{"time":"2026-12-01T10:00:01Z","kind":"sip","outcome":"ok"}` + "\n\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, skipped, err := journal.Read(bytes.NewReader(data))
		var nj *journal.NotJournalError
		if err != nil && !errors.As(err, &nj) {
			t.Fatalf("an in-memory reader failed with %v", err)
		}
		if lines := bytes.Count(data, []byte("\n")) + nulRuns(data) + 1; len(evs)+skipped > lines {
			t.Fatalf("%d events and %d bad lines from %d lines", len(evs), skipped, lines)
		}
		for _, e := range evs {
			if e.Kind == "" {
				t.Fatalf("an event without a kind: %+v", e)
			}
		}
	})
}

// nulRuns counts the runs of NUL bytes in data.
func nulRuns(data []byte) int {
	n := 0
	for i, c := range data {
		if c == 0 && (i == 0 || data[i-1] != 0) {
			n++
		}
	}
	return n
}
