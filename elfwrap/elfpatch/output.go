package elfpatch

import (
	"context"
	"fmt"

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
	out, err := f.Bytes()
	if err != nil {
		if f.name != "" {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		return err
	}
	perm := f.mode.Perm()
	if perm == 0 {
		perm = 0o755
	}
	return atomicfile.Write(path, out, atomicfile.Options{Perm: perm, ForcePerm: true, NoSync: o.NoSync})
}

// PatchFile opens the ELF file at path, applies edit and writes the result
// to output (path itself when output is empty). It writes nothing when edit
// returns an error or the output cannot be built; when edit changes nothing
// and output is path, the file is left untouched.
func PatchFile(ctx context.Context, path, output string, edit func(*File) error) error {
	return PatchFileWith(ctx, path, output, WriteOptions{}, edit)
}

// PatchFileWith is PatchFile with write options.
func PatchFileWith(ctx context.Context, path, output string, o WriteOptions, edit func(*File) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := Open(path)
	if err != nil {
		return err
	}
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
	return f.WriteFileWith(output, o)
}
