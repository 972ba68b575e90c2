package elfpatch

import "syscall"

// zeroBuf returns n zero bytes that cost only the pages touched: a fresh
// anonymous mapping (the kernel supplies zero pages on first touch), where
// a heap buffer of a recycled span would be cleared in full. free releases
// it; nothing may refer to the buffer afterwards.
func zeroBuf(n uint64) (b []byte, free func()) {
	if n == 0 || n != uint64(int(n)) {
		return make([]byte, n), func() {}
	}
	b, err := syscall.Mmap(-1, 0, int(n), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]byte, n), func() {}
	}
	return b, func() { syscall.Munmap(b) }
}

// mapFile maps the first size bytes of the file fd read-only; ok is false when the
// file cannot be mapped (empty, or a file system without mmap), and the
// caller reads it instead. Reading a mapping past the file's end (the file
// was truncated meanwhile) raises SIGBUS: callers run with
// debug.SetPanicOnFault and turn that into an error.
func mapFile(fd int, size int64) (b []byte, free func(), ok bool) {
	if size <= 0 || size != int64(int(size)) {
		return nil, nil, false
	}
	b, err := syscall.Mmap(fd, 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, false
	}
	return b, func() { syscall.Munmap(b) }, true
}
