package pkgconfig

import (
	"bytes"
	"syscall"
	"unsafe"
)

// openFile opens a file for reading; path ends in a NUL byte (and holds
// no other), so no C string has to be allocated for it. O_NONBLOCK keeps a
// FIFO named like a .pc file from blocking the open (its read then ends at
// once); for regular files it changes nothing.
func openFile(path []byte) (int, error) {
	if len(path) == 0 || path[len(path)-1] != 0 || bytes.IndexByte(path[:len(path)-1], 0) >= 0 {
		return -1, syscall.EINVAL
	}
	for {
		fd, _, e := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(&path[0])),
			uintptr(syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK), 0, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(fd), nil
	}
}

// atFDCWD is AT_FDCWD: paths relative to the working directory.
var atFDCWD = -0x64
