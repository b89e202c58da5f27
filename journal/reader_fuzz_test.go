package journal_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/mockdirector/mockdirector/journal"
)

// FuzzReadRoundTrip feeds the journal reader arbitrary bytes: every event it returns must
// survive the writer's own encoder unchanged (AppendJSON, then Read again), so report sees what
// serve wrote. (FuzzRead checks the reader's accounting of lines.)
func FuzzReadRoundTrip(f *testing.F) {
	ev := journal.Event{
		Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Kind: journal.KindHTTP, Role: "director", Member: "dir01",
		Listener: "https-443", Protocol: "https", Port: 443, Transport: "tcp", Local: "127.0.0.1:443", Remote: "127.0.0.9:5000",
		TLS:     &journal.TLSInfo{Version: "TLS 1.3", SNI: "dir-pool", ClientCert: &journal.CertInfo{Subject: "CN=x", Verified: true}},
		HTTP:    &journal.HTTPInfo{Method: "GET", Path: "/", Host: "h", XForwardedFor: "192.0.2.1", Status: 200},
		Outcome: journal.OutcomeOK, DurationMS: 1.5,
	}
	line, err := json.Marshal(ev)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append(line, '\n'))
	f.Add([]byte(`{"time":"2026-01-01T00:00:00Z","kind":"sip","sip":{"method":"OPTIONS","status":200}}` + "\n" + `{"cut`))
	f.Add([]byte("\n\n{}\n[1]\nnull\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, _, err := journal.Read(bytes.NewReader(data))
		var nj *journal.NotJournalError
		if err != nil && !errors.As(err, &nj) {
			t.Fatalf("reading from memory failed: %v", err)
		}
		for _, e := range evs {
			b, err := journal.AppendJSON(nil, &e)
			if err != nil {
				continue // the encoder refuses what it cannot write (a year past 9999, say)
			}
			back, skipped, err := journal.Read(bytes.NewReader(append(b, '\n')))
			if err != nil || skipped != 0 || len(back) != 1 {
				t.Fatalf("the encoder's line %q reads back as %d events, %d skipped, %v", b, len(back), skipped, err)
			}
			want, _ := json.Marshal(e)
			got, _ := json.Marshal(back[0])
			if !bytes.Equal(want, got) {
				t.Fatalf("round trip changed the event:\n in  %s\n out %s\n line %s", want, got, b)
			}
		}
	})
}
