package binfmt

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Open returns a handle on the binfmt_misc mounted at dir ("" means
// DefaultDir). When dir is not a binfmt_misc mount the error wraps
// ErrNotMounted.
func Open(dir string) (*Mount, error) {
	if dir == "" {
		dir = DefaultDir
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return nil, &OpError{Op: "open", Path: dir, Err: errors.Join(ErrNotMounted, err)}
	}
	if uint64(st.Type) != binfmtFSMagic {
		return nil, &OpError{Op: "open", Path: dir, Err: errors.Join(ErrNotMounted, errors.New("the directory is not a binfmt_misc file system (mount -t binfmt_misc binfmt_misc "+dir+")"))}
	}
	return &Mount{dir: dir}, nil
}

// OpenOrMount returns a handle on the binfmt_misc at dir ("" means
// DefaultDir), mounting it there first when it is not mounted yet. Mounting
// needs CAP_SYS_ADMIN over the mount namespace (root, or the owner of a
// private user namespace on Linux 6.7 and later).
func OpenOrMount(dir string) (*Mount, error) {
	if dir == "" {
		dir = DefaultDir
	}
	if m, err := Open(dir); err == nil {
		return m, nil
	}
	if err := unix.Mount("binfmt_misc", dir, "binfmt_misc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return nil, &OpError{Op: "mount", Path: dir, Err: err}
	}
	return Open(dir)
}
