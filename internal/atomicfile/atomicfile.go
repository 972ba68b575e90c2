// Package atomicfile replaces files so that a reader, or the file system after
// a crash, sees either the old content or the new, never a mix or a prefix.
//
// The new content goes to a temporary file in the same directory (so the
// final rename stays on one file system), is synced, given its mode (and,
// when asked, the previous file's owner), renamed over the target, and then
// the directory is synced so the rename itself is durable.
//
// Every hostkit package that writes a file a person depends on (certificates,
// keys, wrapper scripts, patched binaries, published releases) writes it here.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"unicode/utf8"
)

// TempPrefix starts the name of every temporary file this package creates;
// a file with this prefix left in a directory is debris of a killed writer
// and safe to delete.
const TempPrefix = ".hostkit-tmp-"

// maxTempBase bounds how much of the target's name goes into a temporary
// name, so that the prefix and the random or pid suffix still fit in
// NAME_MAX (255 bytes) when the target's own name is that long.
const maxTempBase = 200

// tempBase returns base shortened to maxTempBase bytes, cut before a UTF-8
// sequence rather than inside one.
func tempBase(base string) string {
	if len(base) <= maxTempBase {
		return base
	}
	i := maxTempBase
	for i > 0 && !utf8.RuneStart(base[i]) {
		i--
	}
	return base[:i]
}

// Options control how a file is replaced.
type Options struct {
	// Perm is the mode of a newly created file. Zero means 0644.
	Perm fs.FileMode
	// ForcePerm applies Perm even when the target exists. Without it an
	// existing file's mode is kept. Secrets (private keys) set this with 0600.
	ForcePerm bool
	// KeepOwner gives the new file the uid and gid of the file it replaces.
	// It needs the privilege to chown; without it the write fails rather
	// than silently changing the owner.
	KeepOwner bool
	// NoSync skips the fsync calls. Only for tests and scratch files.
	NoSync bool
}

// WriteFile atomically replaces name with data. A new file gets perm; an
// existing file keeps its mode.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	return Write(name, data, Options{Perm: perm})
}

// Write atomically replaces name with data under the given options.
func Write(name string, data []byte, opt Options) error {
	f, err := Create(name, opt)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}

// WriteFrom atomically replaces name with everything read from r.
func WriteFrom(name string, r io.Reader, opt Options) error {
	f, err := Create(name, opt)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(f, r); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", name, err)
	}
	return f.Commit()
}

// File is a pending replacement of a named file. Write to it, then Commit to
// put it in place; Close without Commit discards it and leaves the target
// untouched.
type File struct {
	name      string
	tmp       *os.File
	opt       Options
	perm      fs.FileMode
	uid, gid  int
	chown     bool
	committed bool
	closed    bool
}

// Create starts the replacement of name. The target's directory must exist.
func Create(name string, opt Options) (*File, error) {
	perm := opt.Perm
	if perm == 0 {
		perm = 0o644
	}
	f := &File{name: name, opt: opt, perm: perm.Perm()}
	if fi, err := os.Stat(name); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("atomicfile: %s exists and is not a regular file (%s)", name, fi.Mode().Type())
		}
		if !opt.ForcePerm {
			f.perm = fi.Mode().Perm()
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && opt.KeepOwner {
			f.uid, f.gid, f.chown = int(st.Uid), int(st.Gid), true
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, TempPrefix+tempBase(base)+"-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: creating a temporary file beside %s: %w", name, err)
	}
	// Restrict the temporary file at once: it may receive a secret before
	// Commit sets the final mode.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	f.tmp = tmp
	return f, nil
}

// Name returns the target path.
func (f *File) Name() string { return f.name }

// Write appends to the pending content.
func (f *File) Write(p []byte) (int, error) {
	if f.closed {
		return 0, fmt.Errorf("atomicfile: write to %s after Commit or Close", f.name)
	}
	n, err := f.tmp.Write(p)
	if err != nil {
		err = fmt.Errorf("atomicfile: writing %s: %w", f.name, err)
	}
	return n, err
}

// ReadFrom appends everything read from r. It hands the copy to the
// temporary *os.File, so io.Copy from another file uses the kernel's
// copy_file_range or sendfile instead of a user-space buffer.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	if f.closed {
		return 0, fmt.Errorf("atomicfile: write to %s after Commit or Close", f.name)
	}
	n, err := f.tmp.ReadFrom(r)
	if err != nil {
		err = fmt.Errorf("atomicfile: writing %s: %w", f.name, err)
	}
	return n, err
}

// Commit makes the written content the content of the target. After Commit
// the File is closed.
func (f *File) Commit() error {
	if f.closed {
		return fmt.Errorf("atomicfile: Commit of %s after Commit or Close", f.name)
	}
	f.closed = true
	tmpName := f.tmp.Name()
	fail := func(err error) error {
		f.tmp.Close()
		os.Remove(tmpName)
		return fmt.Errorf("atomicfile: replacing %s: %w", f.name, err)
	}
	if !f.opt.NoSync {
		if err := f.tmp.Sync(); err != nil {
			return fail(err)
		}
	}
	if f.chown {
		if err := f.tmp.Chown(f.uid, f.gid); err != nil {
			return fail(fmt.Errorf("keeping owner %d:%d: %w", f.uid, f.gid, err))
		}
	}
	if err := f.tmp.Chmod(f.perm); err != nil {
		return fail(err)
	}
	if err := f.tmp.Close(); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("atomicfile: replacing %s: %w", f.name, err)
	}
	if err := os.Rename(tmpName, f.name); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("atomicfile: replacing %s: %w", f.name, err)
	}
	f.committed = true
	if !f.opt.NoSync {
		if err := SyncDir(filepath.Dir(f.name)); err != nil {
			return fmt.Errorf("atomicfile: %s replaced but its directory not synced: %w", f.name, err)
		}
	}
	return nil
}

// Close discards the pending content unless Commit succeeded. It is safe to
// call after Commit, so `defer f.Close()` is the usual pattern.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	name := f.tmp.Name()
	err := f.tmp.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}

// SyncDir fsyncs a directory, making renames and creations in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		// Some file systems (and /proc-like ones) refuse directory fsync
		// with EINVAL; nothing more can be done there.
		return err
	}
	return nil
}

// Symlink atomically points the symbolic link name at target, replacing
// whatever link is there (the `ln -sfn` that is not atomic, made atomic):
// a new link under a temporary name, then rename.
func Symlink(target, name string) error {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	for i := 0; ; i++ {
		tmp := filepath.Join(dir, fmt.Sprintf("%s%s-%d-%d", TempPrefix, tempBase(base), os.Getpid(), i))
		err := os.Symlink(target, tmp)
		if errors.Is(err, fs.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return fmt.Errorf("atomicfile: linking %s: %w", name, err)
		}
		if err := os.Rename(tmp, name); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("atomicfile: linking %s: %w", name, err)
		}
		return SyncDir(dir)
	}
}
