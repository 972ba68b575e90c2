package ddc

import (
	"context"
	"fmt"
	"time"
)

// Msg is one part of an I2C transaction: a write of Buf to Addr, or a read
// of len(Buf) bytes from Addr into Buf.
type Msg struct {
	Addr uint16
	Read bool
	Buf  []byte
}

// String describes the Msg for people.
func (m Msg) String() string {
	if m.Read {
		return fmt.Sprintf("read %d from 0x%02X", len(m.Buf), m.Addr)
	}
	return fmt.Sprintf("write % X to 0x%02X", m.Buf, m.Addr)
}

// Bus is an I2C bus a display is attached to. The Linux i2c-dev bus
// (OpenI2C) is one implementation; ddctest.Monitor, a simulated display,
// is another.
type Bus interface {
	// Transfer runs msgs as one combined transaction (a repeated start
	// between the parts, one stop at the end).
	Transfer(ctx context.Context, msgs ...Msg) error
	// Name identifies the bus in errors and for exclusive access:
	// sessions on buses with the same name never overlap.
	Name() string
	// Close releases the bus.
	Close() error
}

// ProcessLocker is implemented by buses that can be locked against other
// processes (the i2c-dev bus takes an flock on its device node, as ddcutil
// does). Sessions take the lock around every exchange.
type ProcessLocker interface {
	// LockProcess waits for exclusive access across processes, or for ctx.
	LockProcess(ctx context.Context) (unlock func(), err error)
}

// Timing holds the waits of the DDC/CI protocol.
type Timing struct {
	// ReplyDelay is the wait between writing a request and reading its
	// reply (DDC/CI: 40 ms).
	ReplyDelay time.Duration
	// CommandGap is the wait from the end of one exchange to the start of
	// the next (DDC/CI: 50 ms).
	CommandGap time.Duration
	// SaveDelay is the wait after Save Current Settings (DDC/CI: 200 ms).
	SaveDelay time.Duration
}

// SpecTiming is the timing the DDC/CI specification requires.
var SpecTiming = Timing{ReplyDelay: 40 * time.Millisecond, CommandGap: 50 * time.Millisecond, SaveDelay: 200 * time.Millisecond}

// Scale returns t with every wait multiplied by m.
func (t Timing) Scale(m float64) Timing {
	f := func(d time.Duration) time.Duration { return time.Duration(float64(d) * m) }
	return Timing{ReplyDelay: f(t.ReplyDelay), CommandGap: f(t.CommandGap), SaveDelay: f(t.SaveDelay)}
}

// sleep waits for d or until ctx is done, without spinning.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sleepUntil waits until the monotonic time at, or until ctx is done.
func sleepUntil(ctx context.Context, at time.Time) error {
	return sleep(ctx, time.Until(at))
}
