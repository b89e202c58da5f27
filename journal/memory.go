package journal

import (
	"slices"
	"sync"
)

// Memory is a Recorder that keeps events in memory, for tests and in-process labs.
type Memory struct {
	mu     sync.Mutex
	events []Event
}

// Record keeps e.
func (m *Memory) Record(e Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, e)
	return nil
}

// Events returns a copy of what was recorded so far, in order.
func (m *Memory) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

// Where returns the recorded events for which keep is true.
func (m *Memory) Where(keep func(Event) bool) []Event {
	var out []Event
	for _, e := range m.Events() {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}
