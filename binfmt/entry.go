package binfmt

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
)

// Entry is a registered handler as the kernel shows it in its entry file
// (/proc/sys/fs/binfmt_misc/<name>).
type Entry struct {
	Registration
	// Enabled reports whether the entry takes part in matching.
	Enabled bool
}

// ParseEntry parses the content of a kernel entry file:
//
//	enabled
//	interpreter /usr/bin/qemu-aarch64-static
//	flags: POCF
//	offset 0
//	magic 7f454c46...
//	mask ffffffff...
//
// or, for an extension entry, "extension .ext" after the flags. The name is
// the entry's file name; errors are *SyntaxError values naming it and the
// line.
func ParseEntry(name string, data []byte) (Entry, error) {
	e := Entry{Registration: Registration{Name: name}}
	bad := func(line int, format string, args ...any) (Entry, error) {
		return Entry{}, &SyntaxError{File: name, Line: line, Msg: sprintf(format, args...)}
	}
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		return bad(0, "entry file does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 4 {
		return bad(len(lines), "entry file has %d lines, want at least 4 (status, interpreter, flags, then extension or offset/magic)", len(lines))
	}
	switch lines[0] {
	case "enabled":
		e.Enabled = true
	case "disabled":
	default:
		return bad(1, "status %q, want enabled or disabled", lines[0])
	}
	// The interpreter and the extension may contain newlines (the kernel
	// takes them), so the fixed lines are found from the structure: a magic
	// entry ends with offset, magic and an optional mask line; otherwise the
	// first "flags: " line ends the interpreter and the extension runs to
	// the end.
	flagsAt, magicAt := -1, -1
	for k := len(lines) - 2; k >= len(lines)-3 && k >= 3; k-- {
		if strings.HasPrefix(lines[k], "offset ") && strings.HasPrefix(lines[k+1], "magic ") &&
			(k+2 == len(lines) || k+3 == len(lines) && strings.HasPrefix(lines[k+2], "mask ")) &&
			strings.HasPrefix(lines[k-1], "flags: ") {
			flagsAt, magicAt = k-1, k
			break
		}
	}
	if flagsAt < 0 {
		for k := 2; k < len(lines); k++ {
			if strings.HasPrefix(lines[k], "flags: ") && k+1 < len(lines) && strings.HasPrefix(lines[k+1], "extension .") {
				flagsAt = k
				break
			}
		}
	}
	if flagsAt < 0 {
		// Report the first line that breaks the usual shape.
		switch {
		case !strings.HasPrefix(lines[1], "interpreter "):
			return bad(2, "%q, want \"interpreter PATH\"", lines[1])
		case !strings.HasPrefix(lines[2], "flags: "):
			return bad(3, "%q, want \"flags: \" and the flag letters", lines[2])
		case !strings.HasPrefix(lines[3], "offset "):
			return bad(4, "%q, want \"offset N\" or \"extension .EXT\"", lines[3])
		case len(lines) < 5 || !strings.HasPrefix(lines[4], "magic "):
			return bad(5, "missing the \"magic HEX\" line")
		case len(lines) > 5 && !strings.HasPrefix(lines[5], "mask "):
			return bad(6, "%q, want \"mask HEX\"", lines[5])
		}
		return bad(7, "unexpected line %q", lines[min(6, len(lines)-1)])
	}
	interp, ok := strings.CutPrefix(strings.Join(lines[1:flagsAt], "\n"), "interpreter ")
	if !ok || interp == "" {
		return bad(2, "%q, want \"interpreter PATH\"", lines[1])
	}
	e.Interpreter = interp
	f, err := ParseFlags(strings.TrimPrefix(lines[flagsAt], "flags: "))
	if err != nil {
		return Entry{}, &SyntaxError{File: name, Line: flagsAt + 1, Msg: "bad flags", Err: err}
	}
	e.Flags = f
	if magicAt < 0 {
		e.Kind = KindExtension
		e.Extension = strings.TrimPrefix(strings.Join(lines[flagsAt+1:], "\n"), "extension .")
		if err := e.Registration.Validate(); err != nil {
			return Entry{}, &SyntaxError{File: name, Line: flagsAt + 2, Msg: "not a valid registration", Err: err}
		}
		return e, nil
	}
	e.Kind = KindMagic
	off := strings.TrimPrefix(lines[magicAt], "offset ")
	n, err := strconv.Atoi(off)
	if err != nil || n < 0 {
		return bad(magicAt+1, "offset %q is not a non-negative decimal number", off)
	}
	e.Offset = n
	mg := strings.TrimPrefix(lines[magicAt+1], "magic ")
	if e.Magic, err = hex.DecodeString(mg); err != nil || mg == "" {
		return bad(magicAt+2, "magic %q is not hex bytes", shorten(mg))
	}
	if magicAt+2 < len(lines) {
		mk := strings.TrimPrefix(lines[magicAt+2], "mask ")
		if e.Mask, err = hex.DecodeString(mk); err != nil {
			return bad(magicAt+3, "mask %q is not hex bytes", shorten(mk))
		}
	}
	if err := e.Registration.Validate(); err != nil {
		return Entry{}, &SyntaxError{File: name, Line: 0, Msg: "not a valid registration", Err: err}
	}
	return e, nil
}

// String returns the register string and the state, e.g.
// ":qemu-arm:M::...:F (enabled)".
func (e Entry) String() string {
	if e.Enabled {
		return e.Registration.String() + " (enabled)"
	}
	return e.Registration.String() + " (disabled)"
}

// Format returns the entry as the kernel prints it in its entry file.
func (e Entry) Format() []byte {
	var b bytes.Buffer
	if e.Enabled {
		b.WriteString("enabled\n")
	} else {
		b.WriteString("disabled\n")
	}
	b.WriteString("interpreter " + e.Interpreter + "\nflags: " + e.Flags.Normalize().String() + "\n")
	if e.Kind == KindExtension {
		b.WriteString("extension ." + e.Extension + "\n")
		return b.Bytes()
	}
	b.WriteString("offset " + strconv.Itoa(e.Offset) + "\nmagic " + hex.EncodeToString(e.Magic))
	if e.Mask != nil {
		b.WriteString("\nmask " + hex.EncodeToString(e.Mask))
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// entryJSON is how an Entry looks in JSON: the register string and the
// state (the promoted Registration.MarshalText would drop Enabled).
type entryJSON struct {
	Register string `json:"register"`
	Enabled  bool   `json:"enabled"`
}

// MarshalJSON encodes the entry as {"register": "<register string>",
// "enabled": bool}.
func (e Entry) MarshalJSON() ([]byte, error) {
	s, err := e.Registration.Encode()
	if err != nil {
		return nil, err
	}
	return json.Marshal(entryJSON{Register: s, Enabled: e.Enabled})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var j entryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	r, err := Parse(j.Register)
	if err != nil {
		return err
	}
	*e = Entry{Registration: r, Enabled: j.Enabled}
	return nil
}

// ParseStatus parses the content of the status file: "enabled" or
// "disabled" and a newline.
func ParseStatus(data []byte) (enabled bool, err error) {
	switch string(data) {
	case "enabled\n":
		return true, nil
	case "disabled\n":
		return false, nil
	}
	return false, &SyntaxError{File: "status", Line: 1, Msg: sprintf("%q, want \"enabled\" or \"disabled\"", shorten(string(data)))}
}
