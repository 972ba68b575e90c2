package ddc

import (
	"context"
	"sync"
	"time"
)

// busState is shared by every session on a bus with the same name in this
// process: the in-process lock and the timing of the last exchange.
type busState struct {
	sem chan struct{}
	// next is the earliest time the next command may start.
	next time.Time
}

var (
	busesMu sync.Mutex
	buses   = map[string]*busState{}
)

func stateFor(name string) *busState {
	busesMu.Lock()
	defer busesMu.Unlock()
	st := buses[name]
	if st == nil {
		st = &busState{sem: make(chan struct{}, 1)}
		buses[name] = st
	}
	return st
}

// acquire takes the in-process lock of a bus, then its cross-process lock
// when the bus has one. The returned function releases both.
func acquire(ctx context.Context, bus Bus) (*busState, func(), error) {
	st := stateFor(bus.Name())
	select {
	case st.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	release := func() { <-st.sem }
	// select picks at random among ready cases: with a free bus and an
	// ended ctx it may have taken the lock; refuse then as well.
	if err := ctx.Err(); err != nil {
		release()
		return nil, nil, err
	}
	if pl, ok := bus.(ProcessLocker); ok {
		unlock, err := pl.LockProcess(ctx)
		if err != nil {
			release()
			return nil, nil, err
		}
		inner := release
		release = func() { unlock(); inner() }
	}
	return st, release, nil
}
