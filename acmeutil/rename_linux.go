package acmeutil

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchangeDirs atomically swaps two existing directories
// (renameat2 RENAME_EXCHANGE). errExchangeUnsupported means the file
// system cannot; fs.ErrNotExist that one of them is missing.
func exchangeDirs(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return errExchangeUnsupported
	}
	return err
}

var errExchangeUnsupported = errors.New("acmeutil: the file system cannot exchange directories atomically")
