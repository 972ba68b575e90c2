package pkgconfig

import "strings"

// Fragment is one compiler or linker argument from Cflags or Libs. Flags of
// the form -X<data> with a letter pkgconf knows (everything except the
// "special" ones below) have Type 'X' and Data "<data>": "-I/usr/include"
// is {'I', "/usr/include"}, "-lz" is {'l', "z"}, "-Wall" is {'W', "all"}.
// Special arguments (not starting with '-', "-lib:...", and flags such as
// -pthread, -Wl,..., -framework, -isystem, -include, -std=) have Type 0
// and the whole argument as Data.
type Fragment struct {
	Type byte
	Data string
	// Group holds the separate arguments when pkgconf merged a special
	// argument with the ones after it ("-framework" "Cocoa" becomes one
	// fragment with Data "-framework Cocoa"); nil otherwise.
	Group []string
}

// String returns the argument as it would be passed to a compiler,
// unquoted: "-I/usr/include", "-pthread".
func (f Fragment) String() string {
	if f.Type == 0 {
		return f.Data
	}
	return string([]byte{'-', f.Type}) + f.Data
}

// Fragments is an ordered list of arguments.
type Fragments []Fragment

// Strings returns the arguments unquoted, ready for exec (a merged group
// gives back its separate arguments).
func (fs Fragments) Strings() []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		if f.Group != nil {
			out = append(out, f.Group...)
			continue
		}
		out = append(out, f.String())
	}
	return out
}

// String renders the list exactly as pkgconf prints it: each argument
// shell-escaped and followed by one space (so a non-empty result ends in a
// space), with no newline.
func (fs Fragments) String() string {
	var b strings.Builder
	for _, f := range fs {
		if f.Type != 0 {
			b.WriteByte('-')
			b.WriteByte(f.Type)
		}
		quoteTo(&b, f.Data, f.Group != nil)
		b.WriteByte(' ')
	}
	return b.String()
}

// quoteTo writes s with a backslash before every byte pkgconf escapes
// (control bytes, white space, shell metacharacters, non-ASCII bytes).
// In a merged group the separating spaces are not escaped (nor any other
// space in it: pkgconf 1.8 cannot tell them apart).
func quoteTo(b *strings.Builder, s string, merged bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsEscape(c) && !(merged && c == ' ') {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
}

func needsEscape(c byte) bool {
	switch {
	case c <= ' ', c >= 0x7f:
		return true
	case c > ' ' && c < '$', c > '$' && c < '(', c > ')' && c < '+',
		c > ':' && c < '=', c > '=' && c < '@', c > 'Z' && c < '^',
		c == '`', c > 'z' && c < '~':
		return true
	}
	return false
}

// SplitArgs splits s into words the way pkgconf's argv splitter (and,
// mostly, a POSIX shell) does: white space separates words, single quotes
// keep everything literally, double quotes keep everything but let a
// backslash escape $, `, " and \ (other backslashes stay), a backslash
// outside quotes escapes the next byte. Empty words are dropped. An
// unterminated quote or a trailing backslash is an error, as in pkgconf.
// A NUL byte ends the input, as it ends a C string.
func SplitArgs(s string) ([]string, error) {
	out, err := splitArgs(s, nil, nil)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// splitArgs appends the words of s to out. A word written without quotes
// or backslashes is a substring of s; any other is assembled and copied
// into m's text (allocated when m is nil).
func splitArgs(s string, out []string, m *loadMem) ([]string, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	var cur []byte
	if m != nil {
		cur = m.word[:0]
	}
	var quote byte
	escaped := false
	ws := -1         // start in s of the current word, -1 between words
	copying := false // the current word is assembled in cur
	emit := func(end int) {
		switch {
		case copying && len(cur) > 0 && m != nil:
			out = append(out, m.str(cur))
		case copying && len(cur) > 0:
			out = append(out, string(cur))
		case !copying && ws >= 0:
			out = append(out, s[ws:end])
		}
		cur, ws, copying = cur[:0], -1, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			if quote == '"' && !(c == '$' || c == '`' || c == '"' || c == '\\') {
				cur = append(cur, '\\')
			}
			cur = append(cur, c)
			escaped = false
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote != '\'' {
				escaped = true
			} else {
				cur = append(cur, c)
			}
		case isSpace(c):
			emit(i)
		case c == '\\' || c == '"' || c == '\'':
			if !copying {
				// the word so far was plain: assemble it from here on
				if ws >= 0 {
					cur = append(cur[:0], s[ws:i]...)
				}
				copying = true
			}
			if c == '\\' {
				escaped = true
			} else {
				quote = c
			}
		default:
			if copying {
				cur = append(cur, c)
			} else if ws < 0 {
				ws = i
			}
		}
	}
	if escaped || quote != 0 {
		if m != nil {
			m.word = cur[:0]
		}
		return out, errUnbalanced
	}
	emit(len(s))
	if m != nil {
		m.word = cur[:0]
	}
	return out, nil
}

type splitError struct{}

func (splitError) Error() string { return "unterminated quote or trailing backslash" }

var errUnbalanced error = splitError{}

var unmergeablePrefixes = []string{
	"-framework", "-isystem", "-idirafter", "-pthread", "-Wa,", "-Wl,", "-Wp,",
	"-trigraphs", "-pedantic", "-ansi", "-std=", "-stdlib=", "-include",
	"-nostdinc", "-nostdlibinc", "-nobuiltininc",
}

// isUnmergeable is pkgconf's pkgconf_fragment_is_unmergeable: true for data
// not starting with '-' and for the flags that take part in special
// handling.
func isUnmergeable(s string) bool {
	if s == "" || s[0] != '-' {
		return true
	}
	for _, p := range unmergeablePrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func isSpecial(s string) bool {
	if s == "" || s[0] != '-' {
		return true
	}
	if strings.HasPrefix(s, "-lib:") {
		return true
	}
	return isUnmergeable(s)
}

// newFragment classifies one argument.
func newFragment(arg string) Fragment {
	if len(arg) > 1 && !isSpecial(arg) {
		return Fragment{Type: arg[1], Data: arg[2:]}
	}
	return Fragment{Data: arg}
}

// ParseFragments splits an already expanded Cflags or Libs value into
// fragments, as pkgconf 1.8 adds them to a package: a special argument
// that follows a special flag such as -framework, -isystem, -include,
// -pthread or -Wl,... (or a plain path) is merged into it, and the merged
// fragment replaces an identical earlier one.
func ParseFragments(s string) (Fragments, error) {
	return parseFragmentsInto(nil, s, nil, nil)
}

// munger applies a client's sysroot rule to fragment data (see
// Client.munge); a nil munger leaves data as it is.
type munger struct {
	c           *Client
	uninstalled bool
}

func (mu *munger) munge(s string) string {
	if mu == nil {
		return s
	}
	return mu.c.munge(s, mu.uninstalled)
}

func parseFragmentsInto(list Fragments, s string, mu *munger, m *loadMem) (Fragments, error) {
	var words []string
	if m != nil {
		words = m.words[:0]
	}
	args, err := splitArgs(s, words, m)
	if m != nil {
		defer func() { clear(args); m.words = args[:0] }()
	}
	if err != nil {
		return list, err
	}
	if list == nil && m != nil {
		list = take(m, &m.frags, len(args))[:0]
	}
	for _, a := range args {
		list = addArg(list, a, mu)
	}
	return list, nil
}

// addArg is pkgconf 1.8's pkgconf_fragment_add.
func addArg(list Fragments, a string, mu *munger) Fragments {
	if len(a) > 1 && !isSpecial(a) {
		return append(list, Fragment{Type: a[1], Data: mu.munge(a[2:])})
	}
	// a special argument on its own is kept as written; only one merged
	// into the one before it goes through the sysroot rule
	if n := len(list); n > 0 {
		parent := list[n-1]
		if parent.Type == 0 && isUnmergeable(parent.Data) {
			child := mu.munge(a)
			group := parent.Group
			if group == nil {
				group = []string{parent.Data}
			}
			merged := Fragment{Data: parent.Data + " " + child, Group: append(append([]string(nil), group...), child)}
			return Fragments(fragList(list[:n-1]).add(merged, false))
		}
	}
	return append(list, Fragment{Data: a})
}

// fragList is the working list pkgconf merges fragments into.
type fragList []Fragment

func (l fragList) lookup(f Fragment) int {
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].Type == f.Type && l[i].Data == f.Data {
			return i
		}
	}
	return -1
}

func canMergeBack(f Fragment, private bool) bool {
	switch f.Type {
	case 'l':
		return !private
	case 'F', 'L', 'I':
		return false
	}
	return true
}

// shouldMerge decides whether the old copy at i may be removed in favour
// of a new one at the end (pkgconf_fragment_should_merge).
func (l fragList) shouldMerge(i int) bool {
	if i == 0 {
		return true
	}
	prev := l[i-1]
	switch prev.Type {
	case 'l', 'L', 'I':
		return true
	}
	return l[i].Type == 0 || prev.Type == l[i].Type
}

// add appends f following pkgconf_fragment_copy: outside private (static)
// collection, -I, -L and -F keep their first occurrence and drop later
// ones; other flags drop an earlier copy (when its neighbour allows) so
// the last occurrence stays. Private collection appends everything.
func (l fragList) add(f Fragment, private bool) fragList {
	if canMergeBack(f, private) && !private && isUnmergeable(f.Data) {
		if i := l.lookup(f); i >= 0 && l.shouldMerge(i) {
			l = append(l[:i], l[i+1:]...)
		}
	} else if !private && !canMergeBack(f, private) && l.lookup(f) >= 0 {
		return l
	}
	return append(l, f)
}
