package pkgconfig

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is matched (with errors.Is) by every NotFoundError.
var ErrNotFound = errors.New("package not found")

// ErrExpansionTooDeep is reported when a variable value keeps expanding to
// a reference to itself. pkgconf 1.8 recurses without bound there and
// crashes; this package stops after 64 levels and leaves the reference
// empty. It is also reported when one value needs more than 2^20
// references expanded (values that re-expand each other, doubling the
// work at each level: pkgconf would run for hours or for ever).
var ErrExpansionTooDeep = errors.New("variable expansion nested too deeply")

// ErrGraphTooLarge is reported when walking a query's Requires graph
// visits more than a million packages. pkgconf 1.8 walks every path of
// the graph without memory, so a hostile set of .pc files (chains of
// diamonds) makes it run for ever; this package stops instead.
var ErrGraphTooLarge = errors.New("dependency graph too large to walk (more than 1000000 visits)")

// SyntaxError is a problem at a line of a file.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// InvalidFileError reports a .pc file pkgconf would skip (a required
// field missing, or unreadable).
type InvalidFileError struct {
	Path     string
	Problems []Diagnostic
	Err      error // the read error, if that was the cause
}

func (e *InvalidFileError) Error() string {
	if e.Err != nil && len(e.Problems) == 0 {
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	}
	var parts []string
	for _, p := range e.Problems {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

func (e *InvalidFileError) Unwrap() error { return e.Err }

// NotFoundError reports a package that no .pc file (and no Provides)
// supplies.
type NotFoundError struct {
	Name string
	// RequiredBy is the module that asked for it ("virtual:world" for a
	// query).
	RequiredBy string
	// SearchPath is where the client looked.
	SearchPath []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("package %q, required by %q, not found in %s", e.Name, e.RequiredBy, strings.Join(e.SearchPath, ":"))
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// VersionError reports a package whose version does not satisfy a
// constraint.
type VersionError struct {
	Want       Dependency
	Found      string // the version the package has
	RequiredBy string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("package %q has version %q, %q requires %s %s", e.Want.Name, e.Found, e.RequiredBy, e.Want.Op, e.Want.Version)
}

// ConflictError reports a Conflicts rule that matched.
type ConflictError struct {
	Rule    Dependency
	Version string // version of the conflicting package
	Package string // its id
	By      string // Name of the package declaring the conflict
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("version %q of %q conflicts with %q (rule %s)", e.Version, e.Package, e.By, e.Rule)
}

// ResolveError collects every problem found while walking the
// dependency graph of a query.
type ResolveError struct {
	Errs []error
	// Messages are the lines pkgconf prints for these problems.
	Messages []string
}

func (e *ResolveError) Error() string {
	var parts []string
	for _, err := range e.Errs {
		parts = append(parts, err.Error())
	}
	return "pkgconfig: " + strings.Join(parts, "; ")
}

// Unwrap gives errors.Is/As access to each problem.
func (e *ResolveError) Unwrap() []error { return e.Errs }
