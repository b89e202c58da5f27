package listeners

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/journal"
)

// What the listeners log is for the person running the mock, and a client must not be able to
// fill it: client bytes appear only as a short escaped prefix, and a message repeated within a
// second is counted instead of written again.

// logRepeatEvery is how often one message may be logged; the repeats in between are counted
// and the count goes with the next one written.
const logRepeatEvery = time.Second

// rawAttrs are attributes that carry client bytes (sipgo logs the data it failed to parse).
var rawAttrs = map[string]bool{"data": true, "msg": true, "raw": true}

// rawPrefix is how many client bytes a log line may carry.
const rawPrefix = 64

// safeHandler escapes and cuts client bytes and rate-limits repeated messages.
type safeHandler struct {
	h  slog.Handler
	rl *logLimiter
}

func (s *safeHandler) Enabled(ctx context.Context, l slog.Level) bool { return s.h.Enabled(ctx, l) }

func (s *safeHandler) Handle(ctx context.Context, r slog.Record) error {
	repeated, ok := s.rl.allow(r.Message, r.Time)
	if !ok {
		return nil
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(safeAttr(a))
		return true
	})
	if repeated > 0 {
		out.AddAttrs(slog.Int("repeated", repeated))
	}
	return s.h.Handle(ctx, out)
}

func (s *safeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	safe := make([]slog.Attr, len(as))
	for i, a := range as {
		safe[i] = safeAttr(a)
	}
	return &safeHandler{h: s.h.WithAttrs(safe), rl: s.rl}
}

func (s *safeHandler) WithGroup(name string) slog.Handler {
	return &safeHandler{h: s.h.WithGroup(name), rl: s.rl}
}

func safeAttr(a slog.Attr) slog.Attr {
	if !rawAttrs[a.Key] {
		return a
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, escapePrefix(v.String(), rawPrefix))
	case slog.KindAny:
		if b, ok := v.Any().([]byte); ok {
			return slog.String(a.Key, escapePrefix(string(b), rawPrefix))
		}
	}
	return a
}

// logLimiter lets each message through once per logRepeatEvery and counts the rest.
type logLimiter struct {
	mu   sync.Mutex
	seen map[string]*logSeen
}

type logSeen struct {
	last       time.Time
	suppressed int
}

// maxLogKeys bounds the limiter's memory: messages are the code's constants, so this is never
// reached unless a caller puts variable text in a message.
const maxLogKeys = 1024

func (l *logLimiter) allow(msg string, now time.Time) (repeated int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.seen[msg]
	if s == nil {
		if len(l.seen) >= maxLogKeys {
			clear(l.seen)
		}
		l.seen[msg] = &logSeen{last: now}
		return 0, true
	}
	if now.Sub(s.last) < logRepeatEvery {
		s.suppressed++
		return 0, false
	}
	repeated, s.suppressed, s.last = s.suppressed, 0, now
	return repeated, true
}

// processLogs is the one limiter of the process: the same message from several listeners is
// one message.
var processLogs = &logLimiter{seen: map[string]*logSeen{}}

// safeLogger wraps a logger's handler with escaping and rate limiting.
func safeLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(*safeHandler); ok {
		return l
	}
	return slog.New(&safeHandler{h: l.Handler(), rl: processLogs})
}

// journalFailures counts journal writes that failed, for every listener of the process, and
// logs them at most once a second with how many there were: a failed write is never silent,
// and a full disk does not turn into a log line per request.
type journalFailures struct {
	mu      sync.Mutex
	count   int
	logged  time.Time
	pending bool // a flush of the count is scheduled
	last    journal.Event
	lastErr error
}

var processJournalFailures = &journalFailures{}

func (f *journalFailures) note(log *slog.Logger, ev *journal.Event, err error) {
	f.mu.Lock()
	f.count++
	f.last, f.lastErr = *ev, err
	if wait := logRepeatEvery - time.Since(f.logged); wait > 0 {
		if !f.pending {
			// The failures of the next second are logged then, even if no more come.
			f.pending = true
			time.AfterFunc(wait, func() { f.flush(log) })
		}
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	f.flush(log)
}

func (f *journalFailures) flush(log *slog.Logger) {
	f.mu.Lock()
	n, ev, err := f.count, f.last, f.lastErr
	f.count, f.logged, f.pending = 0, time.Now(), false
	f.mu.Unlock()
	if n == 0 {
		return
	}
	log.Error("journal write failed; events not recorded (and requests not answered)", "events", n,
		"last_listener", ev.Listener, "last_kind", ev.Kind, "err", err)
}

// loggedRecorder logs the failures of the recorder it wraps (see journalFailures).
type loggedRecorder struct {
	r   journal.Recorder
	log *slog.Logger // Env.Log, made safe (Env.log) only when a write failed
}

func (l loggedRecorder) Record(e journal.Event) error {
	err := l.r.Record(e)
	if err != nil {
		processJournalFailures.note(Env{Log: l.log}.log(), &e, err)
	}
	return err
}
