package binfmt

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// DebianDir is where update-binfmts (binfmt-support) keeps its format
// files, one per entry, named like the entry.
const DebianDir = "/usr/share/binfmts"

// DebianFormat is an update-binfmts format file (/usr/share/binfmts/NAME,
// see update-binfmts(8)): "key value" lines.
type DebianFormat struct {
	// Name is the entry's name (the file's name).
	Name string
	// Package names the Debian package that owns the entry.
	Package string
	// Interpreter is the handler program.
	Interpreter string
	// Magic and Mask are kept escaped, as in the file (\xHH escapes,
	// decoded like the kernel does); Offset is the magic's offset.
	Magic, Mask string
	Offset      int
	// Extension is the extension for an extension entry.
	Extension string
	// Detector is a userspace detector program (binfmt-support's own
	// feature; the kernel never sees it).
	Detector string
	// Credentials, Preserve and FixBinary are the C, P and F flags.
	Credentials, Preserve, FixBinary bool
	// Extra keeps keys this package does not know, in file order.
	Extra [][2]string
}

// ParseDebianFormat parses an update-binfmts format file. Errors are
// *SyntaxError values naming the file and line.
func ParseDebianFormat(name string, data []byte) (DebianFormat, error) {
	d := DebianFormat{Name: name}
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		val = strings.TrimSpace(val)
		if prev, dup := seen[key]; dup {
			return DebianFormat{}, &SyntaxError{File: name, Line: n, Msg: sprintf("key %q repeats line %d", key, prev)}
		}
		seen[key] = n
		yesno := func() (bool, error) {
			switch val {
			case "yes":
				return true, nil
			case "no", "":
				return false, nil
			}
			return false, &SyntaxError{File: name, Line: n, Msg: sprintf("%s %q, want yes or no", key, val)}
		}
		var err error
		switch key {
		case "package":
			d.Package = val
		case "interpreter":
			d.Interpreter = val
		case "magic":
			d.Magic = val
		case "mask":
			d.Mask = val
		case "offset":
			if d.Offset, err = strconv.Atoi(val); err != nil || d.Offset < 0 {
				return DebianFormat{}, &SyntaxError{File: name, Line: n, Msg: sprintf("offset %q is not a non-negative decimal number", val)}
			}
		case "extension":
			d.Extension = val
		case "detector":
			d.Detector = val
		case "credentials":
			d.Credentials, err = yesno()
		case "preserve":
			d.Preserve, err = yesno()
		case "fix_binary":
			d.FixBinary, err = yesno()
		default:
			d.Extra = append(d.Extra, [2]string{key, val})
		}
		if err != nil {
			return DebianFormat{}, err
		}
	}
	if err := sc.Err(); err != nil {
		return DebianFormat{}, &SyntaxError{File: name, Msg: "reading", Err: err}
	}
	if d.Interpreter == "" {
		return DebianFormat{}, &SyntaxError{File: name, Msg: "no interpreter line"}
	}
	if (d.Magic == "") == (d.Extension == "") {
		return DebianFormat{}, &SyntaxError{File: name, Msg: "want exactly one of a magic or an extension line"}
	}
	return d, nil
}

// Registration returns the kernel registration the format file describes.
func (d DebianFormat) Registration() (Registration, error) {
	r := Registration{Name: d.Name, Interpreter: d.Interpreter}
	if d.Credentials {
		r.Flags |= FlagCredentials | FlagOpenBinary
	}
	if d.Preserve {
		r.Flags |= FlagPreserveArgv0
	}
	if d.FixBinary {
		r.Flags |= FlagFixBinary
	}
	if d.Extension != "" {
		r.Kind, r.Extension = KindExtension, d.Extension
	} else {
		r.Kind, r.Offset, r.Magic = KindMagic, d.Offset, Unescape(d.Magic)
		if d.Mask != "" {
			r.Mask = Unescape(d.Mask)
		}
	}
	if err := r.Validate(); err != nil {
		return Registration{}, &SyntaxError{File: d.Name, Msg: "not a valid registration", Err: err}
	}
	return r, nil
}

// DebianFormatOf returns the format file for a registration, owned by pkg.
// update-binfmts has no O flag of its own: it is implied by credentials.
func DebianFormatOf(r Registration, pkg string) DebianFormat {
	d := DebianFormat{Name: r.Name, Package: pkg, Interpreter: r.Interpreter,
		Credentials: r.Flags&FlagCredentials != 0, Preserve: r.Flags&FlagPreserveArgv0 != 0, FixBinary: r.Flags&FlagFixBinary != 0}
	if r.Kind == KindExtension {
		d.Extension = r.Extension
	} else {
		d.Magic, d.Offset = Escape(r.Magic), r.Offset
		if r.Mask != nil {
			d.Mask = Escape(r.Mask)
		}
	}
	return d
}

// Format returns the file's content.
func (d DebianFormat) Format() []byte {
	var b bytes.Buffer
	kv := func(k, v string) {
		if v != "" {
			b.WriteString(k + " " + v + "\n")
		}
	}
	yn := func(v bool) string {
		if v {
			return "yes"
		}
		return "no"
	}
	kv("package", d.Package)
	kv("interpreter", d.Interpreter)
	if d.Extension != "" {
		kv("extension", d.Extension)
	} else {
		kv("magic", d.Magic)
		kv("offset", strconv.Itoa(d.Offset))
		kv("mask", d.Mask)
	}
	kv("detector", d.Detector)
	kv("credentials", yn(d.Credentials))
	kv("preserve", yn(d.Preserve))
	kv("fix_binary", yn(d.FixBinary))
	extra := d.Extra
	for _, e := range extra {
		kv(e[0], e[1])
	}
	return b.Bytes()
}

// Validate reports a field whose value cannot be written as one line of
// the format (a newline would smuggle in another key), or an extra key that
// is empty or holds white space.
func (d DebianFormat) Validate() error {
	fields := [][2]string{{"package", d.Package}, {"interpreter", d.Interpreter},
		{"extension", d.Extension}, {"magic", d.Magic}, {"mask", d.Mask}, {"detector", d.Detector}}
	for _, e := range d.Extra {
		if e[0] == "" || strings.ContainsAny(e[0], " \t\r\n") {
			return fmt.Errorf("binfmt: update-binfmts format %q: extra key %q is empty or holds white space", d.Name, e[0])
		}
		fields = append(fields, e)
	}
	for _, f := range fields {
		if strings.ContainsAny(f[1], "\r\n") {
			return fmt.Errorf("binfmt: update-binfmts format %q: field %s holds a line break", d.Name, f[0])
		}
	}
	return nil
}

// WriteDebianFormat validates d and atomically writes the format file into
// dir (mode 0644).
func WriteDebianFormat(dir string, d DebianFormat) error {
	if err := validateName(d.Name, -1); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return err
	}
	return atomicfile.WriteFile(dir+"/"+d.Name, d.Format(), 0o644)
}
