package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// StreamTokenTTL is how long a stream token opens the event stream: enough for a browser's
// EventSource to connect (and reconnect once), short enough that one found in a log or a
// browser's history is worthless. The page asks for a new one whenever it reconnects.
const StreamTokenTTL = 60 * time.Second

// streamTokens are the short-lived tokens of /api/events?stream_token=.
type streamTokens struct {
	mu     sync.Mutex
	tokens map[string]time.Time // token -> expiry
}

func newStreamTokens() *streamTokens { return &streamTokens{tokens: map[string]time.Time{}} }

// issue makes a token valid for StreamTokenTTL.
func (t *streamTokens) issue() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(b)
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, exp := range t.tokens {
		if now.After(exp) {
			delete(t.tokens, k)
		}
	}
	t.tokens[tok] = now.Add(StreamTokenTTL)
	return tok, nil
}

// valid reports whether tok is a stream token that has not expired.
func (t *streamTokens) valid(tok string) bool {
	if tok == "" {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	for k, exp := range t.tokens {
		if subtle.ConstantTimeCompare([]byte(k), []byte(tok)) == 1 {
			return now.Before(exp)
		}
	}
	return false
}

// streamToken answers POST /api/stream-token (behind the bearer token) with a stream token.
func (s *Server) streamToken(w http.ResponseWriter, _ *http.Request) {
	tok, err := s.streams.issue()
	if err != nil {
		http.Error(w, "admin: no stream token: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"stream_token": tok, "expires_in_s": int(StreamTokenTTL.Seconds())})
}
