package acmeutil

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestPollDelay(t *testing.T) {
	want := []time.Duration{20, 40, 80, 160, 320, 640, 1280, 2000, 2000}
	for n, w := range want {
		if got := pollDelay(n, 0); got != w*time.Millisecond {
			t.Errorf("pollDelay(%d) = %v, want %v", n, got, w*time.Millisecond)
		}
	}
}

// Never sooner than the CA's Retry-After, never slower than 2 s otherwise.
func TestPollDelayHonoursRetryAfter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 1000).Draw(t, "n")
		ra := time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "retryAfter"))
		d := pollDelay(n, ra)
		if d < ra || d < 20*time.Millisecond || d > max(ra, 2*time.Second) {
			t.Fatalf("pollDelay(%d, %v) = %v", n, ra, d)
		}
	})
}

// The transport wrapper remembers each URL's last Retry-After, so the
// polling loops see it although x/crypto/acme does not return headers.
func TestRetryRecorder(t *testing.T) {
	ra := "3"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ra != "" {
			w.Header().Set("Retry-After", ra)
		}
	}))
	defer srv.Close()
	rec := &retryRecorder{}
	c := &http.Client{Transport: rec}
	get := func() {
		res, err := c.Get(srv.URL + "/authz/1")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	get()
	if got := rec.retryAfter(srv.URL + "/authz/1"); got != 3*time.Second {
		t.Errorf("retryAfter = %v, want 3s", got)
	}
	if got := rec.retryAfter(srv.URL + "/authz/2"); got != 0 {
		t.Errorf("other URL: %v", got)
	}
	ra = ""
	get()
	if got := rec.retryAfter(srv.URL + "/authz/1"); got != 0 {
		t.Errorf("after a response without Retry-After: %v", got)
	}
}

func TestRetryBackoff(t *testing.T) {
	res := &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"7"}}}
	if d := retryBackoff(1, nil, res); d != 7*time.Second {
		t.Errorf("with Retry-After: %v", d)
	}
	bad := &http.Response{StatusCode: http.StatusBadRequest, Header: http.Header{}}
	if d := retryBackoff(1, nil, bad); d <= 0 || d > 50*time.Millisecond {
		t.Errorf("bad nonce: %v, want a prompt retry", d)
	}
	if d := retryBackoff(4, nil, bad); d != 0 {
		t.Errorf("retry 4: %v, want give up", d)
	}
}
