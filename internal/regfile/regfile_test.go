package regfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A regular file is read whole; a FIFO is refused at once (never waited
// on); a file over the limit and /dev/zero are refused, not read without
// end; a missing file gives the open error.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	os.WriteFile(ok, []byte("hello"), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if b, err := ReadFile(ok, 5); err != nil || string(b) != "hello" {
			t.Errorf("ReadFile(ok) = %q, %v", b, err)
		}
		if _, err := ReadFile(ok, 4); !errors.Is(err, ErrTooLarge) {
			t.Errorf("over the limit: %v", err)
		}
		var pe *os.PathError
		if _, err := ReadFile(fifo, 100); !errors.Is(err, ErrNotRegular) || !errors.As(err, &pe) || pe.Path != fifo {
			t.Errorf("FIFO: %v", err)
		}
		if _, err := ReadFile("/dev/zero", 100); !errors.Is(err, ErrNotRegular) {
			t.Errorf("/dev/zero: %v", err)
		}
		if _, err := ReadFile(filepath.Join(dir, "missing"), 100); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("missing: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("ReadFile blocked on the FIFO")
	}
}
