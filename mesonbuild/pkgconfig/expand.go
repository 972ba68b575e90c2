package pkgconfig

import "strings"

// maxValue bounds the result of expanding one value, as pkgconf's fixed
// buffer (PKGCONF_BUFSIZE) does; maxVarName bounds a variable name
// (PKGCONF_ITEM_SIZE - 1).
const (
	maxValue   = 65534
	maxVarName = 5119
	// maxExpandDepth bounds nested re-expansion. pkgconf has no bound and
	// overflows its stack on a value that expands to a reference to
	// itself; see ErrExpansionTooDeep.
	maxExpandDepth = 64
)

// vars is a package's variable list. pkgconf keeps it newest first: a
// redefinition deletes the old entry and inserts the new one at the head.
// A .pc file has a handful of variables, so they are searched in two
// slices; a map is added only for files with many.
type vars struct {
	keys []string // oldest first (pkgconf's list reversed)
	vals []string
	m    map[string]string // set once len(keys) > varsLinear
}

const varsLinear = 32

func (v *vars) get(k string) (string, bool) {
	if v.m != nil {
		s, ok := v.m[k]
		return s, ok
	}
	for i := len(v.keys) - 1; i >= 0; i-- {
		if v.keys[i] == k {
			return v.vals[i], true
		}
	}
	return "", false
}

func (v *vars) set(k, val string) {
	_, had := v.get(k)
	if had {
		for i, x := range v.keys {
			if x == k {
				v.keys = append(v.keys[:i], v.keys[i+1:]...)
				v.vals = append(v.vals[:i], v.vals[i+1:]...)
				break
			}
		}
	}
	if v.keys == nil {
		v.keys, v.vals = make([]string, 0, 8), make([]string, 0, 8)
	}
	v.keys = append(v.keys, k)
	v.vals = append(v.vals, val)
	if v.m == nil && len(v.keys) > varsLinear {
		v.m = make(map[string]string, 2*len(v.keys))
		for i, x := range v.keys {
			v.m[x] = v.vals[i]
		}
	} else if v.m != nil {
		v.m[k] = val
	}
}

// expander evaluates ${var} references the way pkgconf_tuple_parse does.
type expander struct {
	c         *Client
	vars      *vars
	private   bool // package read from an -uninstalled.pc file
	depth     int
	overflow  bool // a self-referential value was cut off
	line      int  // line being evaluated, for the overflow error
	truncated bool // a value was cut at maxValue
}

// dequote strips the quote character a value starts with, as pkgconf does
// for variable values: every occurrence of that quote is removed and a
// backslash before it is dropped.
func dequote(value string) string {
	if value == "" || (value[0] != '\'' && value[0] != '"') {
		return value
	}
	q := value[0]
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == '\\' && i+1 < len(value) && value[i+1] == q {
			i++
			b.WriteByte(value[i])
		} else if c != q {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// expand returns value with every ${name} replaced: a global (a
// --define-variable or pc_sysrootdir) first, then the package's own
// variable, re-expanded; an undefined name gives nothing. "$$" is not an
// escape in pkgconf 1.8: "$${x}" is "$" followed by the value of x. A
// value starting with '/' gets the sysroot prepended (pkgconf rules).
func (e *expander) expand(value string) string {
	c := e.c
	sysroot := c.sysroot
	if len(value) <= maxValue && strings.IndexByte(value, '$') < 0 &&
		(sysroot == "" || value == "" || value[0] != '/') {
		// nothing to expand and no sysroot rule: the value as it is
		return value
	}
	var b strings.Builder
	b.Grow(len(value) + 64)
	if !c.fdoSysroot && sysroot != "" && len(value) > 0 && value[0] == '/' && !strings.HasPrefix(value, sysroot) {
		b.WriteString(sysroot)
	}
	for i := 0; i < len(value) && b.Len() < maxValue+1; i++ {
		if value[i] != '$' || i+1 >= len(value) || value[i+1] != '{' {
			// a run of literal bytes, up to the next '$' (at most
			// maxValue+1 bytes in all, then the loop stops)
			k := i + 1
			if j := strings.IndexByte(value[k:], '$'); j >= 0 {
				k += j
			} else {
				k = len(value)
			}
			if allowed := maxValue + 1 - b.Len(); k-i > allowed {
				k = i + allowed
			}
			b.WriteString(value[i:k])
			i = k - 1
			continue
		}
		// a reference: the name runs to '}' or the end of the value
		j := i + 2
		start := j
		for j < len(value) && value[j] != '}' && j-start < maxVarName {
			j++
		}
		name := value[start:j]
		if j >= len(value) {
			i = len(value) - 1
		} else {
			i = j
		}
		room := maxValue - b.Len()
		if g, ok := c.globals[name]; ok {
			writeBounded(&b, g, room)
			if len(g) > room {
				e.truncated = true
				break
			}
			continue
		}
		v, ok := e.vars.get(name)
		if !ok {
			continue
		}
		if e.depth >= maxExpandDepth {
			e.overflow = true
			continue
		}
		e.depth++
		sub := e.expand(v)
		e.depth--
		writeBounded(&b, sub, room)
		if len(sub) > room {
			e.truncated = true
			break
		}
	}
	out := b.String()
	if len(out) > maxValue {
		out = out[:maxValue]
	}
	// pkgconf removes a sysroot that got prepended twice (once by a
	// ${pc_sysrootdir} in the file, once by the rule above): when the
	// sysroot occurs again after the first one, the leading one goes.
	if len(out) > 0 && out[0] == '/' && sysroot != "" && sysroot != "/" && len(out) > len(sysroot) &&
		strings.Contains(out[len(sysroot):], sysroot) {
		out = out[len(sysroot):]
	}
	return out
}

func writeBounded(b *strings.Builder, s string, room int) {
	if room < 0 {
		room = 0
	}
	if len(s) > room {
		s = s[:room]
	}
	b.WriteString(s)
}
