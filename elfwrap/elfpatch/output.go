package elfpatch

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"syscall"
	"unsafe"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// WriteOptions tune WriteFileWith.
type WriteOptions struct {
	// NoSync skips the fsync of the file and its directory. The rename is
	// still atomic (a reader sees the old or the new file, never a mix), but
	// after a power loss the new content may be lost. For batch runs that
	// call sync(1) once at the end, as patchelf users effectively do:
	// patchelf never syncs.
	NoSync bool
}

// WriteFile writes the patched file to path atomically (a temporary file in
// the same directory, synced, then renamed), with the mode of the file it
// was opened from. On any error path is left as it was: either the old
// file or no file.
func (f *File) WriteFile(path string) error {
	return f.WriteFileWith(path, WriteOptions{})
}

// WriteFileWith is WriteFile with options.
func (f *File) WriteFileWith(path string, o WriteOptions) error {
	m, err := f.build()
	if err != nil {
		return f.wrap(err)
	}
	// The output is streamed: the unchanged bulk straight from the input
	// buffer, the patched ranges in between; no second copy of the file is
	// built in memory.
	return replaceFile(path, f.perm(), o.NoSync, func(tmp io.Writer) error {
		return m.writeTo(tmp, nil)
	})
}

func (f *File) wrap(err error) error {
	if f.name != "" {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	return err
}

func (f *File) perm() fs.FileMode {
	if p := f.mode.Perm(); p != 0 {
		return p
	}
	return 0o755
}

// PatchFile opens the ELF file at path, applies edit and writes the result
// to output (path itself when output is empty). It writes nothing when edit
// returns an error or the output cannot be built; when edit changes nothing
// and output is path, the file is left untouched. The *File passed to edit
// is valid only until edit returns.
func PatchFile(ctx context.Context, path, output string, edit func(*File) error) error {
	return PatchFileWith(ctx, path, output, WriteOptions{}, edit)
}

// PatchFileWith is PatchFile with write options.
//
// It reads only what it needs: the input is mapped, so parsing touches the
// pages of the headers and the dynamic tables alone, and the unchanged
// bulk of the output is copied by the kernel from the input file
// (copy_file_range(2): a reflink on file systems that share extents, an
// in-kernel copy otherwise, a plain copy across file systems); only the
// patched ranges are written from memory.
func PatchFileWith(ctx context.Context, path, output string, o WriteOptions, edit func(*File) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	fh, st, err := openRegular(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	data, free, mapped := mapFile(fh, st.Size())
	if mapped {
		defer free()
		// A file truncated by someone else while it is mapped faults on
		// access (SIGBUS): make that a panic of this goroutine, and the
		// panic an error.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				lo := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
				fault, ok := r.(interface{ Addr() uintptr })
				if !ok || fault.Addr() < lo || fault.Addr()-lo >= uintptr(len(data)) {
					panic(r) // not a read of the mapping
				}
				err = fmt.Errorf("%s: %w: the file shrank while it was being read", path, ErrMalformed)
			}
		}()
	} else if data, err = readAll(fh, st.Size()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f.name, f.mode = path, st.Mode()
	if err := edit(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if output == "" {
		if !f.Edited() {
			return nil
		}
		output = path
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := f.build()
	if err != nil {
		return f.wrap(err)
	}
	return replaceFile(output, f.perm(), o.NoSync, func(tmp io.Writer) error {
		var copySrc func(lo, hi uint64) error
		if mapped {
			copySrc = func(lo, hi uint64) error {
				if _, err := fh.Seek(int64(lo), io.SeekStart); err != nil {
					return err
				}
				// *os.File.ReadFrom: copy_file_range, else sendfile, else
				// a buffered copy.
				n, err := io.Copy(tmp, &io.LimitedReader{R: fh, N: int64(hi - lo)})
				if err == nil && n != int64(hi-lo) {
					err = fmt.Errorf("%w: the file shrank while it was being patched", ErrMalformed)
				}
				return err
			}
		}
		return m.writeTo(tmp, copySrc)
	})
}

// openRegular opens path for reading and checks that it is a regular file.
// O_NONBLOCK keeps the open of a FIFO from waiting for a writer; it is
// refused by the check.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	fh, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		fh.Close()
		return nil, nil, fmt.Errorf("%s: not a regular file", path)
	}
	return fh, st, nil
}

// readAll reads fh to its end with one read when the size is right.
func readAll(fh *os.File, size int64) ([]byte, error) {
	data := make([]byte, 0, max(size, 0)+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := fh.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// replaceFile atomically replaces path, with mode perm, by what write puts
// into an internal/atomicfile temporary file. io.Copy into it reaches the
// temporary *os.File's ReadFrom, so the unchanged bulk is copied by the
// kernel. On any error the temporary file is removed and path is as it was.
func replaceFile(path string, perm fs.FileMode, noSync bool, write func(w io.Writer) error) error {
	f, err := atomicfile.Create(path, atomicfile.Options{Perm: perm, ForcePerm: true, NoSync: noSync})
	if err != nil {
		return err
	}
	defer f.Close() // removes the temporary file unless Commit succeeded
	if err := write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}
