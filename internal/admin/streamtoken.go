package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"
)

// StreamTokenTTL is how long an unused stream token stays valid: enough for a browser's
// EventSource to connect. A stream token opens one stream, once: the first use spends it, so
// one found in a log, a proxy's access log or a browser's history is worthless even within its
// TTL. The page asks for a new one whenever it reconnects.
const StreamTokenTTL = 60 * time.Second

// maxStreamTokens bounds the unspent tokens held (each POST /api/stream-token adds one).
const maxStreamTokens = 1024

// streamTokens are the single-use, short-lived tokens of /api/events?stream_token=.
type streamTokens struct {
	mu     sync.Mutex
	tokens map[string]time.Time // token -> expiry
}

func newStreamTokens() *streamTokens { return &streamTokens{tokens: map[string]time.Time{}} }

// issue makes a token valid once within StreamTokenTTL.
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
	if len(t.tokens) >= maxStreamTokens {
		return "", errors.New("too many unused stream tokens: open the streams they were asked for, or wait a minute")
	}
	t.tokens[tok] = now.Add(StreamTokenTTL)
	return tok, nil
}

// use reports whether tok is a stream token that has not expired nor been used, and spends it.
func (t *streamTokens) use(tok string) bool {
	if tok == "" {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	for k, exp := range t.tokens {
		if subtle.ConstantTimeCompare([]byte(k), []byte(tok)) == 1 {
			delete(t.tokens, k)
			return now.Before(exp)
		}
	}
	return false
}

// streamToken answers POST /api/stream-token (behind the bearer token) with a stream token.
func (s *Server) streamToken(w http.ResponseWriter, _ *http.Request) {
	tok, err := s.streams.issue()
	if err != nil {
		http.Error(w, "admin: no stream token: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, map[string]any{"stream_token": tok, "expires_in_s": int(StreamTokenTTL.Seconds()), "single_use": true})
}
