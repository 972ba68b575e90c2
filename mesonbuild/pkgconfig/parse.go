package pkgconfig

import (
	"bytes"
	"fmt"
	"os"
)

// maxLine is the longest logical line pkgconf 1.8 reads at once
// (PKGCONF_BUFSIZE - 2: its fgetline stops two bytes before the end of
// the buffer, checked against Debian's 1.8.1); a longer line is read as
// several.
const maxLine = 65533

// Entry is one definition in a .pc file: a variable ("prefix=/usr", Op '=')
// or a property ("Libs: -lfoo", Op ':'). Lines with any other operator
// character are kept with that Op and otherwise ignored, as pkgconf does.
type Entry struct {
	// Line is pkgconf's line number: continued lines count once.
	Line int
	// Key is the variable or property name as written.
	Key string
	// Op is '=' for a variable, ':' for a property.
	Op byte
	// Value is the raw value: comments and continuations removed, leading
	// and trailing white space trimmed, nothing expanded.
	Value string
}

// File is the syntax of one .pc file, before any variable is expanded.
type File struct {
	// Path names the file in messages.
	Path string
	// Entries are the definitions in file order.
	Entries []Entry
	// Warnings are what pkgconf --validate would warn about while reading
	// the syntax (stray white space).
	Warnings []Diagnostic
}

// Diagnostic is a warning or error about a place in a .pc file.
type Diagnostic struct {
	File string
	Line int // 0 when it concerns the whole file
	Msg  string
}

// String formats the diagnostic the way pkgconf does ("file:line: msg").
func (d Diagnostic) String() string {
	if d.File == "" {
		return d.Msg
	}
	if d.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Msg)
	}
	return fmt.Sprintf("%s: %s", d.File, d.Msg)
}

// ReadFile reads and parses the .pc file at path.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data), nil
}

// Parse splits the text of a .pc file into entries. It never fails: like
// pkgconf, it skips lines it cannot read as "key=value" or "Key: value";
// stray white space is recorded as a warning.
func Parse(path string, data []byte) *File {
	return parse(path, data, false)
}

func parse(path string, data []byte, slowOnly bool) *File {
	f := &File{Path: path}
	// keys and values of plain lines are cut from one copy of the file
	// instead of being copied one by one
	f.parseText(data, string(data), slowOnly, nil)
	return f
}

// parseText appends the entries of data to f. src holds the same bytes as
// data: keys and values of plain lines are cut from it. Keys and values
// of lines assembled by the byte-by-byte rules are copied into m's text
// (or allocated when m is nil).
func (f *File) parseText(data []byte, src string, slowOnly bool, m *loadMem) {
	r := lineReader{data: data, slowOnly: slowOnly}
	if m != nil {
		r.buf = m.word[:0]
	}
	lineno := 0
	for {
		line, ok := r.next()
		if !ok {
			break
		}
		lineno++
		f.parseLine(lineno, line, src, r.start, m)
	}
	if m != nil {
		m.word = r.buf[:0]
	}
}

func (f *File) warn(line int, msg string) {
	f.Warnings = append(f.Warnings, Diagnostic{File: f.Path, Line: line, Msg: msg})
}

// parseLine follows pkgconf's parser.c: a key of letters, digits, '_' and
// '.', starting with a letter, optional white space, one operator byte,
// then the value with white space trimmed at both ends.
func (f *File) parseLine(lineno int, line []byte, src string, off int, m *loadMem) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i] // pkgconf reads the line as a C string
	}
	p := 0
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	warnedKey := false
	if p < len(line) && p > 0 {
		f.warn(lineno, "warning: whitespace encountered while parsing key section")
		warnedKey = true
	}
	key := p
	for p < len(line) && (isAlnum(line[p]) || line[p] == '_' || line[p] == '.') {
		p++
	}
	if key >= len(line) || !isAlpha(line[key]) {
		return
	}
	keyEnd := p
	for p < len(line) && isSpace(line[p]) {
		if !warnedKey {
			f.warn(lineno, "warning: whitespace encountered while parsing key section")
			warnedKey = true
		}
		p++
	}
	var op byte
	if p < len(line) {
		op = line[p]
		p++
	}
	for p < len(line) && isSpace(line[p]) {
		p++
	}
	end := len(line)
	warnedValue := false
	for end-1 > p && isSpace(line[end-1]) {
		if op == '=' && !warnedValue {
			f.warn(lineno, "warning: trailing whitespace encountered while parsing value section")
			warnedValue = true
		}
		end--
	}
	e := Entry{Line: lineno, Op: op}
	if off >= 0 {
		// the line is data[off:off+len(line)] as read
		e.Key, e.Value = src[off+key:off+keyEnd], src[off+p:off+end]
	} else if m != nil {
		e.Key, e.Value = m.str(line[key:keyEnd]), m.str(line[p:end])
	} else {
		e.Key, e.Value = string(line[key:keyEnd]), string(line[p:end])
	}
	if f.Entries == nil {
		f.Entries = make([]Entry, 0, 16)
	}
	f.Entries = append(f.Entries, e)
}

// lineReader reproduces pkgconf_fgetline: a backslash escapes the next
// byte (a backslash-newline joins lines and swallows the next line's
// leading blanks, "\#" is a literal '#', any other escaped byte keeps its
// backslash), an unescaped '#' comments out the rest of the line, and CR,
// LF or CRLF end a line.
type lineReader struct {
	data []byte
	pos  int
	buf  []byte
	// start is the offset in data of the line last returned when it was
	// returned as a slice of data (no escape, comment or CR in it), -1
	// when it was assembled in buf.
	start int
	// slowOnly turns the fast path off (tests compare the two).
	slowOnly bool
}

const eofByte = 0xff // what pkgconf stores when a comment ends at EOF

func (r *lineReader) getc() int {
	if r.pos >= len(r.data) {
		r.pos = len(r.data) + 1 // remember that EOF was hit
		return -1
	}
	c := r.data[r.pos]
	r.pos++
	return int(c)
}

func (r *lineReader) ungetc(c int) {
	if c >= 0 {
		r.pos--
	}
}

func (r *lineReader) next() ([]byte, bool) {
	// fast path: a line ended by '\n' with none of the bytes that need
	// fgetline's rules is returned as it stands in data
	for i := r.pos; !r.slowOnly && i < len(r.data) && i-r.pos < maxLine; i++ {
		c := r.data[i]
		if c == '\\' || c == '#' || c == '\r' {
			break
		}
		if c == '\n' {
			line := r.data[r.pos:i]
			r.start = r.pos
			r.pos = i + 1
			return line, true
		}
	}
	r.start = -1
	s := r.buf[:0]
	quoted := false
	c := 0
	for len(s) < maxLine {
		c = r.getc()
		if c < 0 {
			break
		}
		switch {
		case c == '\\' && !quoted:
			quoted = true
			continue
		case c == '#':
			if !quoted {
				for {
					c = r.getc()
					if c == '\n' || c < 0 {
						break
					}
				}
				if c < 0 {
					s = append(s, eofByte)
				} else {
					s = append(s, byte(c))
				}
				goto done
			}
			s = append(s, '#')
			quoted = false
			continue
		case c == '\n':
			if quoted {
				var c2 int
				for {
					c2 = r.getc()
					if c2 != '\t' && c2 != ' ' {
						break
					}
				}
				r.ungetc(c2)
				quoted = false
				continue
			}
			s = append(s, '\n')
			goto done
		case c == '\r':
			s = append(s, '\n')
			c2 := r.getc()
			if c2 == '\n' {
				if quoted {
					quoted = false
					continue
				}
				goto done
			}
			r.ungetc(c2)
			if quoted {
				quoted = false
				continue
			}
			goto done
		default:
			if quoted {
				s = append(s, '\\')
				quoted = false
			}
			s = append(s, byte(c))
		}
	}
done:
	r.buf = s
	if c < 0 && len(s) == 0 {
		return nil, false
	}
	if n := len(s); n > 0 && s[n-1] == '\n' {
		s = s[:n-1]
		if n := len(s); n > 0 && s[n-1] == '\r' {
			s = s[:n-1]
		}
	}
	return s, true
}
