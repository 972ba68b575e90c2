package elfpatch

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of them (or are
// a *FormatError) so callers can test with errors.Is and errors.As.
var (
	// ErrNotELF: the input does not start with the ELF magic.
	ErrNotELF = errors.New("not an ELF file")
	// ErrMalformed: the file is ELF but a structure is inconsistent; the
	// concrete error is a *FormatError naming the structure and offset.
	ErrMalformed = errors.New("malformed ELF file")
	// ErrStatic: the operation needs a dynamic section and the file is
	// statically linked.
	ErrStatic = errors.New("statically linked: the file has no dynamic section (PT_DYNAMIC)")
	// ErrStaticPIE: the operation makes no sense for a static-pie: it has a
	// dynamic section for self-relocation but no program interpreter, so
	// nothing would ever load a NEEDED library or search its RUNPATH.
	ErrStaticPIE = errors.New("static-pie: no program interpreter loads libraries for it")
	// ErrNoInterpreter: the file has no PT_INTERP (a shared library or a
	// static program); patchelf cannot add one either.
	ErrNoInterpreter = errors.New("the file has no program interpreter (PT_INTERP)")
	// ErrNoSoname: the file has no DT_SONAME entry.
	ErrNoSoname = errors.New("the file has no DT_SONAME entry")
	// ErrNotSharedObject: DT_SONAME is only set on ET_DYN files.
	ErrNotSharedObject = errors.New("not a shared object (ET_DYN)")
	// ErrUnsupported: the file uses a layout this patcher refuses to
	// rewrite rather than risk a broken output.
	ErrUnsupported = errors.New("unsupported ELF layout")
	// ErrInvalidValue: a value to set is unusable (empty, contains NUL).
	ErrInvalidValue = errors.New("invalid value")
)

// FormatError describes a malformed structure: which field, at which file
// offset, and what was wrong. It matches ErrMalformed (and ErrNotELF when the
// magic is missing) under errors.Is.
type FormatError struct {
	Off    int64  // byte offset in the file where the structure sits
	Field  string // the structure or field, e.g. "PT_DYNAMIC" or "DT_STRSZ"
	Msg    string // what was wrong
	notELF bool
}

// Error says which structure at which offset was wrong.
func (e *FormatError) Error() string {
	return fmt.Sprintf("malformed ELF: %s at offset %#x: %s", e.Field, e.Off, e.Msg)
}

// Is makes errors.Is(err, ErrMalformed) (and ErrNotELF for a bad magic) true.
func (e *FormatError) Is(target error) bool {
	return target == ErrMalformed || (e.notELF && target == ErrNotELF)
}
