package listeners

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// A request is answered on a worker when one is free, on the caller's goroutine when every
// worker is busy (never queued behind a slow answer), and run returns only once it is answered.
func TestSIPWorkersNeverQueue(t *testing.T) {
	w := newSIPWorkers(1)
	defer w.close()
	release, started := make(chan struct{}), make(chan struct{})
	var answered atomic.Int32
	slow := w.run(func(*sip.Request, sip.ServerTransaction) { close(started); <-release; answered.Add(1) })
	fast := w.run(func(*sip.Request, sip.ServerTransaction) { answered.Add(1) })
	done := make(chan struct{})
	go func() { slow(nil, nil); close(done) }()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the first request was never answered")
	}
	fastDone := make(chan struct{})
	go func() { fast(nil, nil); close(fastDone) }() // the only worker is busy: answered by its caller, at once
	select {
	case <-fastDone:
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("a request waited for a busy worker instead of being answered")
	}
	if answered.Load() != 1 {
		t.Fatalf("with the worker busy, %d answers instead of the fast one alone", answered.Load())
	}
	select {
	case <-done:
		t.Fatal("run returned before its answer")
	default:
	}
	close(release)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the slow answer never returned")
	}
	if answered.Load() != 2 {
		t.Fatalf("%d answers, want 2", answered.Load())
	}
}
