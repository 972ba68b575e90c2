//go:build !linux

package binfmt

import "errors"

var errNotLinux = errors.New("binfmt_misc exists only on Linux")

// Open returns a handle on the binfmt_misc mounted at dir; off Linux it
// always fails with ErrNotMounted.
func Open(dir string) (*Mount, error) {
	if dir == "" {
		dir = DefaultDir
	}
	return nil, &OpError{Op: "open", Path: dir, Err: errors.Join(ErrNotMounted, errNotLinux)}
}

// OpenOrMount is Open; off Linux nothing can be mounted.
func OpenOrMount(dir string) (*Mount, error) { return Open(dir) }

func unameMachine() string { return "" }
func unameRelease() string { return "" }
