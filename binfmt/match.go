package binfmt

import (
	"fmt"
	"strconv"
	"strings"
)

func hexByte(b byte) string { return string([]byte{'0', 'x', hexDigits[b>>4], hexDigits[b&15]}) }

// Skip is an entry that was looked at and passed over, and why.
type Skip struct {
	// Name is the entry's name.
	Name string
	// Reason says why it did not apply.
	Reason string
}

// MatchResult is the kernel's choice of handler for a file.
type MatchResult struct {
	// Entry is the handler the kernel would use, or nil.
	Entry *Entry
	// Reason says why that entry matched, or why none did.
	Reason string
	// Skipped lists the entries tried before, newest first, each with why
	// it did not apply.
	Skipped []Skip
}

// Match returns the entry the kernel would use for a file, given the
// registered entries in kernel order (newest first, as Mount.Entries returns
// them), the file's first bytes (up to BufSize; the kernel zero-fills the
// rest) and the path it is executed by. Like load_misc_binary, it skips
// disabled entries, compares extensions with the text after the last dot of
// the path, and magic bytes under the mask; the first match wins.
//
// Match does not look at the global status: when binfmt_misc is disabled
// the kernel uses no entry at all (Mount.Match accounts for it).
func Match(entries []Entry, header []byte, path string) MatchResult {
	var buf [BufSize]byte
	copy(buf[:], header)
	ext, hasExt := "", false
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		ext, hasExt = path[i+1:], true
	}
	var res MatchResult
	for i := range entries {
		e := &entries[i]
		if !e.Enabled {
			res.Skipped = append(res.Skipped, Skip{e.Name, "disabled"})
			continue
		}
		if e.Kind == KindExtension {
			if hasExt && ext == e.Extension {
				res.Entry = e
				res.Reason = fmt.Sprintf("the path's extension is .%s", ext)
				return res
			}
			why := "the path has no extension"
			if hasExt {
				why = fmt.Sprintf("extension .%s, entry wants .%s", ext, e.Extension)
			}
			res.Skipped = append(res.Skipped, Skip{e.Name, why})
			continue
		}
		if why := unmatchable(&e.Registration); why != "" {
			res.Skipped = append(res.Skipped, Skip{e.Name, why})
			continue
		}
		if j := mismatchAt(buf[:], e.Offset, e.Magic, e.Mask); j >= 0 {
			mk := byte(0xff)
			if e.Mask != nil {
				mk = e.Mask[j]
			}
			res.Skipped = append(res.Skipped, Skip{e.Name, "byte " + strconv.Itoa(e.Offset+j) + " is " + hexByte(buf[e.Offset+j]) + ", entry wants " + hexByte(e.Magic[j]) + " under mask " + hexByte(mk)})
			continue
		}
		res.Entry = e
		res.Reason = fmt.Sprintf("bytes %d-%d match its magic under its mask", e.Offset, e.Offset+len(e.Magic)-1)
		return res
	}
	if len(entries) == 0 {
		res.Reason = "no entries are registered"
	} else {
		res.Reason = fmt.Sprintf("none of the %d entries matches", len(entries))
	}
	return res
}

// unmatchable says why a magic registration cannot take part in matching
// (the kernel would have refused it: a negative offset, magic past the
// bytes it reads, a mask of another length, an empty magic), or "".
// Entries from a mount are always matchable; hand-built ones may not be.
func unmatchable(r *Registration) string {
	switch {
	case len(r.Magic) == 0:
		return "invalid entry: empty magic"
	case r.Offset < 0 || len(r.Magic) > BufSize || r.Offset > BufSize-len(r.Magic):
		return "invalid entry: offset " + strconv.Itoa(r.Offset) + " + magic length " + strconv.Itoa(len(r.Magic)) + " is outside the " + strconv.Itoa(BufSize) + " bytes the kernel reads"
	case r.Mask != nil && len(r.Mask) != len(r.Magic):
		return "invalid entry: mask length " + strconv.Itoa(len(r.Mask)) + " differs from magic length " + strconv.Itoa(len(r.Magic))
	}
	return ""
}

// mismatchAt returns the index of the first magic byte that differs under
// the mask, or -1 when all match. The caller has checked unmatchable.
func mismatchAt(buf []byte, off int, magic, mask []byte) int {
	for j := range magic {
		if off+j >= len(buf) {
			return j
		}
		d := buf[off+j] ^ magic[j]
		if mask != nil {
			d &= mask[j]
		}
		if d != 0 {
			return j
		}
	}
	return -1
}

// Find returns the entry the kernel would use, like Match but without the
// explanations (and without allocating), or nil.
func Find(entries []Entry, header []byte, path string) *Entry {
	var buf [BufSize]byte
	copy(buf[:], header)
	i := strings.LastIndexByte(path, '.')
	for k := range entries {
		e := &entries[k]
		if e.Enabled && e.Registration.matches(&buf, path, i) {
			return e
		}
	}
	return nil
}

func (r *Registration) matches(buf *[BufSize]byte, path string, dot int) bool {
	if r.Kind == KindExtension {
		return dot >= 0 && path[dot+1:] == r.Extension
	}
	return unmatchable(r) == "" && mismatchAt(buf[:], r.Offset, r.Magic, r.Mask) < 0
}

// Matches reports whether the registration applies to a file with these
// first bytes executed by this path (ignoring whether it is enabled).
func (r Registration) Matches(header []byte, path string) bool {
	var buf [BufSize]byte
	copy(buf[:], header)
	return r.matches(&buf, path, strings.LastIndexByte(path, '.'))
}
