package pkgconfig

// CompareVersions compares two version strings the way pkgconf 1.8 does
// (its variant of RPM's rpmvercmp) and returns -1, 0 or +1.
//
// Two strings equal when compared case-insensitively are equal. Otherwise
// both are split into runs of digits and runs of ASCII letters; every other
// byte separates runs, except '~', which sorts before anything, even the end
// of the string ("1.0~rc1" < "1.0"). A numeric run beats an alphabetic one;
// numbers compare by value (leading zeros ignored, then length, then
// digits); letters compare byte-wise (so case matters once the whole
// strings differ). When one string runs out of runs first, the other is
// newer.
//
// Like pkgconf, the order is not transitive across case changes ("A" < "B"
// < "a" == "A"), because the first equality test ignores case and the run
// comparison does not.
func CompareVersions(a, b string) int {
	if equalFoldASCII(a, b) {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' {
			j++
		}
		ai, bj := at(a, i), at(b, j)
		if ai == '~' || bj == '~' {
			if ai != '~' {
				return 1
			}
			if bj != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		s1, s2 := i, j
		isnum := isDigit(a[i])
		if isnum {
			for s1 < len(a) && isDigit(a[s1]) {
				s1++
			}
			for s2 < len(b) && isDigit(b[s2]) {
				s2++
			}
		} else {
			for s1 < len(a) && isAlpha(a[s1]) {
				s1++
			}
			for s2 < len(b) && isAlpha(b[s2]) {
				s2++
			}
		}
		if j == s2 {
			// b's run is of the other kind: a number beats letters.
			if isnum {
				return 1
			}
			return -1
		}
		one, two := a[i:s1], b[j:s2]
		if isnum {
			for len(one) > 0 && one[0] == '0' {
				one = one[1:]
			}
			for len(two) > 0 && two[0] == '0' {
				two = two[1:]
			}
			if len(one) > len(two) {
				return 1
			}
			if len(two) > len(one) {
				return -1
			}
		}
		if one < two {
			return -1
		}
		if one > two {
			return 1
		}
		i, j = s1, s2
	}
	if i >= len(a) && j >= len(b) {
		return 0
	}
	if i >= len(a) {
		return -1
	}
	return 1
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// Comparator is a version operator in a dependency ("foo >= 1.2").
type Comparator int

// The operators, in pkgconf's order.
const (
	Any          Comparator = iota // no version constraint
	LessThan                       // <
	GreaterThan                    // >
	LessEqual                      // <=
	GreaterEqual                   // >=
	Equal                          // =
	NotEqual                       // !=
)

// String returns the operator as written in a .pc file; Any is "(any)",
// as pkgconf prints it.
func (c Comparator) String() string {
	switch c {
	case LessThan:
		return "<"
	case GreaterThan:
		return ">"
	case LessEqual:
		return "<="
	case GreaterEqual:
		return ">="
	case Equal:
		return "="
	case NotEqual:
		return "!="
	case Any:
		return "(any)"
	}
	return "???"
}

// ParseComparator maps an operator string to a Comparator. Like pkgconf,
// anything it does not know (">>", "==", "=>") is Any.
func ParseComparator(s string) Comparator {
	switch s {
	case "<":
		return LessThan
	case ">":
		return GreaterThan
	case "<=":
		return LessEqual
	case ">=":
		return GreaterEqual
	case "=":
		return Equal
	case "!=":
		return NotEqual
	}
	return Any
}

// Satisfied reports whether version (the package's) meets the constraint
// "op want".
func (c Comparator) Satisfied(version, want string) bool {
	switch c {
	case Any:
		return true
	case LessThan:
		return CompareVersions(version, want) < 0
	case GreaterThan:
		return CompareVersions(version, want) > 0
	case LessEqual:
		return CompareVersions(version, want) <= 0
	case GreaterEqual:
		return CompareVersions(version, want) >= 0
	case Equal:
		return CompareVersions(version, want) == 0
	case NotEqual:
		return CompareVersions(version, want) != 0
	}
	return false
}
