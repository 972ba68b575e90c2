package webdeploy_test

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
)

// The receiver must read a body before it can check its signature, so a
// client without the secret decides how much it buffers. Many connections
// each sending a body just under the limit and then stalling must not
// make the receiver hold limit x connections bytes: the bodies in memory
// at once are capped, further ones answered 503.
func TestReceiverBoundsBufferedBodies(t *testing.T) {
	const maxBody = 512 << 10
	const conns = 128
	srv, sink := newTestReceiver(t, maxBody)
	addr := strings.TrimPrefix(srv.URL, "http://")

	var ms runtime.MemStats
	live := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := live()

	payload := []byte(strings.Repeat("x", maxBody-1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range open {
			c.Close()
		}
	})
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			c.SetWriteDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprintf(c, "POST /hooks/gh HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=%s\r\nContent-Length: %d\r\n\r\n",
				strings.Repeat("0", 64), maxBody)
			c.Write(payload) // the last byte never comes
		}()
	}
	wg.Wait()
	// Give the server time to read what was sent, sampling the live heap.
	var peak uint64
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		peak = max(peak, live())
	}
	grown := int64(peak) - int64(base)
	t.Logf("live heap grew by %.1f MiB with %d stalled bodies of %d KiB", float64(grown)/(1<<20), conns, maxBody>>10)
	if limit := int64(32 << 20); grown > limit {
		t.Fatalf("%d stalled unauthenticated bodies of %d KiB made the receiver hold %d MiB (limit %d MiB)", conns, maxBody>>10, grown>>20, limit>>20)
	}

	// A signed delivery still gets through once the stalled clients are gone.
	mu.Lock()
	for _, c := range open {
		c.Close()
	}
	open = nil
	mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := post(t, signed(t, srv.URL+"/hooks/gh", "github", "push", webhooktest.GitHubPush(blogPush), nil))
		if r.code == http.StatusAccepted {
			break
		}
		if r.code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("signed delivery after the flood: %d %s", r.code, r.raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if sink.count() != 1 {
		t.Fatalf("sink got %d pushes, want 1", sink.count())
	}
}
