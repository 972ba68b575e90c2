package mesonbuild

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MachineFile is a meson native or cross file built from Go values. Each
// map is one section; values may be string, bool, int (any Go integer
// type), or []string, and are written in meson's syntax (quoted strings,
// arrays, true/false). Sections and keys are written in sorted order, so
// the same values always give the same bytes.
type MachineFile struct {
	// Constants is the [constants] section.
	Constants map[string]any
	// Binaries is the [binaries] section: c, cpp, ar, strip, pkg-config...
	Binaries map[string]any
	// Properties is the [properties] section: sys_root, pkg_config_libdir...
	Properties map[string]any
	// BuiltinOptions is the [built-in options] section: c_args, prefix...
	BuiltinOptions map[string]any
	// ProjectOptions is the [project options] section.
	ProjectOptions map[string]any
	// HostMachine is the [host_machine] section of a cross file.
	HostMachine *HostMachine
}

// HostMachine describes the machine a cross build's results run on.
type HostMachine struct {
	System    string // linux, windows, darwin...
	CPUFamily string // x86_64, aarch64, arm...
	CPU       string // the precise CPU, e.g. armv7hl
	Endian    string // little or big
}

// IsZero reports whether the file has no entries at all.
func (m *MachineFile) IsZero() bool {
	return m == nil || len(m.Constants)+len(m.Binaries)+len(m.Properties)+
		len(m.BuiltinOptions)+len(m.ProjectOptions) == 0 && m.HostMachine == nil
}

// Clone returns a deep enough copy for adding entries without touching m.
func (m *MachineFile) Clone() *MachineFile {
	c := &MachineFile{}
	if m == nil {
		return c
	}
	cp := func(src map[string]any) map[string]any {
		if src == nil {
			return nil
		}
		dst := make(map[string]any, len(src))
		for k, v := range src {
			dst[k] = v
		}
		return dst
	}
	c.Constants, c.Binaries, c.Properties = cp(m.Constants), cp(m.Binaries), cp(m.Properties)
	c.BuiltinOptions, c.ProjectOptions = cp(m.BuiltinOptions), cp(m.ProjectOptions)
	if m.HostMachine != nil {
		h := *m.HostMachine
		c.HostMachine = &h
	}
	return c
}

// Encode writes the file in meson's machine file syntax. It fails, naming
// the section and key, on a value of an unsupported type or a key meson
// could not read back.
func (m *MachineFile) Encode() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Written by hostkit mesonbuild from Go values; edits are overwritten.\n")
	if m == nil {
		return b.Bytes(), nil
	}
	sections := []struct {
		name string
		vals map[string]any
	}{
		{"constants", m.Constants},
		{"binaries", m.Binaries},
		{"properties", m.Properties},
		{"built-in options", m.BuiltinOptions},
		{"project options", m.ProjectOptions},
	}
	for _, s := range sections {
		if len(s.vals) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n[%s]\n", s.name)
		keys := make([]string, 0, len(s.vals))
		for k := range s.vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !validMachineKey(k) {
				return nil, fmt.Errorf("mesonbuild: machine file [%s]: key %q is not a valid name", s.name, k)
			}
			v, err := MesonLiteral(s.vals[k])
			if err != nil {
				return nil, fmt.Errorf("mesonbuild: machine file [%s] %s: %w", s.name, k, err)
			}
			fmt.Fprintf(&b, "%s = %s\n", k, v)
		}
	}
	if h := m.HostMachine; h != nil {
		b.WriteString("\n[host_machine]\n")
		for _, kv := range [][2]string{{"system", h.System}, {"cpu_family", h.CPUFamily}, {"cpu", h.CPU}, {"endian", h.Endian}} {
			if kv[1] == "" {
				return nil, fmt.Errorf("mesonbuild: machine file [host_machine]: %s is empty (meson needs all four of system, cpu_family, cpu, endian)", kv[0])
			}
			v, err := MesonLiteral(kv[1])
			if err != nil {
				return nil, fmt.Errorf("mesonbuild: machine file [host_machine] %s: %w", kv[0], err)
			}
			fmt.Fprintf(&b, "%s = %s\n", kv[0], v)
		}
	}
	return b.Bytes(), nil
}

// validMachineKey accepts option-like names (letters, digits, _ - . and a
// subproject's "sub:opt").
func validMachineKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.:", r)) {
			return false
		}
	}
	return true
}

// MesonLiteral renders a Go value as a meson literal: a single-quoted
// string with \\ and \' escaped, true/false, a decimal integer, or an array
// of strings. Other types are an error.
func MesonLiteral(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return quoteMeson(x)
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			q, err := quoteMeson(s)
			if err != nil {
				return "", fmt.Errorf("element %d: %w", i, err)
			}
			parts[i] = q
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	default:
		return "", fmt.Errorf("unsupported value type %T (want string, bool, integer or []string)", v)
	}
}

func quoteMeson(s string) (string, error) {
	if strings.ContainsAny(s, "\n\r\x00") {
		return "", fmt.Errorf("string %q has a newline or NUL, which a machine file cannot hold", s)
	}
	if !utf8.ValidString(s) {
		// meson reads machine files as UTF-8 and stops with a Python
		// UnicodeDecodeError on anything else.
		return "", fmt.Errorf("string %q is not UTF-8, which meson cannot read from a machine file", s)
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s + "'", nil
}

// ParseMesonList reads a meson array literal of strings, such as the
// values meson prints for array options ("['-Wl,-rpath,/x', 'y']"), and
// returns the strings. It understands single-quoted strings with \\ \'
// \n \t escapes, optional white space and a trailing comma.
func ParseMesonList(s string) ([]string, error) {
	p := strings.TrimSpace(s)
	if !strings.HasPrefix(p, "[") {
		return nil, fmt.Errorf("mesonbuild: meson list %q does not start with '['", s)
	}
	i := 1
	out := []string{}
	skip := func() {
		for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n') {
			i++
		}
	}
	for {
		skip()
		if i >= len(p) {
			return nil, fmt.Errorf("mesonbuild: meson list %q: missing ']'", s)
		}
		if p[i] == ']' {
			i++
			break
		}
		if p[i] != '\'' {
			return nil, fmt.Errorf("mesonbuild: meson list %q: offset %d: want a quoted string, found %q", s, i, p[i])
		}
		i++
		var sb strings.Builder
		closed := false
		for i < len(p) {
			c := p[i]
			if c == '\\' && i+1 < len(p) {
				switch p[i+1] {
				case 'n':
					sb.WriteByte('\n')
				case 't':
					sb.WriteByte('\t')
				case '\\', '\'':
					sb.WriteByte(p[i+1])
				default:
					sb.WriteByte('\\')
					sb.WriteByte(p[i+1])
				}
				i += 2
				continue
			}
			i++
			if c == '\'' {
				closed = true
				break
			}
			sb.WriteByte(c)
		}
		if !closed {
			return nil, fmt.Errorf("mesonbuild: meson list %q: unterminated string", s)
		}
		out = append(out, sb.String())
		skip()
		if i < len(p) && p[i] == ',' {
			i++
			continue
		}
		skip()
		if i < len(p) && p[i] == ']' {
			i++
			break
		}
		return nil, fmt.Errorf("mesonbuild: meson list %q: offset %d: want ',' or ']'", s, i)
	}
	if rest := strings.TrimSpace(p[i:]); rest != "" {
		return nil, fmt.Errorf("mesonbuild: meson list %q: text after ']': %q", s, rest)
	}
	return out, nil
}
