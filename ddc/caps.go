package ddc

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Capabilities is a parsed DDC/CI capabilities string.
type Capabilities struct {
	// Raw is the string as given (trailing NUL bytes removed).
	Raw string
	// Prot is the protocol class, usually "monitor".
	Prot string
	// Type is the display type, usually "lcd" or "crt".
	Type string
	// Model is the model name, if the string has one.
	Model string
	// Commands lists the DDC/CI opcodes from cmds(...).
	Commands []byte
	// VCP lists the features from vcp(...), in the order given.
	VCP []VCPCapability
	// MCCSVersion is mccs_ver(...), or zero when absent or unreadable.
	MCCSVersion Version
	// FeatureNames holds vcpname(...) entries: names a display gives its
	// own features.
	FeatureNames map[byte]string
	// Windows holds window1(...)...windowN(...) segments, each as its
	// fields.
	Windows []CapsWindow
	// EDID holds the bytes of an "edid bin(N(...))" segment, if any.
	EDID []byte
	// Other holds the remaining segments by name (mswhql, asset_eep, mpu,
	// ...), with their raw contents.
	Other map[string]string
	// Warnings lists what was malformed and how the parser went on.
	Warnings []CapsWarning
}

// VCPCapability is one feature in a capabilities string's vcp(...) segment.
type VCPCapability struct {
	Code byte
	// Values are the permitted non-continuous values, if listed.
	Values []byte
	// SubValues holds nested value lists, as in "DC(00(00 10) 01)", by the
	// value they follow.
	SubValues map[byte][]byte
}

// CapsWindow is a window segment (MCCS 2.2 PIP/PBP windows).
type CapsWindow struct {
	Name   string
	Fields map[string]string
}

// CapsWarning describes one irregularity in a capabilities string.
type CapsWarning struct {
	// Offset is the byte offset in Raw.
	Offset int
	Msg    string
}

// String describes the CapsWarning for people.
func (w CapsWarning) String() string { return fmt.Sprintf("offset %d: %s", w.Offset, w.Msg) }

// CapsError is returned when a capabilities string holds nothing usable.
type CapsError struct {
	Offset int
	Msg    string
}

// Error implements error.
func (e *CapsError) Error() string {
	return fmt.Sprintf("ddc: capabilities string: offset %d: %s", e.Offset, e.Msg)
}

// Unwrap makes errors.Is(err, ErrMalformed) hold.
func (e *CapsError) Unwrap() error { return ErrMalformed }

// Feature returns the capability entry for code.
func (c *Capabilities) Feature(code byte) (VCPCapability, bool) {
	for _, v := range c.VCP {
		if v.Code == code {
			return v, true
		}
	}
	return VCPCapability{}, false
}

// Supports reports whether the vcp(...) segment lists code.
func (c *Capabilities) Supports(code byte) bool {
	_, ok := c.Feature(code)
	return ok
}

// HasCommand reports whether cmds(...) lists opcode op.
func (c *Capabilities) HasCommand(op Opcode) bool {
	for _, b := range c.Commands {
		if b == byte(op) {
			return true
		}
	}
	return false
}

// knownSegments are segment names a missing "model(" can run into.
var knownSegments = []string{"prot", "type", "model", "cmds", "vcp", "mccs_ver", "mswhql", "asset_eep", "vcpname", "mpu", "edid", "window"}

type capsParser struct {
	s    string
	caps *Capabilities
	// steps counts the bytes match has scanned; past capsScanBudget every
	// parenthesis counts as never closed, so nested unclosed groups
	// ("((((...", "vcp(vcp(...") cost linear time, not quadratic.
	steps     int
	overspent bool
}

// capsScanBudget bounds match's total work: real strings (a few hundred
// bytes, nesting depth 3) use a few thousand steps.
const capsScanBudget = 1 << 22

func (p *capsParser) warn(off int, format string, args ...any) {
	if len(p.caps.Warnings) < 200 {
		p.caps.Warnings = append(p.caps.Warnings, CapsWarning{Offset: off, Msg: fmt.Sprintf(format, args...)})
	}
}

// ParseCapabilities parses a capabilities string. It keeps going over the
// malformed strings real monitors send and records each irregularity in
// Warnings. It returns an error only when no segment at all can be read.
func ParseCapabilities(s string) (*Capabilities, error) {
	s = strings.TrimRight(s, "\x00")
	p := &capsParser{s: s, caps: &Capabilities{Raw: s, Other: map[string]string{}}}
	start, end := 0, len(s)
	for start < end && isSpace(s[start]) {
		start++
	}
	for end > start && isSpace(s[end-1]) {
		end--
	}
	// Strip outer parentheses, once or more.
	wraps := 0
	tailStart, tailEnd := 0, 0 // text after an early closing parenthesis
	for start < end && s[start] == '(' {
		close := p.match(start, end)
		if close == end-1 {
			start, end = start+1, end-1
			wraps++
			continue
		}
		if close >= end { // never closed
			p.warn(start, "outer parenthesis is never closed")
			start++
			wraps++
		} else if wraps == 0 {
			// "(...)junk": take the parenthesised part and read on after it.
			p.warn(close+1, "%d bytes after the closing outer parenthesis", end-close-1)
			tailStart, tailEnd = close+1, end
			start, end = start+1, close
			wraps++
			continue
		}
		break
	}
	if wraps == 0 {
		p.warn(start, "no outer parentheses")
	} else if wraps > 1 {
		p.warn(0, "outer parentheses doubled (%d levels)", wraps)
	}
	fn := func(name string, nameOff, cs, ce int, bin []byte) { p.top(name, nameOff, cs, ce, bin) }
	n := p.segments(start, end, fn)
	if tailEnd > tailStart {
		n += p.segments(tailStart, tailEnd, fn)
	}
	if n == 0 {
		return p.caps, &CapsError{Offset: start, Msg: "no name(value) segment found"}
	}
	return p.caps, nil
}

// match returns the index of the parenthesis closing the one at open, or
// end when it is never closed. A "bin(N(" binary segment is skipped whole.
func (p *capsParser) match(open, end int) int {
	if p.steps > capsScanBudget {
		if !p.overspent {
			p.overspent = true
			p.warn(open, "parentheses nested too deeply or never closed; the rest is read as unclosed")
		}
		return end
	}
	p.steps += end - open
	depth := 0
	s := p.s
	for i := open; i < end; i++ {
		switch s[i] {
		case '(':
			if n, body, ok := p.binAt(i, end); ok {
				// Skip the binary bytes and the ")" closing N( and bin(.
				k := body + n
				if i == open {
					if k < end && s[k] == ')' {
						k++
					}
					if k < end && s[k] == ')' {
						return k
					}
					return end
				}
				for m := 0; m < 2 && k < end && s[k] == ')'; m++ {
					k++
				}
				i = k - 1
				continue
			}
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return end
}

// binAt recognises "bin(" N "(" at the '(' index i: it returns the byte
// count and the index of the first binary byte.
func (p *capsParser) binAt(i, end int) (n, body int, ok bool) {
	s := p.s
	if i < 3 || !strings.EqualFold(s[i-3:i], "bin") {
		return 0, 0, false
	}
	if i > 3 && isName(s[i-4:i-3]) { // "bin" must be a word, not the end of "cabin"
		return 0, 0, false
	}
	j := i + 1
	for j < end && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i+1 || j >= end || s[j] != '(' {
		return 0, 0, false
	}
	n, err := strconv.Atoi(s[i+1 : j])
	if err != nil || n > end-(j+1) { // not j+1+n > end: a huge N would overflow
		return 0, 0, false
	}
	return n, j + 1, true
}

// segments calls fn for each name(content) at [start,end) and returns how
// many it found.
func (p *capsParser) segments(start, end int, fn func(name string, nameOff, cs, ce int, bin []byte)) int {
	s := p.s
	count := 0
	i := start
	for i < end {
		c := s[i]
		switch {
		case isSpace(c):
			i++
			continue
		case c == ')':
			p.warn(i, "unbalanced ')'")
			i++
			continue
		case c == '(':
			// A parenthesised group with no name: read the segments
			// inside it ("junk (prot(...)...)").
			close := p.match(i, end)
			p.warn(i, "parenthesised group without a segment name")
			count += p.segments(i+1, min(close, end), fn)
			i = close + 1
			continue
		}
		nameOff := i
		for i < end && s[i] != '(' && s[i] != ')' && !isSpace(s[i]) {
			i++
		}
		name := s[nameOff:i]
		if !isName(name) {
			p.warn(nameOff, "%q is not a segment name, skipped", clipStr(name))
			continue
		}
		j := i
		for j < end && isSpace(s[j]) {
			j++
		}
		// "edid bin(N(...))": a name followed by a binary value.
		if j+4 <= end && strings.EqualFold(s[j:j+4], "bin(") && !strings.EqualFold(name, "bin") {
			n, body, ok := p.binAt(j+3, end)
			if !ok {
				p.warn(j, "%s: bad binary segment", name)
				close := p.match(j+3, end)
				i = close + 1
				continue
			}
			bin := []byte(s[body : body+n])
			i = body + n
			// closing ")" of N( and of bin(
			for k := 0; k < 2 && i < end; k++ {
				if s[i] == ')' {
					i++
				}
			}
			fn(name, nameOff, body, body+n, bin)
			count++
			continue
		}
		if j >= end || s[j] != '(' {
			p.warn(nameOff, "segment %q has no value", name)
			i = j
			continue
		}
		close := p.match(j, end)
		if close >= end {
			p.warn(j, "segment %q is never closed", name)
		}
		fn(name, nameOff, j+1, min(close, end), nil)
		count++
		i = close + 1
	}
	return count
}

func (p *capsParser) top(name string, nameOff, cs, ce int, bin []byte) {
	lname := strings.ToLower(name)
	content := p.s[cs:ce]
	// A missing "model(" leaves the model glued to the next segment name:
	// "27UD58cmds(".
	if !isKnownSegment(lname) && !strings.HasPrefix(lname, "window") {
		for _, k := range knownSegments {
			if len(lname) > len(k) && strings.HasSuffix(lname, k) {
				model := name[:len(name)-len(k)]
				p.warn(nameOff, "segment name %q: taking %q as the model (missing \"model(\")", name, model)
				if p.caps.Model == "" {
					p.caps.Model = model
				}
				lname, name = k, name[len(name)-len(k):]
				nameOff += len(model)
				break
			}
		}
	}
	switch {
	case lname == "prot":
		p.caps.Prot = strings.TrimSpace(content)
	case lname == "type":
		p.caps.Type = strings.TrimSpace(content)
	case lname == "model":
		p.caps.Model = strings.TrimSpace(content)
	case lname == "cmds":
		for _, it := range p.hexList(cs, ce, name) {
			p.caps.Commands = append(p.caps.Commands, it.v)
		}
	case lname == "vcp":
		p.vcp(cs, ce)
	case lname == "mccs_ver":
		v, ok := parseMCCSVersion(content)
		if !ok {
			p.warn(cs, "mccs_ver(%s) is not a version", content)
		}
		p.caps.MCCSVersion = v
	case lname == "vcpname":
		p.vcpNames(cs, ce)
	case lname == "edid" && bin != nil:
		p.caps.EDID = bin
	case strings.HasPrefix(lname, "window"):
		w := CapsWindow{Name: name, Fields: map[string]string{}}
		p.segments(cs, ce, func(n string, _ int, s2, e2 int, b []byte) {
			w.Fields[strings.ToLower(n)] = strings.TrimSpace(p.s[s2:e2])
		})
		p.caps.Windows = append(p.caps.Windows, w)
	default:
		if bin != nil {
			content = fmt.Sprintf("% X", bin)
		}
		if _, dup := p.caps.Other[lname]; dup {
			p.warn(nameOff, "segment %q repeated", name)
		}
		p.caps.Other[lname] = content
	}
}

func isKnownSegment(n string) bool {
	for _, k := range knownSegments {
		if n == k {
			return true
		}
	}
	return false
}

func parseMCCSVersion(s string) (Version, bool) {
	s = strings.TrimSpace(s)
	if a, b, ok := strings.Cut(s, "."); ok {
		maj, err1 := strconv.Atoi(strings.TrimSpace(a))
		b = strings.TrimSpace(b)
		k := 0
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		mnr, err2 := strconv.Atoi(b[:k])
		if err1 != nil || err2 != nil || maj > 255 || mnr > 255 || maj < 0 {
			return Version{}, false
		}
		return Version{uint8(maj), uint8(mnr)}, true
	}
	if len(s) == 4 { // "0201"
		maj, err1 := strconv.ParseUint(s[:2], 16, 8)
		mnr, err2 := strconv.ParseUint(s[2:], 16, 8)
		if err1 == nil && err2 == nil {
			return Version{uint8(maj), uint8(mnr)}, true
		}
	}
	if len(s) == 1 && s[0] >= '0' && s[0] <= '9' {
		return Version{s[0] - '0', 0}, true
	}
	return Version{}, false
}

type hexItem struct {
	v   byte
	off int
	// sub is the [start,end) of a parenthesised list that follows, or -1.
	subStart, subEnd int
}

// hexList reads hex bytes at [start,end): space separated or run together
// in pairs, each optionally followed by a parenthesised list.
func (p *capsParser) hexList(start, end int, where string) []hexItem {
	s := p.s
	var out []hexItem
	i := start
	for i < end {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '(':
			close := p.match(i, end)
			if len(out) == 0 || out[len(out)-1].subStart >= 0 {
				p.warn(i, "%s: value list with no code before it", where)
			} else {
				out[len(out)-1].subStart, out[len(out)-1].subEnd = i+1, min(close, end)
			}
			if close >= end {
				p.warn(i, "%s: value list never closed", where)
			}
			i = close + 1
		case c == ')':
			p.warn(i, "%s: unbalanced ')'", where)
			i++
		case isHex(c):
			j := i
			for j < end && isHex(s[j]) {
				j++
			}
			run := s[i:j]
			if len(run)%2 == 1 {
				if len(run) == 1 {
					run = "0" + run
					p.warn(i, "%s: single hex digit %q taken as 0%s", where, s[i:j], s[i:j])
				} else {
					p.warn(i, "%s: odd number of hex digits in %q, last digit ignored", where, run)
					run = run[:len(run)-1]
				}
			} else if len(run) > 2 {
				p.warn(i, "%s: hex values without spaces %q", where, run)
			}
			for k := 0; k+2 <= len(run); k += 2 {
				v, _ := strconv.ParseUint(run[k:k+2], 16, 8)
				out = append(out, hexItem{v: byte(v), off: i + k, subStart: -1})
			}
			i = j
		default:
			j := i
			for j < end && !isSpace(s[j]) && s[j] != '(' && s[j] != ')' {
				j++
			}
			if j == i {
				j = i + 1
			}
			p.warn(i, "%s: %q is not a hex value, skipped", where, s[i:j])
			i = j
		}
	}
	return out
}

func (p *capsParser) vcp(start, end int) {
	// "vcp(vcp(...))" and "vcp(page0(...))": a named group wrapping the
	// whole list is flattened.
	for {
		i := start
		for i < end && isSpace(p.s[i]) {
			i++
		}
		j := i
		for j < end && (isLetter(p.s[j]) || (j > i && p.s[j] >= '0' && p.s[j] <= '9') || p.s[j] == '_') {
			j++
		}
		if j == i || j >= end || p.s[j] != '(' || isHexWord(p.s[i:j]) {
			break
		}
		close := p.match(j, end)
		k := close + 1
		for k < end && isSpace(p.s[k]) {
			k++
		}
		if close < end && k < end {
			break
		}
		p.warn(i, "vcp: nested %q group flattened", p.s[i:j])
		start, end = j+1, min(close, end)
	}
	// a code seen before, in this segment or in an earlier vcp segment
	// (a repeated segment is merged), gets its lists merged
	seen := make(map[byte]int, len(p.caps.VCP))
	for k, v := range p.caps.VCP {
		seen[v.Code] = k
	}
	for _, it := range p.hexList(start, end, "vcp") {
		vc := VCPCapability{Code: it.v}
		if it.subStart >= 0 {
			for _, v := range p.hexList(it.subStart, it.subEnd, fmt.Sprintf("vcp %02X", it.v)) {
				vc.Values = append(vc.Values, v.v)
				if v.subStart >= 0 {
					if vc.SubValues == nil {
						vc.SubValues = map[byte][]byte{}
					}
					for _, sv := range p.hexList(v.subStart, v.subEnd, fmt.Sprintf("vcp %02X %02X", it.v, v.v)) {
						vc.SubValues[v.v] = append(vc.SubValues[v.v], sv.v)
					}
				}
			}
		}
		if k, dup := seen[it.v]; dup {
			p.warn(it.off, "vcp: code %02X listed twice, lists merged", it.v)
			e := &p.caps.VCP[k]
			e.Values = append(e.Values, vc.Values...)
			for v, subs := range vc.SubValues {
				if e.SubValues == nil {
					e.SubValues = map[byte][]byte{}
				}
				e.SubValues[v] = append(e.SubValues[v], subs...)
			}
			continue
		}
		seen[it.v] = len(p.caps.VCP)
		p.caps.VCP = append(p.caps.VCP, vc)
	}
}

func (p *capsParser) vcpNames(start, end int) {
	if p.caps.FeatureNames == nil {
		p.caps.FeatureNames = map[byte]string{}
	}
	s := p.s
	i := start
	for i < end {
		if isSpace(s[i]) {
			i++
			continue
		}
		j := i
		for j < end && isHex(s[j]) {
			j++
		}
		if j-i != 2 || j >= end || s[j] != '(' {
			p.warn(i, "vcpname: expected a hex code followed by (name)")
			for j < end && s[j] != ')' {
				j++
			}
			i = j + 1
			continue
		}
		code, _ := strconv.ParseUint(s[i:j], 16, 8)
		close := p.match(j, end)
		p.caps.FeatureNames[byte(code)] = strings.TrimSpace(s[j+1 : min(close, end)])
		i = close + 1
	}
}

// isName reports whether w can be a segment name: letters, digits and
// _ - . + only.
func isName(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-' && c != '.' && c != '+' {
			return false
		}
	}
	return w != ""
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isHexWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if !isHex(w[i]) {
			return false
		}
	}
	return true
}

// balanced reports whether s can be put between parentheses and read back
// as the same text.
func balanced(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0 && !strings.Contains(strings.ToLower(s), "bin(")
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0 }
func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// String renders the capabilities in the canonical form, with one space
// between values and a single pair of outer parentheses.
func (c *Capabilities) String() string {
	var b strings.Builder
	b.WriteString("(")
	if c.Prot != "" && balanced(c.Prot) {
		fmt.Fprintf(&b, "prot(%s)", c.Prot)
	}
	if c.Type != "" && balanced(c.Type) {
		fmt.Fprintf(&b, "type(%s)", c.Type)
	}
	if c.Model != "" && balanced(c.Model) {
		fmt.Fprintf(&b, "model(%s)", c.Model)
	}
	if len(c.Commands) > 0 {
		b.WriteString("cmds(")
		for i, x := range c.Commands {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%02X", x)
		}
		b.WriteString(")")
	}
	if len(c.VCP) > 0 {
		b.WriteString("vcp(")
		for i, v := range c.VCP {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%02X", v.Code)
			if len(v.Values) > 0 {
				b.WriteByte('(')
				subDone := map[byte]bool{}
				for k, x := range v.Values {
					if k > 0 {
						b.WriteByte(' ')
					}
					fmt.Fprintf(&b, "%02X", x)
					if sub := v.SubValues[x]; len(sub) > 0 && !subDone[x] {
						subDone[x] = true
						b.WriteByte('(')
						for m, y := range sub {
							if m > 0 {
								b.WriteByte(' ')
							}
							fmt.Fprintf(&b, "%02X", y)
						}
						b.WriteByte(')')
					}
				}
				b.WriteByte(')')
			}
		}
		b.WriteString(")")
	}
	if c.MCCSVersion != (Version{}) {
		fmt.Fprintf(&b, "mccs_ver(%s)", c.MCCSVersion)
	}
	keys := make([]string, 0, len(c.Other))
	for k := range c.Other {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if balanced(c.Other[k]) && !strings.EqualFold(k, "bin") {
			fmt.Fprintf(&b, "%s(%s)", k, c.Other[k])
		}
	}
	b.WriteString(")")
	return b.String()
}
