//go:build !linux

package ddc

import (
	"context"
	"errors"
)

var errNotLinux = errors.New("ddc: i2c-dev and uevents need Linux")

// I2CBus is a Linux i2c-dev bus; on other systems it cannot be opened.
type I2CBus struct{}

// OpenI2C fails on systems other than Linux.
func OpenI2C(n int) (*I2CBus, error) { return nil, errNotLinux }

// OpenI2CPath fails on systems other than Linux.
func OpenI2CPath(path string) (*I2CBus, error) { return nil, errNotLinux }

// Name implements Bus.
func (b *I2CBus) Name() string { return "" }

// Close implements Bus.
func (b *I2CBus) Close() error { return nil }

// Transfer implements Bus.
func (b *I2CBus) Transfer(ctx context.Context, msgs ...Msg) error { return errNotLinux }

// LoadI2CDev fails on systems other than Linux.
func LoadI2CDev() error { return errNotLinux }

// Watcher receives kernel uevents (Linux only).
type Watcher struct{}

// WatchUevents fails on systems other than Linux.
func WatchUevents() (*Watcher, error) { return nil, errNotLinux }

// Close implements io.Closer.
func (w *Watcher) Close() error { return nil }

// NextUevent fails on systems other than Linux.
func (w *Watcher) NextUevent(ctx context.Context) (*Uevent, error) { return nil, errNotLinux }

// Next fails on systems other than Linux.
func (w *Watcher) Next(ctx context.Context) (Event, error) { return nil, errNotLinux }
