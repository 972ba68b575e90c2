package ddc

import (
	"context"
	"errors"
	"fmt"
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

// TestProbeQuirksHonoursContext: a context that ends while ProbeQuirks waits
// for a reply must come back as the error, not as "no quirks found" (which
// the session would then keep as its quirks).
func TestProbeQuirksHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := &cancelOnWriteBus{name: t.Name(), cancel: cancel}
	s := NewSession(bus, &Options{Quirks: Quirks{NullIsUnsupported: true},
		Timing: Timing{ReplyDelay: time.Hour, CommandGap: time.Hour, SaveDelay: time.Hour}})
	q, err := s.ProbeQuirks(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ProbeQuirks with a cancelled wait: %+v, %v; want context.Canceled", q, err)
	}
	if !s.quirks().NullIsUnsupported {
		t.Errorf("an interrupted probe replaced the session's quirks with %+v", s.quirks())
	}
}

// countingBus counts transfers and never fails.
type countingBus struct {
	name      string
	transfers int
}

func (b *countingBus) Transfer(ctx context.Context, msgs ...Msg) error { b.transfers++; return nil }
func (b *countingBus) Name() string                                    { return b.name }
func (b *countingBus) Close() error                                    { return nil }

// TestCancelledContextSendsNothing: an operation started with a context
// that has already ended must not put a command on the wire (a Set VCP
// would change the display and report failure, or even success).
func TestCancelledContextSendsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 64; i++ {
		// A fresh bus each time: it is idle, so no command gap is due.
		bus := &countingBus{name: fmt.Sprintf("%s-%d", t.Name(), i)}
		s := NewSession(bus, nil)
		err := s.SetVCP(ctx, 0x10, 50)
		if bus.transfers != 0 || !errors.Is(err, context.Canceled) {
			t.Fatalf("SetVCP with a cancelled context: %d transfers, error %v; want none and context.Canceled", bus.transfers, err)
		}
	}
}
