package mesonbuild

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a dotted release number such as meson's "1.0.1" or ninja's
// "1.11.1". Raw keeps the text it was parsed from (which may carry a suffix
// such as ".git" or "rc1").
type Version struct {
	Major, Minor, Patch int
	Raw                 string
}

// ParseVersion reads the leading "major[.minor[.patch]]" of s, ignoring
// surrounding white space and any suffix after the numbers (1.4.0rc2,
// 1.11.1.git.kitware). It fails when s does not start with a number.
func ParseVersion(s string) (Version, error) {
	raw := strings.TrimSpace(s)
	v := Version{Raw: raw}
	rest := raw
	for i := 0; i < 3; i++ {
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 0 {
			if i == 0 {
				return Version{}, fmt.Errorf("mesonbuild: version %q does not start with a number", raw)
			}
			break
		}
		if n > 9 {
			return Version{}, fmt.Errorf("mesonbuild: version %q has an implausibly long number", raw)
		}
		x, _ := strconv.Atoi(rest[:n])
		switch i {
		case 0:
			v.Major = x
		case 1:
			v.Minor = x
		case 2:
			v.Patch = x
		}
		rest = rest[n:]
		if !strings.HasPrefix(rest, ".") {
			break
		}
		rest = rest[1:]
	}
	return v, nil
}

// Compare returns -1, 0 or +1 as v is older than, the same as, or newer
// than w, looking at the numbers only.
func (v Version) Compare(w Version) int {
	for _, d := range [3]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		if d < 0 {
			return -1
		}
		if d > 0 {
			return 1
		}
	}
	return 0
}

// AtLeast reports whether v is major.minor.patch or newer.
func (v Version) AtLeast(major, minor, patch int) bool {
	return v.Compare(Version{Major: major, Minor: minor, Patch: patch}) >= 0
}

// String returns the raw text, or major.minor.patch when there is none.
func (v Version) String() string {
	if v.Raw != "" {
		return v.Raw
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}
