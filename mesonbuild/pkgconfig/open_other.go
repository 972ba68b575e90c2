//go:build !linux

package pkgconfig

import "syscall"

// openFile opens a file for reading; path ends in a NUL byte.
func openFile(path []byte) (int, error) {
	if len(path) == 0 || path[len(path)-1] != 0 {
		return -1, syscall.EINVAL
	}
	return syscall.Open(string(path[:len(path)-1]), syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
}
