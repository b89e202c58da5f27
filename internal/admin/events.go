package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/journal"
)

// Event stream limits.
const (
	// RecentEvents is how many past events a new subscriber can ask for (?replay=N).
	RecentEvents = 200
	// subscriberBuffer is how far a subscriber may fall behind before it is cut off; its
	// EventSource reconnects and the page fetches the matrix afresh, so nothing is shown wrong.
	subscriberBuffer = 1024
	heartbeat        = 15 * time.Second
)

type sseMsg struct {
	id uint64
	// event is the SSE event name: "journal" (one journal.Event) or "probe" (a post to
	// /api/probe: which rows, hosts and verdicts; the page fetches the matrix for the join).
	event string
	data  []byte
}

// hub fans journal events out to Server-Sent Events subscribers.
type hub struct {
	mu     sync.Mutex
	subs   map[chan sseMsg]struct{}
	recent []sseMsg
	seq    uint64
	closed bool
}

func newHub() *hub { return &hub{subs: map[chan sseMsg]struct{}{}} }

func (h *hub) encode(e journal.Event) sseMsg {
	b, _ := json.Marshal(e)
	h.seq++
	m := sseMsg{id: h.seq, event: "journal", data: b}
	h.recent = append(h.recent, m)
	if len(h.recent) > RecentEvents {
		h.recent = h.recent[len(h.recent)-RecentEvents:]
	}
	return m
}

// prepend puts earlier events (the journal's history, loaded after live events may have
// arrived) before the recent live ones, keeping the last RecentEvents.
func (h *hub) prepend(events []journal.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	live := h.recent
	h.recent = nil
	for _, e := range events {
		h.encode(e)
	}
	h.recent = append(h.recent, live...)
	if len(h.recent) > RecentEvents {
		h.recent = h.recent[len(h.recent)-RecentEvents:]
	}
}

func (h *hub) publish(e journal.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.send(h.encode(e))
}

// publishProbe tells every subscriber that probe results were posted; it is not replayed (the
// matrix a new subscriber fetches holds them).
func (h *hub) publishProbe(ack probeAck) {
	b, _ := json.Marshal(ack)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.send(sseMsg{id: h.seq, event: "probe", data: b})
}

// send hands m to every subscriber; h.mu is held.
func (h *hub) send(m sseMsg) {
	for c := range h.subs {
		select {
		case c <- m:
		default: // too slow: cut off, it reconnects
			delete(h.subs, c)
			close(c)
		}
	}
}

func (h *hub) subscribe(replay int) (chan sseMsg, []sseMsg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan sseMsg, subscriberBuffer)
	if h.closed {
		close(c)
		return c, nil
	}
	h.subs[c] = struct{}{}
	replay = min(replay, len(h.recent))
	return c, append([]sseMsg(nil), h.recent[len(h.recent)-replay:]...)
}

func (h *hub) unsubscribe(c chan sseMsg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[c]; ok {
		delete(h.subs, c)
		close(c)
	}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.subs {
		delete(h.subs, c)
		close(c)
	}
}

// events streams journal events as Server-Sent Events ("event: journal", data one Event as
// JSON), and posts of probe results ("event: probe"). ?replay=N first sends up to N recent
// journal events.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "admin: streaming unsupported", http.StatusInternalServerError)
		return
	}
	replay, _ := strconv.Atoi(r.URL.Query().Get("replay"))
	c, past := s.hub.subscribe(max(replay, 0))
	defer s.hub.unsubscribe(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n: mockdirector journal events\n\n")
	for _, m := range past {
		writeSSE(w, m)
	}
	fl.Flush()
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			fl.Flush()
		case m, ok := <-c:
			if !ok {
				return
			}
			if writeSSE(w, m) != nil {
				return
			}
			fl.Flush()
		}
	}
}

func writeSSE(w http.ResponseWriter, m sseMsg) error {
	_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", m.id, m.event, m.data)
	return err
}
