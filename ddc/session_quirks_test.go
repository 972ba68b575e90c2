package ddc_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/ddc/ddctest"
)

// busyBus answers the next n DDC/CI reads with the null message ("nothing
// to say yet", as a busy display does) and then behaves like the monitor.
type busyBus struct {
	*ddctest.Monitor
	mu    sync.Mutex
	nulls int
}

func (b *busyBus) Transfer(ctx context.Context, msgs ...ddc.Msg) error {
	if err := b.Monitor.Transfer(ctx, msgs...); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range msgs {
		if m.Addr == ddc.AddrDDCCI && m.Read && b.nulls > 0 {
			b.nulls--
			for i := range m.Buf {
				m.Buf[i] = 0xFF
			}
			copy(m.Buf, []byte{0x6E, 0x80, 0xBE})
		}
	}
	return nil
}

// TestProbeQuirksTransientNull: a display that is busy once (one null
// message) while ProbeQuirks asks about 0x41 must not be taken for a
// display that says "unsupported" with the null message. ddcutil only
// concludes that after every retry came back null; a display that answers
// result code 01 uses the standard flag whatever came before.
func TestProbeQuirksTransientNull(t *testing.T) {
	ctx := context.Background()
	for _, style := range []ddctest.Unsupported{ddctest.ResultCode, ddctest.ZeroValues} {
		m := ddctest.New(ddctest.Config{Name: t.Name() + string(rune('0'+style)), Multiplier: fast, Unsupported: style})
		bus := &busyBus{Monitor: m, nulls: 1}
		s := ddc.NewSession(bus, &ddc.Options{SleepMultiplier: fast})
		q, err := s.ProbeQuirks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := ddc.Quirks{ZeroIsUnsupported: style == ddctest.ZeroValues}
		if q != want {
			t.Errorf("style %v, one busy null during the probe: quirks %+v, want %+v", style, q, want)
		}
		// A later busy moment must be retried, not reported as unsupported.
		bus.mu.Lock()
		bus.nulls = 1
		bus.mu.Unlock()
		if r, err := s.GetVCP(ctx, 0x10); err != nil || r.Value != 50 {
			t.Errorf("style %v: brightness after one busy null: %+v, %v; want 50", style, r, err)
		}
	}
	// A display that answers only with null messages for unsupported
	// features is still recognised.
	m := ddctest.New(ddctest.Config{Name: t.Name() + "null", Multiplier: fast, Unsupported: ddctest.NullMessage})
	s := ddc.NewSession(m, &ddc.Options{SleepMultiplier: fast, Retries: ddc.Retries{WriteRead: 3}})
	if q, err := s.ProbeQuirks(ctx); err != nil || !q.NullIsUnsupported || q.ZeroIsUnsupported {
		t.Errorf("null-message display: %+v, %v", q, err)
	}
	if _, err := s.GetVCP(ctx, 0x41); !errors.Is(err, ddc.ErrUnsupported) {
		t.Errorf("null-message display, 0x41: %v", err)
	}
}
