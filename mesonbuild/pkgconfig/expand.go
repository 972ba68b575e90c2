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
	// maxExpandSteps bounds the references expanded for one value. A
	// value stored with "${" in it (built with "$" and "{x}") is expanded
	// again wherever it is used, so a chain of such values doubles the
	// work at each level while producing nothing (pkgconf has no bound:
	// 2^40 steps for a 40-line file); see ErrExpansionTooDeep.
	maxExpandSteps = 1 << 20
)

// vars is a package's variable list. pkgconf keeps it newest first: a
// redefinition deletes the old entry and inserts the new one at the head.
// A .pc file has a handful of variables, so they are searched in a slice;
// a map is added only for files with many.
type vars struct {
	kv []varKV           // oldest first (pkgconf's list reversed)
	m  map[string]string // set once len(kv) > varsLinear
}

const varsLinear = 32

func (v *vars) get(k string) (string, bool) {
	if v.m != nil {
		s, ok := v.m[k]
		return s, ok
	}
	for i := len(v.kv) - 1; i >= 0; i-- {
		if v.kv[i].key == k {
			return v.kv[i].value, true
		}
	}
	return "", false
}

// set defines k; mem, when set, supplies the first slots.
func (v *vars) set(k, val string, mem *loadMem) {
	for i := range v.kv {
		if v.kv[i].key == k {
			v.kv = append(v.kv[:i], v.kv[i+1:]...)
			break
		}
	}
	if v.kv == nil {
		if mem != nil {
			v.kv = take(mem, &mem.kvs, 8)[:0]
		} else {
			v.kv = make([]varKV, 0, 8)
		}
	}
	v.kv = append(v.kv, varKV{k, val})
	if v.m == nil && len(v.kv) > varsLinear {
		v.m = make(map[string]string, 2*len(v.kv))
		for _, x := range v.kv {
			v.m[x.key] = x.value
		}
	} else if v.m != nil {
		v.m[k] = val
	}
}

// expander evaluates ${var} references the way pkgconf_tuple_parse does.
type expander struct {
	c         *Client
	vars      *vars
	m         *loadMem // buffers; results go to its text when own is set
	own       bool
	private   bool // package read from an -uninstalled.pc file
	depth     int
	overflow  bool // a self-referential value was cut off
	blowup    bool // overflow because one value took maxExpandSteps
	steps     int  // references expanded for the current value
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
	if e.plain(value) {
		// nothing to expand and no sysroot rule: the value as it is
		return value
	}
	if e.m == nil {
		e.m = &loadMem{}
	}
	e.steps = 0
	b := e.expandBytes(value)
	if e.own {
		return e.m.str(b)
	}
	return string(b)
}

// plain reports whether expanding value gives value itself.
func (e *expander) plain(value string) bool {
	c := e.c
	return len(value) <= maxValue && strings.IndexByte(value, '$') < 0 &&
		(value == "" || value[0] != '/' || (c.sysroot == "" && (!c.sysrootSet || len(value) <= maxVarName)))
}

// expandBytes expands value into the scratch buffer of the current depth
// (valid until the next expansion at that depth).
func (e *expander) expandBytes(value string) []byte {
	c := e.c
	sysroot := c.sysroot
	b := e.m.expBuffer(e.depth)
	if len(value) <= maxValue && strings.IndexByte(value, '$') < 0 {
		// no reference: only the sysroot rule below can apply
		if !c.fdoSysroot && sysroot != "" && len(value) > 0 && value[0] == '/' && !strings.HasPrefix(value, sysroot) {
			b = append(b, sysroot...)
		}
		b = append(b, value...)
		return e.finish(b)
	}
	if !c.fdoSysroot && sysroot != "" && len(value) > 0 && value[0] == '/' && !strings.HasPrefix(value, sysroot) {
		b = append(b, sysroot...)
	}
	for i := 0; i < len(value) && len(b) < maxValue+1; i++ {
		if value[i] != '$' || i+1 >= len(value) || value[i+1] != '{' {
			// a run of literal bytes, up to the next '$' (at most
			// maxValue+1 bytes in all, then the loop stops)
			k := i + 1
			if j := strings.IndexByte(value[k:], '$'); j >= 0 {
				k += j
			} else {
				k = len(value)
			}
			if allowed := maxValue + 1 - len(b); k-i > allowed {
				k = i + allowed
			}
			b = append(b, value[i:k]...)
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
		room := maxValue - len(b)
		if g, ok := c.globals[name]; ok {
			b = appendBounded(b, g, room)
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
		if e.steps++; e.steps > maxExpandSteps {
			e.overflow, e.blowup = true, true
			break
		}
		e.m.expBuf[e.depth] = b // keep what grew
		e.depth++
		sub := e.expandBytes(v)
		e.depth--
		if room < 0 {
			room = 0
		}
		b = append(b, sub[:min(len(sub), room)]...)
		if len(sub) > room {
			e.truncated = true
			break
		}
	}
	return e.finish(b)
}

// finish applies the end rules of one expansion to b: the maxValue cut
// and the doubled-sysroot cleanup.
func (e *expander) finish(b []byte) []byte {
	e.m.expBuf[e.depth] = b[:0]
	out := b
	if len(out) > maxValue {
		out = out[:maxValue]
	}
	// pkgconf removes a sysroot that got prepended twice (once by a
	// ${pc_sysrootdir} in the file, once by the rule above): when the
	// sysroot occurs again after the first one, the leading one goes,
	// and what is left is copied into a PKGCONF_ITEM_SIZE buffer (cut to
	// maxVarName bytes). A sysroot set to "" occurs everywhere.
	sysroot := e.c.sysroot
	if len(out) > 0 && out[0] == '/' && e.c.sysrootSet && sysroot != "/" && len(out) > len(sysroot) &&
		strings.Contains(string(out[len(sysroot):]), sysroot) {
		out = out[len(sysroot):]
		if len(out) > maxVarName {
			out = out[:maxVarName]
		}
	}
	return out
}

func appendBounded(b []byte, s string, room int) []byte {
	if room < 0 {
		room = 0
	}
	if len(s) > room {
		s = s[:room]
	}
	return append(b, s...)
}
