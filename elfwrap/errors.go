package elfwrap

import (
	"errors"
	"fmt"
)

// ErrNotELF is matched (errors.Is) by the error for a file that does not
// start with the ELF magic.
var ErrNotELF = errors.New("not an ELF file")

// ErrMalformed is matched (errors.Is) by every *FormatError: the input is
// ELF (or an ld.so.cache) but a structure in it is truncated or
// inconsistent.
var ErrMalformed = errors.New("malformed file")

// ErrNotFound is matched (errors.Is) by the error recorded for a library
// that no search directory provides.
var ErrNotFound = errors.New("cannot open shared object file: no such file")

// ErrLoop is matched (errors.Is) when symbolic links or ld.so.conf
// includes form a cycle.
var ErrLoop = errors.New("too many levels of symbolic links or includes")

// FormatError describes a malformed ELF file or ld.so.cache: which file,
// which structure, at which byte offset, and what was wrong.
type FormatError struct {
	// Path is the file's name ("" when parsing bytes without a name).
	Path string
	// Structure names the part being read ("ELF header", "program header 3",
	// "dynamic section", "ld.so.cache entry 12", ...).
	Structure string
	// Offset is the byte offset in the file where the problem is.
	Offset int64
	// Msg says what was expected.
	Msg string
}

// Error names the file, structure, offset and problem.
func (e *FormatError) Error() string {
	p := e.Path
	if p == "" {
		p = "<input>"
	}
	return fmt.Sprintf("%s: %s at offset %#x: %s", p, e.Structure, e.Offset, e.Msg)
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *FormatError) Is(target error) bool { return target == ErrMalformed }

func formatErr(path, structure string, off int64, format string, args ...any) *FormatError {
	return &FormatError{Path: path, Structure: structure, Offset: off, Msg: fmt.Sprintf(format, args...)}
}
