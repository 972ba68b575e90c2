package pkgconfig

// Dependency is one entry of a Requires, Requires.private, Conflicts or
// Provides list, or of a query: a package name with an optional version
// constraint.
type Dependency struct {
	Name    string
	Op      Comparator
	Version string // empty when Op is Any and no version was written
	// HasVersion is set when a version was written (even with an operator
	// pkgconf does not know, which makes Op Any).
	HasVersion bool
	// Private is set for entries of Requires.private and Requires.internal,
	// Internal for Requires.internal only (its Cflags are not used).
	Private, Internal bool
}

// String writes the dependency as pkgconf prints it ("foo >= 1.0").
func (d Dependency) String() string {
	if !d.HasVersion {
		return d.Name
	}
	return d.Name + " " + d.Op.String() + " " + d.Version
}

func isOpChar(c byte) bool    { return c == '<' || c == '>' || c == '!' || c == '=' }
func isModuleSep(c byte) bool { return c == ',' || isSpace(c) }

// ParseDependencies parses an already expanded dependency list ("glib-2.0
// >= 2.50, gio-2.0 zlib") with pkgconf 1.8's state machine, quirks
// included: an operator must be separated from the name by white space
// ("foo>=1" is one name), a dangling operator with no version drops the
// entry, and an operator glued to its version loses the version's first
// byte ("=1.0" reads as "= .0").
func ParseDependencies(s string) []Dependency {
	out := parseDependencies(s, nil)
	if len(out) == 0 {
		return nil
	}
	return out
}

// parseDependencies appends the entries of s to out. The names and
// versions are substrings of s.
func parseDependencies(s string, out []Dependency) []Dependency {
	const (
		outside = iota
		inName
		beforeOp
		inOp
		afterOp
		inVersion
	)
	// pkgconf reads the list with one space appended: at returns that
	// space past the end of s instead of copying s
	n := len(s) + 1
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return ' '
	}
	state := outside
	cmp := Any
	opStart := 0
	start := 0
	pkgStart, pkgEnd := 0, 0
	vstart := 0
	for ptr := 0; ptr < n; ptr++ {
		c := at(ptr)
		switch state {
		case outside:
			if !isModuleSep(c) {
				state = inName
			}
		case inName:
			if isSpace(c) {
				sp := ptr
				for sp < n && isSpace(at(sp)) {
					sp++
				}
				switch {
				case sp >= n:
					state = outside
				case isModuleSep(at(sp)):
					state = outside
				case isOpChar(at(sp)):
					state = beforeOp
				default:
					state = outside
				}
			} else if isModuleSep(c) {
				state = outside
			} else if ptr+1 >= n {
				ptr++
				state = outside
			}
			if state != inName && start != ptr {
				it := start
				for it < n && isModuleSep(at(it)) {
					it++
				}
				pkgStart, pkgEnd = it, ptr
				if pkgEnd < pkgStart {
					pkgEnd = pkgStart
				}
				start = ptr
			}
			if state == outside {
				out = append(out, Dependency{Name: sub(s, pkgStart, pkgEnd), Op: cmp})
				cmp = Any
				pkgStart, pkgEnd = 0, 0
			}
		case beforeOp:
			if isOpChar(c) {
				state = inOp
				opStart = ptr
			}
		case inOp:
			if !isOpChar(c) {
				state = afterOp
				cmp = ParseComparator(s[opStart:ptr])
			}
		case afterOp:
			if !isSpace(c) {
				vstart = ptr
				state = inVersion
			}
		case inVersion:
			if isModuleSep(c) || ptr+1 >= n {
				state = outside
				out = append(out, Dependency{Name: sub(s, pkgStart, pkgEnd), Op: cmp, Version: sub(s, vstart, ptr), HasVersion: true})
				cmp = Any
				pkgStart, pkgEnd = 0, 0
			}
			if state == outside {
				start = ptr
			}
		}
	}
	return out
}

// sub is s[i:j] with the bounds clipped to s (pkgconf's appended space is
// never part of a name or version).
func sub(s string, i, j int) string {
	j = min(j, len(s))
	i = min(i, j)
	return s[i:j]
}
