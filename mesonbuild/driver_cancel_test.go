package mesonbuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// A step whose grandchild left the process group (and so survives the
// group kill) still holds the output pipe; a cancelled step must return
// anyway instead of waiting for that process to close it.
func TestRunCancelWithEscapedGrandchild(t *testing.T) {
	sh := testenv.RequireTool(t, "sh")
	setsid := testenv.RequireTool(t, "setsid")
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	b := &Build{Name: "cancel", BuildDir: dir}
	script := setsid + ` sh -c 'echo $$ > "$0"; exec sleep 120' "$1" & echo started; exec sleep 120`
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := b.run(ctx, StepCompile, []string{"PATH=/usr/bin:/bin"}, func(line string) {
			if line == "started" {
				// Give the grandchild time to write its pid, then cancel.
				for i := 0; i < 500; i++ {
					if _, err := os.Stat(pidFile); err == nil {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				cancel()
			}
		}, []string{sh, "-c", script, "sh", pidFile})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("run: %v, want context.Canceled", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("run did not return after cancellation while a grandchild held its output pipe")
	}
}
