package admin

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/journal"
)

// MaxPendingEvents is how many live events the admin holds while the journal's history still
// loads; they are folded into the matrix after the history, in the order they came. Beyond it
// they go into the matrix at once (History.Direct): its row states follow the events' times,
// not their order, so they come out the same; only the HLB monitor intervals may show a gap.
const MaxPendingEvents = 50_000

// History is the state of the background load of the journal's earlier events.
type History struct {
	// Loading is true until every earlier event was folded into the matrix.
	Loading bool `json:"loading"`
	// Events is the earlier events folded so far.
	Events int `json:"events"`
	// Pending is the live events held until the load is done; Direct those beyond
	// MaxPendingEvents, folded at once.
	Pending int `json:"pending,omitempty"`
	Direct  int `json:"direct,omitempty"`
	// BadLines counts unreadable journal lines skipped; Error says why the load stopped early.
	BadLines int    `json:"bad_lines,omitempty"`
	Error    string `json:"error,omitempty"`
	// Since is when the load started; Done when it ended.
	Since time.Time  `json:"since,omitzero"`
	Done  *time.Time `json:"done,omitempty"`
}

// Text is the one line the page and the API show ("" when there is nothing to say).
func (h History) Text() string {
	switch {
	case h.Loading:
		return fmt.Sprintf("loading history (%d events so far)", h.Events)
	case h.Error != "":
		return "history not read: " + h.Error + "; the matrix holds the events since start"
	}
	return ""
}

// history is the load's state and the live events held meanwhile.
type history struct {
	mu      sync.Mutex
	state   History
	pending []journal.Event
	recent  []journal.Event // the last RecentEvents earlier events, for the event list
}

// queue holds e while the history loads and reports whether it did.
func (h *history) queue(e journal.Event) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.state.Loading {
		return false
	}
	if len(h.pending) >= MaxPendingEvents {
		h.state.Direct++
		return false
	}
	h.pending = append(h.pending, e)
	h.state.Pending = len(h.pending)
	return true
}

func (h *history) snapshot() History {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}

var errStopped = errors.New("admin closed")

// LoadHistory folds the events of the journal serve appends to (and its rotated files) from
// before this admin started into the matrix, in the background: a streaming fold over
// journal.Scan, so memory does not grow with the journal, while the admin already answers
// (loading=true and the count so far in /api/info and /api/matrix). Live events that arrive
// meanwhile count in /metrics and the event stream at once and join the matrix after the
// history (at most MaxPendingEvents). A missing journal is no history. Call it once, before
// the table's listeners start; done is closed when the load ends.
func (s *Server) LoadHistory(paths []string) (done <-chan struct{}) {
	h := s.hist
	h.mu.Lock()
	h.state.Loading, h.state.Since = true, time.Now().UTC()
	h.mu.Unlock()
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		cut := s.started
		st, err := journal.Scan(paths, func(e journal.Event) error {
			select {
			case <-s.stop:
				return errStopped
			default:
			}
			if !e.Time.Before(cut) {
				return nil // journaled by this process: it came (or comes) through Record
			}
			s.builder.Add(e)
			h.mu.Lock()
			h.state.Events++
			h.recent = append(h.recent, e)
			if len(h.recent) > 2*RecentEvents {
				h.recent = append(h.recent[:0], h.recent[len(h.recent)-RecentEvents:]...)
			}
			h.mu.Unlock()
			return nil
		})
		if st.BadCount > 0 {
			s.opts.Log.Warn("admin: corrupt journal lines skipped", "count", st.BadCount, "first", st.Bad[0].String())
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.state.BadLines = st.BadCount
		switch {
		case err == nil, errors.Is(err, fs.ErrNotExist):
		case errors.Is(err, errStopped):
			h.state.Error = "the admin closed before the history was read"
		default:
			h.state.Error = err.Error()
			s.opts.Log.Warn("admin: earlier journal not read; the matrix starts from this start", "journal", paths, "err", err)
		}
		// The live events held meanwhile, after the history and in the order they came.
		for _, e := range h.pending {
			s.builder.Add(e)
		}
		s.hub.prepend(h.recent[max(0, len(h.recent)-RecentEvents):])
		h.pending, h.recent = nil, nil
		now := time.Now().UTC()
		h.state.Loading, h.state.Pending, h.state.Done = false, 0, &now
	}()
	return ch
}
