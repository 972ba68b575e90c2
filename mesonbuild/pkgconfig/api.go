package pkgconfig

import (
	"strings"
)

// Cflags returns the compiler flags for the queries, exactly as
// pkgconf --cflags prints them (split into fragments): dependencies
// walked, duplicates merged, system include directories dropped unless
// kept. A query is a module name, optionally with a constraint
// ("gtk+-3.0 >= 3.24"). With Options.Static, Cflags.private are included.
func (c *Client) Cflags(queries ...string) (Fragments, error) {
	s := c.NewSession()
	defer s.release()
	w := c.Compile(queries...)
	if err := s.Validate(w); err != nil {
		return nil, err
	}
	frags, err := s.Cflags(w)
	if err != nil {
		return nil, err
	}
	return c.FilterCflags(frags, true, true), nil
}

// Libs returns the linker flags for the queries, exactly as pkgconf --libs
// prints them (with Options.Static, as --libs --static).
func (c *Client) Libs(queries ...string) (Fragments, error) {
	s := c.NewSession()
	defer s.release()
	w := c.Compile(queries...)
	if err := s.Validate(w); err != nil {
		return nil, err
	}
	frags, err := s.Libs(w)
	if err != nil {
		return nil, err
	}
	return c.FilterLibs(frags, true, true, true), nil
}

// Flags returns Cflags and Libs together, as pkgconf --cflags --libs does:
// the graph is validated once and then walked once per kind.
func (c *Client) Flags(queries ...string) (cflags, libs Fragments, err error) {
	s := c.NewSession()
	defer s.release()
	w := c.Compile(queries...)
	if err := s.Validate(w); err != nil {
		return nil, nil, err
	}
	cf, err := s.Cflags(w)
	if err != nil {
		return nil, nil, err
	}
	lf, err := s.Libs(w)
	if err != nil {
		return nil, nil, err
	}
	return c.FilterCflags(cf, true, true), c.FilterLibs(lf, true, true, true), nil
}

// Check verifies that the queries resolve: every package found (through
// Provides if need be), every version constraint met, no Conflicts rule
// matched, Requires.private included (as Debian's pkgconf --exists does).
// The error is a *ResolveError listing each problem.
func (c *Client) Check(queries ...string) error {
	s := c.NewSession()
	defer s.release()
	return s.ValidateAll(c.Compile(queries...))
}

// Exists reports whether Check succeeds.
func (c *Client) Exists(queries ...string) bool { return c.Check(queries...) == nil }

// Resolve returns the packages the queries name, after checking their
// whole dependency graph as pkgconf does before printing anything.
func (c *Client) Resolve(queries ...string) ([]*Package, error) {
	s := c.NewSession()
	defer s.release()
	w := c.Compile(queries...)
	if err := s.Validate(w); err != nil {
		return nil, err
	}
	return s.Matches(w), nil
}

// Modversion returns the version of the package a query names
// (pkgconf --modversion), after checking its dependencies.
func (c *Client) Modversion(query string) (string, error) {
	pkgs, err := c.Resolve(query)
	if err != nil {
		return "", err
	}
	var vs []string
	for _, p := range pkgs {
		vs = append(vs, p.Version)
	}
	return strings.Join(vs, "\n"), nil
}

// Variable returns a variable of the package a name resolves to
// (pkgconf --variable=NAME); ok is false when the package does not define
// it.
func (c *Client) Variable(pkg, name string) (value string, ok bool, err error) {
	pkgs, err := c.Resolve(pkg)
	if err != nil {
		return "", false, err
	}
	if len(pkgs) == 0 {
		return "", false, nil
	}
	v, ok := pkgs[0].Variable(c, name)
	return v, ok, nil
}
