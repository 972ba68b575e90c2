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
	const (
		outside = iota
		inName
		beforeOp
		inOp
		afterOp
		inVersion
	)
	var out []Dependency
	buf := s + " "
	state := outside
	cmp := Any
	var cmpname []byte
	start := 0
	pkgStart, pkgEnd := 0, 0
	vstart := 0
	for ptr := 0; ptr < len(buf); ptr++ {
		c := buf[ptr]
		switch state {
		case outside:
			if !isModuleSep(c) {
				state = inName
			}
		case inName:
			if isSpace(c) {
				sp := ptr
				for sp < len(buf) && isSpace(buf[sp]) {
					sp++
				}
				switch {
				case sp >= len(buf):
					state = outside
				case isModuleSep(buf[sp]):
					state = outside
				case isOpChar(buf[sp]):
					state = beforeOp
				default:
					state = outside
				}
			} else if isModuleSep(c) {
				state = outside
			} else if ptr+1 >= len(buf) {
				ptr++
				state = outside
			}
			if state != inName && start != ptr {
				it := start
				for it < len(buf) && isModuleSep(buf[it]) {
					it++
				}
				pkgStart, pkgEnd = it, ptr
				if pkgEnd < pkgStart {
					pkgEnd = pkgStart
				}
				start = ptr
			}
			if state == outside {
				out = appendDep(out, Dependency{Name: buf[pkgStart:pkgEnd], Op: cmp})
				cmp = Any
				pkgStart, pkgEnd = 0, 0
			}
		case beforeOp:
			if isOpChar(c) {
				state = inOp
				cmpname = append(cmpname, c)
			}
		case inOp:
			if !isOpChar(c) {
				state = afterOp
				cmp = ParseComparator(string(cmpname))
			} else {
				cmpname = append(cmpname, c)
			}
		case afterOp:
			if !isSpace(c) {
				vstart = ptr
				state = inVersion
			}
		case inVersion:
			if isModuleSep(c) || ptr+1 >= len(buf) {
				state = outside
				out = appendDep(out, Dependency{Name: buf[pkgStart:pkgEnd], Op: cmp, Version: buf[vstart:ptr], HasVersion: true})
				cmp = Any
				cmpname = cmpname[:0]
				pkgStart, pkgEnd = 0, 0
			}
			if state == outside {
				start = ptr
			}
		}
	}
	return out
}

func appendDep(list []Dependency, d Dependency) []Dependency {
	return append(list, d)
}
