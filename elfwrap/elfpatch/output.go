package elfpatch

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"runtime/debug"
	"syscall"
	"unsafe"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// WriteOptions tune WriteFileWith and PatchFileWith.
type WriteOptions struct {
	// NoSync skips the fsync calls (of the file and, for a replacement, its
	// directory). A replacement stays atomic (a reader sees the old or the
	// new file, never a mix), but after a power loss the new content may
	// be lost. For batch runs that call sync(1) once at the end, as
	// patchelf users effectively do: patchelf never syncs.
	NoSync bool
	// InPlace makes PatchFileWith write the changed byte ranges into the
	// file itself instead of replacing it: the file keeps its inode (hard
	// links stay shared, a symbolic link keeps pointing at it, the owner
	// and mode stay as write(2) leaves them), as with patchelf, and nothing
	// but the changed ranges is written. It is NOT atomic: see "Writing in
	// place" in the package documentation for the order of the writes,
	// what is undone on an error and what a crash can leave. It applies
	// only when the output is the input file; WriteFileWith and AutoPatch
	// refuse it.
	InPlace bool
}

// WriteFile writes the patched file to path atomically (a temporary file in
// the same directory, synced, then renamed), with the mode of the file it
// was opened from. On any error path is left as it was: either the old
// file or no file.
func (f *File) WriteFile(path string) error {
	return f.WriteFileWith(path, WriteOptions{})
}

// WriteFileWith is WriteFile with options. It refuses InPlace (which needs
// the file it writes to be the one just parsed: use PatchFileWith).
func (f *File) WriteFileWith(path string, o WriteOptions) error {
	if o.InPlace {
		return fmt.Errorf("%s: %w: WriteOptions.InPlace is for PatchFileWith only", path, ErrInvalidValue)
	}
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
// is valid only until edit returns. When output is path and path is a
// symbolic link, the file it points to is written and the link is kept, as
// patchelf does (another output that is a link is replaced by the file).
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
// patched ranges are written from memory. With o.InPlace only the changed
// ranges are written, into the input file itself (output must be empty or
// path).
func PatchFileWith(ctx context.Context, path, output string, o WriteOptions, edit func(*File) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.InPlace && output != "" && output != path {
		return fmt.Errorf("%s: %w: writing in place needs the output to be the input file, not %s", path, ErrInvalidValue, output)
	}
	in, err := openInput(path)
	if err != nil {
		return err
	}
	defer in.close()
	data, free, mapped := mapFile(in.fd, in.size)
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
	} else if data, err = in.readAll(); err != nil {
		return err
	}
	f, err := Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f.name, f.mode = path, in.mode
	if err := edit(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if output == "" || o.InPlace {
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
	if o.InPlace {
		return writeInPlace(in, m, !o.NoSync)
	}
	if output == path {
		// Through a symbolic link to the file it names, as patchelf does.
		if output, err = in.replaceTarget(); err != nil {
			return err
		}
	}
	return replaceFile(output, f.perm(), o.NoSync, func(tmp io.Writer) error {
		var copySrc func(lo, hi uint64) error
		if mapped {
			fh, err := in.osFile()
			if err != nil {
				return err
			}
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
		if err := m.writeTo(tmp, copySrc); err != nil {
			return err
		}
		return in.unchanged()
	})
}

// writeInPlace writes the changed ranges of m into the input file. The
// plan (new bytes and the original bytes to restore) is built from the
// mapping before the first write, since the mapping shows the writes.
func writeInPlace(in *input, m *image, sync bool) error {
	plan := m.inPlacePlan()
	if len(plan.writes) == 0 && plan.newSize == plan.oldSize {
		return nil
	}
	w, err := in.openForInPlace()
	if err != nil {
		return err
	}
	err = plan.apply(w, sync)
	if cerr := syscall.Close(int(w)); err == nil && cerr != nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", in.path, err)
	}
	return nil
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
