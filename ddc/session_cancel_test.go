package ddc

import (
	"context"
	"errors"
	"testing"
	"time"
)

// cancelOnWriteBus cancels the context when a request is written, as a
// caller giving up during the reply delay would.
type cancelOnWriteBus struct {
	name   string
	cancel context.CancelFunc
	writes int
}

func (b *cancelOnWriteBus) Transfer(ctx context.Context, msgs ...Msg) error {
	for _, m := range msgs {
		if !m.Read {
			b.writes++
			b.cancel()
		}
	}
	return nil
}
func (b *cancelOnWriteBus) Name() string { return b.name }
func (b *cancelOnWriteBus) Close() error { return nil }

// TestCancelDuringReplyDelayKeepsCommandGap: a request written to the
// display and then abandoned (ctx cancelled while waiting for the reply)
// still obliges the next command on the bus to keep the command gap; it
// used to leave the bus marked ready at once.
func TestCancelDuringReplyDelayKeepsCommandGap(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := &cancelOnWriteBus{name: t.Name(), cancel: cancel}
	s := NewSession(bus, &Options{Timing: Timing{ReplyDelay: time.Hour, CommandGap: time.Hour, SaveDelay: time.Hour}})
	_, err := s.GetVCP(ctx, 0x10)
	if !errors.Is(err, context.Canceled) || bus.writes != 1 {
		t.Fatalf("GetVCP: %v after %d writes, want context.Canceled after 1", err, bus.writes)
	}
	if next := stateFor(bus.Name()).next; time.Until(next) < 30*time.Minute {
		t.Errorf("bus ready at %v, want a command gap of 1h from the abandoned request", next)
	}
	// The lock was released on the cancelled path: WaitReady can take it
	// and returns when its own context ends, not at once.
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer wcancel()
	if err := s.WaitReady(wctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitReady right after the abandoned request: %v, want DeadlineExceeded", err)
	}
}
