package acmeutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// challengeParts are the directories below the webroot, walked one by one.
var challengeParts = []string{".well-known", "acme-challenge"}

// openChallengeDir opens <root>/.well-known/acme-challenge walking from
// root with O_NOFOLLOW, so a component swapped for a symlink at any moment
// is refused (never followed), and every later operation is relative to
// the directory that was checked. With create, missing directories are
// made and given 0755 through their own descriptor (a path-based chmod
// could be sent through a link). Without create, a missing directory
// returns (nil, nil).
func openChallengeDir(root string, create bool) (*os.File, error) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: webroot %s: %v", ErrInvalidConfig, root, err)
	}
	path := root
	for _, part := range challengeParts {
		path = filepath.Join(path, part)
		made := false
		if create {
			switch err := unix.Mkdirat(fd, part, 0o755); {
			case err == nil:
				made = true
			case errors.Is(err, unix.EEXIST):
			default:
				unix.Close(fd)
				return nil, fmt.Errorf("acmeutil: webroot: mkdir %s: %w", path, err)
			}
		}
		next, err := unix.Openat(fd, part, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		switch {
		case err == nil:
		case errors.Is(err, unix.ENOENT) && !create:
			return nil, nil
		case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR):
			return nil, fmt.Errorf("%w: webroot: %s is a symlink or not a directory; the challenge directory must be a real directory inside the webroot", ErrInvalidConfig, path)
		default:
			return nil, fmt.Errorf("acmeutil: webroot: open %s: %w", path, err)
		}
		fd = next
		if made {
			// Mkdirat applied the umask; the server must be able to enter it.
			if err := unix.Fchmod(fd, 0o755); err != nil {
				unix.Close(fd)
				return nil, fmt.Errorf("acmeutil: webroot: chmod %s: %w", path, err)
			}
		}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// writeChallengeFile writes data to name inside dir atomically (a
// temporary file renamed over it), readable by all, without following a
// link planted at either name.
func writeChallengeFile(dir *os.File, name string, data []byte) error {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := atomicfile.TempPrefix + name + "-" + hex.EncodeToString(rnd[:])
	dfd := int(dir.Fd())
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir.Name(), tmp))
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // the umask applied at creation
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(dfd, tmp, dfd, name)
	}
	if err != nil {
		unix.Unlinkat(dfd, tmp, 0)
	}
	return err
}

// removeChallengeFile removes name inside dir (a link there is removed
// itself, never followed).
func removeChallengeFile(dir *os.File, name string) error {
	return unix.Unlinkat(int(dir.Fd()), name, 0)
}
