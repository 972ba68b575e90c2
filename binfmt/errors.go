package binfmt

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Every error this package returns wraps one of them (or an
// error from the operating system), so callers can test with errors.Is.
var (
	// ErrInvalid means the kernel would refuse the registration with EINVAL.
	ErrInvalid = errors.New("invalid registration")
	// ErrNameTooLong means the entry name is longer than NAME_MAX (255
	// bytes); the kernel answers ENAMETOOLONG.
	ErrNameTooLong = errors.New("entry name too long")
	// ErrReservedName means the name is "register" or "status", files the
	// binfmt_misc file system already has; the kernel answers EEXIST.
	ErrReservedName = errors.New("reserved entry name")
	// ErrExists means an entry of that name is already registered.
	ErrExists = errors.New("entry already registered")
	// ErrNotFound means no entry of that name is registered.
	ErrNotFound = errors.New("no such entry")
	// ErrNotMounted means the directory is not a binfmt_misc mount.
	ErrNotMounted = errors.New("binfmt_misc is not mounted")
	// ErrKernelTooOld means the kernel cannot give a user namespace its own
	// binfmt_misc instance (that needs Linux 6.7 or later).
	ErrKernelTooOld = errors.New("kernel too old for a private binfmt_misc (needs Linux 6.7)")
	// ErrSyntax means a configuration or kernel file could not be parsed.
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownTarget means a QEMU target name is not in the table.
	ErrUnknownTarget = errors.New("unknown QEMU target")
)

// FieldError reports a registration the kernel would refuse: which field,
// where in the register string (when one was parsed) and why.
type FieldError struct {
	// Field is the register string field: "length", "name", "type",
	// "offset", "magic", "mask", "extension", "interpreter" or "flags".
	Field string
	// Offset is the byte offset in the register string where the field
	// starts, or -1 when a Registration value was validated.
	Offset int
	// Value is the offending value (possibly shortened), or "".
	Value string
	// Reason says what was wrong and what was expected.
	Reason string
	// Err is the sentinel: ErrInvalid, ErrNameTooLong or ErrReservedName.
	Err error
}

// Error implements error.
func (e *FieldError) Error() string {
	s := "binfmt: " + e.Field
	if e.Offset >= 0 {
		s += " (byte " + strconv.Itoa(e.Offset) + ")"
	}
	if e.Value != "" {
		s += " " + strconv.Quote(e.Value)
	}
	return s + ": " + e.Reason
}

// Unwrap returns the sentinel error.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, off int, value, reason string) *FieldError {
	return &FieldError{Field: field, Offset: off, Value: shorten(value), Reason: reason, Err: ErrInvalid}
}

func shorten(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// SyntaxError reports a line of a file (a kernel entry file, a binfmt.d file,
// an update-binfmts format file) that could not be parsed.
type SyntaxError struct {
	// File is the file name, or a description of the input.
	File string
	// Line is the 1-based line number, or 0 when not known.
	Line int
	// Msg says what was wrong.
	Msg string
	// Err is an underlying error (a *FieldError for a bad register line),
	// or nil.
	Err error
}

// Error implements error.
func (e *SyntaxError) Error() string {
	s := "binfmt: " + e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrSyntax and the underlying error, if any.
func (e *SyntaxError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrSyntax, e.Err}
	}
	return []error{ErrSyntax}
}

// OpError reports a failed operation on a binfmt_misc mount.
type OpError struct {
	// Op is the operation: "register", "enable", "disable", "remove",
	// "read", "mount".
	Op string
	// Path is the file written or read.
	Path string
	// Name is the entry concerned, or "".
	Name string
	// Err is the cause; it wraps a sentinel such as ErrExists or ErrNotFound
	// where one applies, else the system error.
	Err error
}

// Error implements error.
func (e *OpError) Error() string {
	s := "binfmt: " + e.Op
	if e.Name != "" {
		s += " " + strconv.Quote(e.Name)
	}
	return s + " (" + e.Path + "): " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

func errorf(format string, args ...any) error { return fmt.Errorf("binfmt: "+format, args...) }

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
