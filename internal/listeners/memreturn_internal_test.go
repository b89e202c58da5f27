package listeners

import (
	"sync/atomic"
	"testing"
	"time"
)

// A burst of MemReturnDelta connections, then calm: the memory is returned once; small moves
// return nothing; the burst of closes that follows is returned too.
func TestMemReturnAfterBurst(t *testing.T) {
	var freed atomic.Int32
	m := newMemReturn()
	m.free = func() { freed.Add(1) }
	for i := 1; i <= MemReturnDelta; i++ {
		m.note(i)
	}
	waitFor(t, func() bool { return freed.Load() == 1 }, "the burst of opens is returned")
	m.note(MemReturnDelta + MemReturnDelta/2)
	time.Sleep(memReturnQuiet + 500*time.Millisecond)
	if freed.Load() != 1 {
		t.Fatalf("a move below MemReturnDelta returned memory (%d calls)", freed.Load())
	}
	m.note(0)
	waitFor(t, func() bool { return freed.Load() == 2 }, "the burst of closes is returned")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(3 * (memReturnQuiet + memReturnEvery))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("never: " + what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
