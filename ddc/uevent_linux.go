package ddc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Watcher receives kernel uevents over a NETLINK_KOBJECT_UEVENT socket.
type Watcher struct {
	conn *netlink.Conn
	buf  []byte
	mu   sync.Mutex
}

// WatchUevents opens a uevent socket joined to the kernel's broadcast
// group. Receiving kernel uevents needs no privileges.
func WatchUevents() (*Watcher, error) {
	c, err := netlink.Dial(unix.NETLINK_KOBJECT_UEVENT, &netlink.Config{Groups: 1})
	if err != nil {
		return nil, fmt.Errorf("ddc: opening NETLINK_KOBJECT_UEVENT socket: %w", err)
	}
	_ = c.SetReadBuffer(1 << 20)
	return &Watcher{conn: c, buf: make([]byte, 64<<10)}, nil
}

// Close closes the socket.
func (w *Watcher) Close() error { return w.conn.Close() }

// NextUevent returns the next uevent from the kernel, of any subsystem.
// Messages not sent by the kernel (port id 0) are dropped.
func (w *Watcher) NextUevent(ctx context.Context) (*Uevent, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	rc, err := w.conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	// Cancellation wakes the read with a deadline in the past. If it
	// fired, wait until it has set that deadline before clearing it, so
	// that no stale deadline is left for the next call.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		_ = w.conn.SetReadDeadline(time.Unix(1, 0))
	})
	defer func() {
		if !stop() {
			<-fired
			_ = w.conn.SetReadDeadline(time.Time{})
		}
	}()
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), w.buf, unix.MSG_DONTWAIT)
			return !errors.Is(rerr, unix.EAGAIN)
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// not ours (ctx is live): clear it rather than spin
				_ = w.conn.SetReadDeadline(time.Time{})
				continue
			}
			return nil, fmt.Errorf("ddc: receiving uevent: %w", err)
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		u, err := ParseUevent(w.buf[:n])
		if err != nil {
			continue // udev or garbage on the group: ignore
		}
		return u, nil
	}
}

// Next returns the next drm, i2c, i2c-dev or backlight event.
func (w *Watcher) Next(ctx context.Context) (Event, error) {
	for {
		u, err := w.NextUevent(ctx)
		if err != nil {
			return nil, err
		}
		if e, ok := Classify(u); ok {
			return e, nil
		}
	}
}
