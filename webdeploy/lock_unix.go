//go:build unix

package webdeploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockFile is the file under the webroot that every Publisher, in any
// process, holds locked (flock) while it changes releases/ or current.
const lockFile = ".hostkit-publish.lock"

// lockWebroot takes the webroot's cross-process lock, waiting until ctx
// ends. The deploy server and a `webhookd rollback` run are different
// processes: without the lock a rollback could point current at a release
// the server is pruning, and one publisher could remove another's release
// while it is being copied.
func (p *Publisher) lockWebroot(ctx context.Context) (unlock func(), err error) {
	if err := os.MkdirAll(p.Webroot, 0o755); err != nil {
		return nil, fmt.Errorf("publish lock: %w", err)
	}
	name := filepath.Join(p.Webroot, lockFile)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("publish lock: %w", err)
	}
	fd := int(f.Fd())
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(fd, syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("publish lock %s: %w", name, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the publish lock %s (another process publishes or rolls back): %w", name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
