package ddc_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// TestUeventRealKernel opens the uevent socket, makes the kernel emit a
// "change" event by writing to a device's uevent file, and receives it.
func TestUeventRealKernel(t *testing.T) {
	testenv.RequireLinux(t)
	testenv.RequireRoot(t)
	dev := "/sys/devices/virtual/mem/null"
	if _, err := os.Stat(filepath.Join(dev, "uevent")); err != nil {
		testenv.Unavailable(t, "no %s/uevent to trigger (is sysfs mounted read-write?): %v", dev, err)
	}
	w, err := ddc.WatchUevents()
	if err != nil {
		testenv.Unavailable(t, "cannot open NETLINK_KOBJECT_UEVENT: %v", err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := os.WriteFile(filepath.Join(dev, "uevent"), []byte("change"), 0); err != nil {
		testenv.Unavailable(t, "cannot write %s/uevent (read-only sysfs?): %v", dev, err)
	}
	for {
		u, err := w.NextUevent(ctx)
		if err != nil {
			t.Fatalf("no uevent for %s received: %v", dev, err)
		}
		if u.Action == "change" && strings.HasSuffix(u.DevPath, "/mem/null") {
			if u.Subsystem != "mem" || u.Seqnum == 0 {
				t.Errorf("uevent %+v: want subsystem mem and a sequence number", u)
			}
			return
		}
	}
}

func TestUeventCancel(t *testing.T) {
	testenv.RequireLinux(t)
	w, err := ddc.WatchUevents()
	if err != nil {
		testenv.Unavailable(t, "cannot open NETLINK_KOBJECT_UEVENT: %v", err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for {
		_, err := w.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				t.Fatalf("Next failed before the context ended: %v", err)
			}
			return
		}
	}
}
