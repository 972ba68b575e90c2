package elfpatch

import (
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ShrinkRunpath removes from the search path every absolute directory that
// does not hold one of the file's NEEDED libraries not already found in an
// earlier directory (a library counts when it is an ELF file of the same
// class and machine). Relative entries such as $ORIGIN/../lib are kept, as
// patchelf keeps them. When allowedPrefixes is not empty, absolute
// directories must also start with one of the prefixes. tag is as for
// SetRunpath. Without a search path the file is left unchanged.
func (f *File) ShrinkRunpath(allowedPrefixes []string, tag elf.DynTag) error {
	if err := f.needDynamic("shrink rpath", true); err != nil {
		return err
	}
	cur, curTag, _ := f.Runpath()
	if curTag == elf.DT_NULL {
		return nil
	}
	needed := f.values(elf.DT_NEEDED)
	found := make([]bool, len(needed))
	var keep []string
	for _, dir := range strings.Split(cur, ":") {
		if dir == "" {
			continue
		}
		if !strings.HasPrefix(dir, "/") {
			keep = append(keep, dir)
			continue
		}
		if len(allowedPrefixes) > 0 && !slices.ContainsFunc(allowedPrefixes, func(p string) bool { return strings.HasPrefix(dir, p) }) {
			continue
		}
		useful := false
		for i, lib := range needed {
			if !found[i] && f.compatibleLib(filepath.Join(dir, lib)) {
				found[i], useful = true, true
			}
		}
		if useful {
			keep = append(keep, dir)
		}
	}
	return f.SetRunpath(strings.Join(keep, ":"), tag)
}

// compatibleLib reports whether path is an ELF file of the same class and
// machine as f.
func (f *File) compatibleLib(path string) bool {
	c, m, ok := elfIdent(path)
	return ok && c == f.hdr.class && m == f.hdr.machine
}

// elfIdent reads the class and machine of an ELF file.
func elfIdent(path string) (elf.Class, elf.Machine, bool) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer fh.Close()
	var b [20]byte
	if _, err := io.ReadFull(fh, b[:]); err != nil || string(b[:4]) != elf.ELFMAG {
		return 0, 0, false
	}
	var m uint16
	switch elf.Data(b[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		m = uint16(b[18]) | uint16(b[19])<<8
	case elf.ELFDATA2MSB:
		m = uint16(b[19]) | uint16(b[18])<<8
	default:
		return 0, 0, false
	}
	return elf.Class(b[elf.EI_CLASS]), elf.Machine(m), true
}
