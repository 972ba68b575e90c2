package elfpatch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// input is a file opened for patching by its raw descriptor. A raw
// descriptor (not an *os.File) keeps a one-file run from setting up the
// Go runtime's poller, which a regular file never uses anyway.
type input struct {
	path string
	fd   int
	size int64
	mode fs.FileMode
	dev  uint64
	ino  uint64
	// Modification and change times when opened: a write to the file
	// (also one that keeps its size, as cp(1) over it does) changes them.
	// Since Linux 6.13 the kernel gives a change that follows a stat a
	// new, fine grained ctime on the common file systems; on older kernels
	// two changes within one timer tick can carry the same times.
	times [2]syscall.Timespec
	file  *os.File // set once the descriptor is handed to an *os.File
}

// openInput opens path read-only and checks that it is a regular file.
// O_NONBLOCK keeps the open of a FIFO from waiting for a writer; the FIFO
// is then refused by the check.
func openInput(path string) (*input, error) {
	fd, err := openRetry(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	in := &input{path: path, fd: fd}
	var st syscall.Stat_t
	if err := fstatRetry(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	in.size = st.Size
	in.mode = fs.FileMode(uint32(st.Mode) & 0o777)
	in.dev, in.ino = uint64(st.Dev), uint64(st.Ino)
	in.times = changeTimes(&st)
	return in, nil
}

func openRetry(path string, flags int) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func fstatRetry(fd int, st *syscall.Stat_t) error {
	for {
		if err := syscall.Fstat(fd, st); err != syscall.EINTR {
			return err
		}
	}
}

// osFile returns the input as an *os.File (for io.Copy, which then copies
// in the kernel). The descriptor is made blocking first, so that os does
// not try to register it with the poller.
func (in *input) osFile() (*os.File, error) {
	if in.file == nil {
		if err := syscall.SetNonblock(in.fd, false); err != nil {
			return nil, &fs.PathError{Op: "fcntl", Path: in.path, Err: err}
		}
		in.file = os.NewFile(uintptr(in.fd), in.path)
	}
	return in.file, nil
}

func (in *input) close() {
	if in.file != nil {
		in.file.Close()
		return
	}
	syscall.Close(in.fd)
}

// readAll reads the whole input, with one read when the size is right.
func (in *input) readAll() ([]byte, error) {
	data := make([]byte, 0, max(in.size, 0)+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := syscall.Read(in.fd, data[len(data):cap(data)])
		if err == syscall.EINTR || err == syscall.EAGAIN {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: in.path, Err: err}
		}
		if n == 0 {
			return data, nil
		}
		data = data[:len(data)+n]
	}
}

// fdRW writes to a raw descriptor (the in-place writer's file).
type fdRW int

func (fd fdRW) WriteAt(b []byte, off int64) (int, error) {
	for {
		n, err := syscall.Pwrite(int(fd), b, off)
		if err != syscall.EINTR {
			if err != nil {
				return 0, err
			}
			return n, nil
		}
	}
}

func (fd fdRW) Truncate(size int64) error {
	for {
		if err := syscall.Ftruncate(int(fd), size); err != syscall.EINTR {
			return err
		}
	}
}

func (fd fdRW) Sync() error {
	for {
		if err := syscall.Fsync(int(fd)); err != syscall.EINTR {
			return err
		}
	}
}

// openForInPlace opens the input's path for writing and checks that it is
// still the same file, unchanged: same device and inode, same size, same
// modification and change times (a content rewrite of the same size would
// otherwise mix the planned ranges, made from the first parse, with the
// new content). A program that is running cannot be opened for
// writing (ETXTBSY): that is refused with an error saying so.
func (in *input) openForInPlace() (fdRW, error) {
	fd, err := openRetry(in.path, syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC)
	if errors.Is(err, syscall.ETXTBSY) {
		return -1, fmt.Errorf("%s: %w: the file is a program that is running; writing it in place would change it under the running process (patch a copy, or use the default atomic replacement)", in.path, err)
	}
	if err != nil {
		return -1, &fs.PathError{Op: "open for writing", Path: in.path, Err: err}
	}
	var st syscall.Stat_t
	if err := fstatRetry(fd, &st); err != nil {
		syscall.Close(fd)
		return -1, &fs.PathError{Op: "stat", Path: in.path, Err: err}
	}
	if uint64(st.Dev) != in.dev || uint64(st.Ino) != in.ino {
		syscall.Close(fd)
		return -1, fmt.Errorf("%s: the file was replaced while it was being patched; nothing written", in.path)
	}
	if err := in.sameContent(&st); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fdRW(fd), nil
}

// sameContent checks that st (of the input's inode) shows the size and
// times the input had when it was opened.
func (in *input) sameContent(st *syscall.Stat_t) error {
	if st.Size != in.size {
		return fmt.Errorf("%s: the file changed size while it was being patched; nothing written", in.path)
	}
	if changeTimes(st) != in.times {
		return fmt.Errorf("%s: the file was changed (modification or change time differs) while it was being patched; nothing written", in.path)
	}
	return nil
}

// unchanged checks, through the open descriptor, that the input was not
// written since it was opened. A replacement calls it after copying the
// unchanged bulk from the file and before the rename: a rewrite of the
// same size (cp over it) would otherwise mix the new content with ranges
// laid out from the old parse.
func (in *input) unchanged() error {
	var st syscall.Stat_t
	if err := fstatRetry(in.fd, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: in.path, Err: err}
	}
	return in.sameContent(&st)
}

// replaceTarget returns the path that a replacement of the input must
// rename over: the input's path with symbolic links resolved. patchelf
// writes through a link (open without O_NOFOLLOW), so the file it points
// to is patched and the link stays; renaming over the link itself would
// turn it into a copy and leave that file unpatched. The resolved path
// must still name the file that was read, else nothing is written.
func (in *input) replaceTarget() (string, error) {
	target, err := filepath.EvalSymlinks(in.path)
	if err != nil {
		return "", fmt.Errorf("%s: resolving symbolic links: %w", in.path, err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(target, &st); err != nil {
		return "", &fs.PathError{Op: "stat", Path: target, Err: err}
	}
	if uint64(st.Dev) != in.dev || uint64(st.Ino) != in.ino {
		return "", fmt.Errorf("%s: the file was replaced while it was being patched; nothing written", in.path)
	}
	return target, nil
}
