//go:build !linux

package elfpatch

import "os"

func zeroBuf(n uint64) (b []byte, free func()) { return make([]byte, n), func() {} }

func mapFile(fh *os.File, size int64) (b []byte, free func(), ok bool) { return nil, nil, false }
