package binfmt

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// DefaultDir is where binfmt_misc is mounted on Linux systems.
const DefaultDir = "/proc/sys/fs/binfmt_misc"

// binfmtFSMagic is BINFMTFS_MAGIC from include/uapi/linux/magic.h.
const binfmtFSMagic = 0x42494e4d

// Mount is a handle on a mounted binfmt_misc file system: the system's at
// DefaultDir, or a private instance mounted anywhere in a user namespace of
// its own (see Sandbox).
type Mount struct {
	dir string
}

// Dir returns the mount point.
func (m *Mount) Dir() string { return m.dir }

func (m *Mount) path(name string) string { return filepath.Join(m.dir, name) }

// Enabled reads the status file: whether binfmt_misc is enabled as a whole.
func (m *Mount) Enabled() (bool, error) {
	data, err := os.ReadFile(m.path("status"))
	if err != nil {
		return false, &OpError{Op: "read", Path: m.path("status"), Err: err}
	}
	return ParseStatus(data)
}

// SetEnabled enables (1) or disables (0) binfmt_misc as a whole through the
// status file; the entries are kept.
func (m *Mount) SetEnabled(on bool) error {
	cmd := "0"
	if on {
		cmd = "1"
	}
	return m.command("status", "", cmd)
}

// RemoveAll removes every entry (writes -1 to the status file).
func (m *Mount) RemoveAll() error { return m.command("status", "", "-1") }

// Enable enables the named entry.
func (m *Mount) Enable(name string) error { return m.entryCommand(name, "1", "enable") }

// Disable disables the named entry; it stays registered.
func (m *Mount) Disable(name string) error { return m.entryCommand(name, "0", "disable") }

// Remove removes the named entry. A missing entry gives ErrNotFound.
func (m *Mount) Remove(name string) error { return m.entryCommand(name, "-1", "remove") }

func (m *Mount) entryCommand(name, cmd, op string) error {
	if err := validateName(name, -1); err != nil {
		return &OpError{Op: op, Path: m.dir, Name: name, Err: err}
	}
	return m.command(name, op, cmd)
}

func (m *Mount) command(file, op, cmd string) error {
	if op == "" {
		op = "write"
	}
	p := m.path(file)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && file != "status" {
			err = errors.Join(ErrNotFound, err)
		}
		return &OpError{Op: op, Path: p, Name: nameOf(file), Err: err}
	}
	defer f.Close()
	if _, err := f.Write([]byte(cmd)); err != nil {
		return &OpError{Op: op, Path: p, Name: nameOf(file), Err: err}
	}
	return f.Close()
}

func nameOf(file string) string {
	if file == "status" || file == "register" {
		return ""
	}
	return file
}

// Names returns the registered entries' names in kernel order (newest
// first: the order in which the kernel tries them).
func (m *Mount) Names() ([]string, error) {
	d, err := os.Open(m.dir)
	if err != nil {
		return nil, &OpError{Op: "read", Path: m.dir, Err: err}
	}
	defer d.Close()
	// Readdirnames keeps the directory's order; binfmt_misc lists the
	// newest entry first, which is also the order of its list.
	all, err := d.Readdirnames(-1)
	if err != nil {
		return nil, &OpError{Op: "read", Path: m.dir, Err: err}
	}
	names := all[:0]
	for _, n := range all {
		if n != "register" && n != "status" {
			names = append(names, n)
		}
	}
	return names, nil
}

// Entry reads one entry. A missing entry gives an error wrapping ErrNotFound.
func (m *Mount) Entry(name string) (Entry, error) {
	if err := validateName(name, -1); err != nil {
		return Entry{}, &OpError{Op: "read", Path: m.dir, Name: name, Err: err}
	}
	p := m.path(name)
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = errors.Join(ErrNotFound, err)
		}
		return Entry{}, &OpError{Op: "read", Path: p, Name: name, Err: err}
	}
	return ParseEntry(name, data)
}

// Entries reads every entry, in kernel order (newest first). An entry
// removed while the list is read is left out.
func (m *Mount) Entries() ([]Entry, error) {
	names, err := m.Names()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		e, err := m.Entry(n)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// RegisterOptions change how Register treats an existing entry.
type RegisterOptions struct {
	// Replace removes an entry of the same name first, as systemd-binfmt
	// does, instead of failing with ErrExists.
	Replace bool
}

// Register validates the registration (a registration the kernel would
// refuse is refused here, with the reason, before anything is written) and
// writes it to the register file. An entry of the same name gives an error
// wrapping ErrExists unless opts.Replace is set.
func (m *Mount) Register(r Registration, opts RegisterOptions) error {
	line, err := r.Encode()
	if err != nil {
		return &OpError{Op: "register", Path: m.path("register"), Name: r.Name, Err: err}
	}
	if opts.Replace {
		if err := m.Remove(r.Name); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	p := m.path("register")
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return &OpError{Op: "register", Path: p, Name: r.Name, Err: err}
	}
	defer f.Close()
	if _, err := f.Write([]byte(line)); err != nil {
		switch {
		case errors.Is(err, syscall.EEXIST):
			err = errors.Join(ErrExists, err)
		case errors.Is(err, syscall.EINVAL):
			err = errors.Join(ErrInvalid, err)
		case r.Flags&FlagFixBinary != 0:
			// The kernel opens an F entry's interpreter (open_exec) before
			// it looks at the name, and returns that open's error as is:
			// ENOENT, EACCES, ENOTDIR, ELOOP, ENAMETOOLONG (the entry's
			// name was validated above), ETXTBSY...
			err = errors.Join(errors.New("with F the kernel opens the interpreter "+strconv.Quote(r.Interpreter)+" now, and could not"), err)
		}
		return &OpError{Op: "register", Path: p, Name: r.Name, Err: err}
	}
	return f.Close()
}

// ReadHeader reads the first BufSize bytes of a file, what the kernel
// matches entries against.
func ReadHeader(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, BufSize)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

// Match says which entry of this mount the kernel would use to run the
// file at path, accounting for the global status.
func (m *Mount) Match(path string) (MatchResult, error) {
	header, err := ReadHeader(path)
	if err != nil {
		return MatchResult{}, err
	}
	entries, err := m.Entries()
	if err != nil {
		return MatchResult{}, err
	}
	on, err := m.Enabled()
	if err != nil {
		return MatchResult{}, err
	}
	res := Match(entries, header, path)
	if !on {
		res.Entry = nil
		res.Reason = "binfmt_misc is disabled as a whole (status), no entry is used"
	}
	return res, nil
}
