package pkgconfig

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO or a device where a .pc file or a search directory is expected
// never blocks the client nor fills its memory: lookups, List and the
// search directories answer at once with an error for that entry.
// (pkgconf 1.8.1 blocks in fopen on such a FIFO.)
func TestFIFOsAndDevicesDoNotBlock(t *testing.T) {
	dir := t.TempDir()
	writePC(t, dir, "good", pc("good", "1.0", ""))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.pc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.pc")); err != nil {
		t.Fatal(err)
	}
	fifoDir := filepath.Join(t.TempDir(), "fifodir")
	if err := syscall.Mkfifo(fifoDir, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + fifoDir + ":" + dir}, NoPreload: true})
		if err != nil {
			t.Error(err)
			return
		}
		for _, name := range []string{"fifo", "zero"} {
			if p, err := c.Find(name); err == nil {
				t.Errorf("Find(%q) = %v, want an error", name, p.Path)
			}
		}
		var ie *InvalidFileError
		if _, err := c.Load(filepath.Join(dir, "zero.pc")); !errors.As(err, &ie) || !errors.Is(err, errFileTooLarge) {
			t.Errorf("Load(/dev/zero link) = %v, want an InvalidFileError for a too large file", err)
		}
		pkgs, bad := c.List()
		if len(pkgs) != 1 || pkgs[0].Name != "good" || len(bad) != 2 {
			t.Errorf("List = %d packages, %d errors (%v), want good and two errors", len(pkgs), len(bad), bad)
		}
		if p, err := c.Find("good"); err != nil || p.Version != "1.0" {
			t.Errorf("Find(good) = %v, %v", p, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the client blocked on a FIFO (or is still reading a device)")
	}
}
