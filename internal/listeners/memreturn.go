package listeners

import (
	"runtime/debug"
	"sync"
	"time"
)

// Memory after a burst. The Go runtime keeps the heap it grew to and gives it back to the
// kernel slowly (minutes), so after 10,000 connections came (the handshakes' garbage) or went,
// the mock's RSS stays at the peak. memReturn watches the open connection count and, once it
// has moved by MemReturnDelta and then stayed calm for memReturnQuiet, runs
// debug.FreeOSMemory (a GC that returns the free pages), at most every memReturnEvery.
// bench/cmd/idlerss measures it against a GOMEMLIMIT default.
const (
	// MemReturnDelta is the change in open connections that counts as a burst.
	MemReturnDelta = 1000
	memReturnQuiet = 2 * time.Second
	memReturnEvery = 5 * time.Second
)

type memReturn struct {
	mu    sync.Mutex
	mark  int // the open connections at the last return
	timer *time.Timer
	last  time.Time
	free  func() // debug.FreeOSMemory; a test may count calls instead
	// pending is the open count the scheduled return will take as its mark.
	pending int
}

func newMemReturn() *memReturn { return &memReturn{free: debug.FreeOSMemory} }

// note takes the open connection count after a change.
func (m *memReturn) note(open int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := open - m.mark
	if d < MemReturnDelta && -d < MemReturnDelta {
		return
	}
	// A burst: return the memory once it is over (every change restarts the wait).
	if m.timer == nil {
		m.timer = time.AfterFunc(memReturnQuiet, m.fire)
	} else {
		m.timer.Reset(memReturnQuiet)
	}
	m.pending = open
}

func (m *memReturn) fire() {
	m.mu.Lock()
	if wait := memReturnEvery - time.Since(m.last); wait > 0 {
		m.timer.Reset(wait)
		m.mu.Unlock()
		return
	}
	m.mark, m.last = m.pending, time.Now()
	free := m.free
	m.mu.Unlock()
	free()
}
