package pkgconfig

// The straightforward implementations the zero-copy ones replaced (they
// copy every word, and the dependency list with a space appended), kept
// as oracles: FuzzSplitArgs and FuzzParseDependencies compare with them.

import "strings"

func splitArgsReference(s string) ([]string, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	var out []string
	var cur []byte
	var quote byte
	escaped := false
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
			if len(cur) > 0 {
				out = append(out, string(cur))
			}
			cur = cur[:0]
		case c == '\\':
			escaped = true
		case c == '"' || c == '\'':
			quote = c
		default:
			cur = append(cur, c)
		}
	}
	if escaped || quote != 0 {
		return nil, errUnbalanced
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out, nil
}

func parseDependenciesReference(s string) []Dependency {
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
				out = append(out, Dependency{Name: buf[pkgStart:pkgEnd], Op: cmp})
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
				out = append(out, Dependency{Name: buf[pkgStart:pkgEnd], Op: cmp, Version: buf[vstart:ptr], HasVersion: true})
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
