//go:build !linux

package elfpatch

func zeroBuf(n uint64) (b []byte, free func()) { return make([]byte, n), func() {} }

func mapFile(fd int, size int64) (b []byte, free func(), ok bool) { return nil, nil, false }
