package acmeutil

import (
	"context"
	"net/http"
	"strings"
	"sync"
)

// HTTPSolver answers HTTP-01 challenges from memory. It is an http.Handler:
// run it as the whole port-80 server, or mount it in front of another
// handler (Next), which gets every request outside the challenge path.
type HTTPSolver struct {
	// Next serves requests that are not for /.well-known/acme-challenge/;
	// nil answers them 404.
	Next http.Handler

	mu     sync.RWMutex
	tokens map[string]string
}

// NewHTTPSolver returns an HTTPSolver in front of next (which may be nil).
func NewHTTPSolver(next http.Handler) *HTTPSolver { return &HTTPSolver{Next: next} }

// ChallengeType implements Solver.
func (h *HTTPSolver) ChallengeType() string { return HTTP01 }

// Present implements Solver.
func (h *HTTPSolver) Present(_ context.Context, ch Challenge) error {
	if err := ValidateToken(ch.Token); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tokens == nil {
		h.tokens = make(map[string]string)
	}
	h.tokens[ch.Token] = ch.KeyAuth
	return nil
}

// CleanUp implements Solver.
func (h *HTTPSolver) CleanUp(_ context.Context, ch Challenge) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.tokens, ch.Token)
	return nil
}

const challengePrefix = "/.well-known/acme-challenge/"

// ServeHTTP answers GET and HEAD for known tokens with the key authorization
// (text/plain), 404 for unknown ones, and passes other paths to Next.
func (h *HTTPSolver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, challengePrefix)
	if !ok {
		if h.Next != nil {
			h.Next.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.mu.RLock()
	ka, found := h.tokens[token]
	h.mu.RUnlock()
	if !found || ValidateToken(token) != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(ka))
}
