//go:build !linux

package pkgconfig

// dirIndex is not built outside Linux: every lookup opens the files.
type dirIndex struct{}

func listDir(string) *dirIndex { return nil }

func (*dirIndex) has([]byte) bool { return true }

func (*dirIndex) eachReverse(func([]byte, byte)) {}

func regularEntry([]byte, byte) bool { return false }
