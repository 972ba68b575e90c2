package ddc

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// A read deadline left in the past (what a cancellation racing the end of
// an earlier call could leave behind) must not stop a later call with a
// live context from receiving: before the fix the read loop spun on
// ErrDeadlineExceeded until its context ended and never saw the event.
func TestNextUeventClearsStaleDeadline(t *testing.T) {
	testenv.RequireLinux(t)
	testenv.RequireRoot(t)
	const trigger = "/sys/devices/virtual/mem/null/uevent"
	if _, err := os.Stat(trigger); err != nil {
		testenv.Unavailable(t, "no %s to trigger: %v", trigger, err)
	}
	w, err := WatchUevents()
	if err != nil {
		testenv.Unavailable(t, "cannot open NETLINK_KOBJECT_UEVENT: %v", err)
	}
	defer w.Close()
	if err := w.conn.SetReadDeadline(time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = os.WriteFile(trigger, []byte("change"), 0)
	}()
	for {
		u, err := w.NextUevent(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("no uevent received within 20 s after a stale read deadline")
			}
			t.Fatal(err)
		}
		if u.Action == "change" && strings.HasSuffix(u.DevPath, "/mem/null") {
			return
		}
	}
}
