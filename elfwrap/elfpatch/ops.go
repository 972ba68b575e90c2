package elfpatch

import (
	"debug/elf"
	"fmt"
	"slices"
	"strings"
)

// Interpreter returns the program interpreter (PT_INTERP), e.g.
// /lib64/ld-linux-x86-64.so.2.
func (f *File) Interpreter() (string, error) {
	if f.interpIdx < 0 {
		return "", ErrNoInterpreter
	}
	return f.interp, nil
}

// SetInterpreter sets the program interpreter. The file must already have
// one: a shared library or static program has no PT_INTERP to change.
func (f *File) SetInterpreter(path string) error {
	if f.interpIdx < 0 {
		if f.IsStaticPIE() {
			return fmt.Errorf("set interpreter: %w", ErrStaticPIE)
		}
		return fmt.Errorf("set interpreter: %w", ErrNoInterpreter)
	}
	if path == "" || strings.IndexByte(path, 0) >= 0 {
		return fmt.Errorf("set interpreter %q: %w: must be non-empty and contain no NUL byte", path, ErrInvalidValue)
	}
	if path == f.interp {
		return nil
	}
	f.interp, f.interpSet, f.edited = path, true, true
	return nil
}

// needDynamic checks that an operation on the dynamic section applies.
func (f *File) needDynamic(op string, refuseStaticPIE bool) error {
	if f.dynIdx < 0 {
		return fmt.Errorf("%s: %w", op, ErrStatic)
	}
	if refuseStaticPIE && f.IsStaticPIE() {
		return fmt.Errorf("%s: %w", op, ErrStaticPIE)
	}
	if f.dynstr == nil {
		return fmt.Errorf("%s: %w: dynamic section has no DT_STRTAB/DT_STRSZ", op, ErrUnsupported)
	}
	return nil
}

func checkString(op, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s %q: %w: contains a NUL byte", op, s, ErrInvalidValue)
	}
	return nil
}

// values returns the strings of all entries with the tag, in order.
func (f *File) values(t elf.DynTag) []string {
	var out []string
	for _, d := range f.dyn {
		if d.tag == t {
			out = append(out, d.str)
		}
	}
	return out
}

// Needed returns the DT_NEEDED entries in order.
func (f *File) Needed() ([]string, error) {
	if f.dynIdx < 0 {
		return nil, fmt.Errorf("needed: %w", ErrStatic)
	}
	return f.values(elf.DT_NEEDED), nil
}

// Soname returns DT_SONAME, or ErrNoSoname.
func (f *File) Soname() (string, error) {
	if f.dynIdx < 0 {
		return "", fmt.Errorf("soname: %w", ErrStatic)
	}
	v := f.values(elf.DT_SONAME)
	if len(v) == 0 {
		return "", ErrNoSoname
	}
	return v[0], nil
}

// Runpath returns the library search path: DT_RUNPATH when present,
// otherwise DT_RPATH, with the tag it came from. Without either it returns
// "" and elf.DT_NULL.
func (f *File) Runpath() (string, elf.DynTag, error) {
	if f.dynIdx < 0 {
		return "", elf.DT_NULL, fmt.Errorf("rpath: %w", ErrStatic)
	}
	if v := f.values(elf.DT_RUNPATH); len(v) > 0 {
		return v[0], elf.DT_RUNPATH, nil
	}
	if v := f.values(elf.DT_RPATH); len(v) > 0 {
		return v[0], elf.DT_RPATH, nil
	}
	return "", elf.DT_NULL, nil
}

// insertFront puts a new entry before all others, as patchelf does.
func (f *File) insertFront(d dynEntry) {
	f.dyn = slices.Insert(f.dyn, 0, d)
	f.edited = true
}

// SetRunpath sets the library search path. tag chooses the entry:
// elf.DT_RUNPATH (patchelf's default; an existing DT_RPATH is converted) or
// elf.DT_RPATH (patchelf's --force-rpath; an existing DT_RUNPATH is
// converted). Only one search-path entry remains.
func (f *File) SetRunpath(value string, tag elf.DynTag) error {
	if err := f.needDynamic("set rpath", true); err != nil {
		return err
	}
	if tag != elf.DT_RUNPATH && tag != elf.DT_RPATH {
		return fmt.Errorf("set rpath: %w: tag %v is neither DT_RUNPATH nor DT_RPATH", ErrInvalidValue, tag)
	}
	if err := checkString("set rpath", value); err != nil {
		return err
	}
	first := -1
	out := f.dyn[:0:0]
	for i, d := range f.dyn {
		if d.tag == elf.DT_RPATH || d.tag == elf.DT_RUNPATH {
			if first >= 0 {
				f.edited = true
				continue // a second search-path entry is dropped
			}
			first = i
			if d.tag != tag || d.str != value {
				d.tag, d.str, d.pending = tag, value, true
				f.edited = true
			}
		}
		out = append(out, d)
	}
	f.dyn = out
	if first < 0 {
		f.insertFront(dynEntry{tag: tag, str: value, pending: true})
	}
	return nil
}

// AddRunpath appends dirs (colon-separated) to the search path, creating
// it when missing; tag as for SetRunpath. Directories already present are
// not added twice.
func (f *File) AddRunpath(dirs string, tag elf.DynTag) error {
	if err := f.needDynamic("add rpath", true); err != nil {
		return err
	}
	cur, _, _ := f.Runpath()
	var parts []string
	if cur != "" {
		parts = strings.Split(cur, ":")
	}
	for _, d := range strings.Split(dirs, ":") {
		if d != "" && !slices.Contains(parts, d) {
			parts = append(parts, d)
		}
	}
	return f.SetRunpath(strings.Join(parts, ":"), tag)
}

// RemoveRunpath removes every DT_RPATH and DT_RUNPATH entry.
func (f *File) RemoveRunpath() error {
	if err := f.needDynamic("remove rpath", true); err != nil {
		return err
	}
	n := len(f.dyn)
	f.dyn = slices.DeleteFunc(f.dyn, func(d dynEntry) bool {
		return d.tag == elf.DT_RPATH || d.tag == elf.DT_RUNPATH
	})
	if len(f.dyn) != n {
		f.edited = true
	}
	return nil
}

// AddNeeded adds DT_NEEDED entries in front of the existing ones (the
// position patchelf uses). A name already needed is not added again, so
// repeating the operation does not change the file.
func (f *File) AddNeeded(names ...string) error {
	if err := f.needDynamic("add needed", true); err != nil {
		return err
	}
	have := f.values(elf.DT_NEEDED)
	var add []dynEntry
	for _, n := range names {
		if n == "" {
			return fmt.Errorf("add needed: %w: empty library name", ErrInvalidValue)
		}
		if err := checkString("add needed", n); err != nil {
			return err
		}
		if slices.Contains(have, n) {
			continue
		}
		have = append(have, n)
		add = append(add, dynEntry{tag: elf.DT_NEEDED, str: n, pending: true})
	}
	if len(add) > 0 {
		f.dyn = slices.Insert(f.dyn, 0, add...)
		f.edited = true
	}
	return nil
}

// RemoveNeeded removes the DT_NEEDED entries with these names. Names that
// are not needed are ignored, as patchelf does.
func (f *File) RemoveNeeded(names ...string) error {
	if err := f.needDynamic("remove needed", true); err != nil {
		return err
	}
	n := len(f.dyn)
	f.dyn = slices.DeleteFunc(f.dyn, func(d dynEntry) bool {
		return d.tag == elf.DT_NEEDED && slices.Contains(names, d.str)
	})
	if len(f.dyn) != n {
		f.edited = true
	}
	return nil
}

// ReplaceNeeded renames a DT_NEEDED entry. The GNU version-needs records
// (.gnu.version_r) that name the old library are renamed too, or ld.so
// would not match the versions to the replacement. Replacing a name the
// file does not need is not an error.
func (f *File) ReplaceNeeded(old, repl string) error {
	if err := f.needDynamic("replace needed", true); err != nil {
		return err
	}
	if repl == "" {
		return fmt.Errorf("replace needed: %w: empty library name", ErrInvalidValue)
	}
	if err := checkString("replace needed", repl); err != nil {
		return err
	}
	if old == repl {
		return nil
	}
	for i, d := range f.dyn {
		if d.tag == elf.DT_NEEDED && d.str == old {
			f.dyn[i].str, f.dyn[i].pending = repl, true
			f.edited = true
			if f.renames == nil {
				f.renames = map[string]string{}
			}
			f.renames[old] = repl
		}
	}
	return nil
}

// SetSoname sets DT_SONAME, adding the entry when missing. Only ET_DYN
// files (shared objects) have a SONAME.
func (f *File) SetSoname(name string) error {
	if err := f.needDynamic("set soname", true); err != nil {
		return err
	}
	if f.hdr.typ != elf.ET_DYN {
		return fmt.Errorf("set soname: %w", ErrNotSharedObject)
	}
	if name == "" {
		return fmt.Errorf("set soname: %w: empty name", ErrInvalidValue)
	}
	if err := checkString("set soname", name); err != nil {
		return err
	}
	for i, d := range f.dyn {
		if d.tag == elf.DT_SONAME {
			if d.str != name {
				f.dyn[i].str, f.dyn[i].pending = name, true
				f.edited = true
			}
			return nil
		}
	}
	f.insertFront(dynEntry{tag: elf.DT_SONAME, str: name, pending: true})
	return nil
}

// Edited reports whether any operation changed the file.
func (f *File) Edited() bool { return f.edited }
