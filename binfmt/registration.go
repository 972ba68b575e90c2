package binfmt

import (
	"bytes"
	"strconv"
	"strings"
)

// Limits the kernel applies to a register string (fs/binfmt_misc.c,
// include/uapi/linux/binfmts.h).
const (
	// MinRegisterLength is the shortest register string the kernel reads.
	MinRegisterLength = 11
	// MaxRegisterLength is the longest register string the kernel reads.
	MaxRegisterLength = 1920
	// BufSize is BINPRM_BUF_SIZE: how many leading bytes of a file the
	// kernel reads and matches against; offset + magic length must fit.
	BufSize = 256
	// MaxNameLength is NAME_MAX: an entry is a file, its name a path
	// component.
	MaxNameLength = 255
)

// Kind is the registration type: match by magic bytes or by file name
// extension.
type Kind byte

const (
	// KindMagic ('M') matches magic bytes at an offset, under a mask.
	KindMagic Kind = 'M'
	// KindExtension ('E') matches the file name's extension.
	KindExtension Kind = 'E'
)

// String returns "M" or "E".
func (k Kind) String() string {
	switch k {
	case KindMagic:
		return "M"
	case KindExtension:
		return "E"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Flags are the registration's special flags.
type Flags uint8

const (
	// FlagPreserveArgv0 ('P') passes the original argv[0] to the
	// interpreter as an extra argument (and sets AT_FLAGS_PRESERVE_ARGV0).
	FlagPreserveArgv0 Flags = 1 << iota
	// FlagOpenBinary ('O') opens the binary and passes it as AT_EXECFD, so
	// the interpreter can run files it cannot read.
	FlagOpenBinary
	// FlagCredentials ('C') computes credentials from the binary (setuid
	// works); it implies FlagOpenBinary.
	FlagCredentials
	// FlagFixBinary ('F') opens the interpreter at registration and keeps
	// it open, so it works in chroots and mount namespaces where its path
	// does not exist.
	FlagFixBinary
)

const allFlags = FlagPreserveArgv0 | FlagOpenBinary | FlagCredentials | FlagFixBinary

// String returns the flags in the kernel's order, "POCF" for all of them.
func (f Flags) String() string {
	var b strings.Builder
	if f&FlagPreserveArgv0 != 0 {
		b.WriteByte('P')
	}
	if f&FlagOpenBinary != 0 {
		b.WriteByte('O')
	}
	if f&FlagCredentials != 0 {
		b.WriteByte('C')
	}
	if f&FlagFixBinary != 0 {
		b.WriteByte('F')
	}
	return b.String()
}

// Normalize returns the flags as the kernel stores them: C implies O.
func (f Flags) Normalize() Flags {
	if f&FlagCredentials != 0 {
		f |= FlagOpenBinary
	}
	return f & allFlags
}

// ParseFlags parses flag letters (any of "POCF", any order, repeats
// allowed, as the kernel accepts them). C implies O in the result.
func ParseFlags(s string) (Flags, error) {
	var f Flags
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'P':
			f |= FlagPreserveArgv0
		case 'O':
			f |= FlagOpenBinary
		case 'C':
			f |= FlagCredentials | FlagOpenBinary
		case 'F':
			f |= FlagFixBinary
		default:
			return 0, fieldErr("flags", -1, s, "unknown flag "+strconv.QuoteRune(rune(s[i]))+" at position "+strconv.Itoa(i)+" (want any of P, O, C, F)")
		}
	}
	return f, nil
}

// Registration is one binfmt_misc handler: what the register string
// `:name:type:offset:magic:mask:interpreter:flags` describes.
type Registration struct {
	// Name is the entry's name (its file under the binfmt_misc mount).
	Name string
	// Kind is KindMagic or KindExtension.
	Kind Kind
	// Offset is where in the file the magic starts (KindMagic only).
	Offset int
	// Magic is the decoded magic bytes (KindMagic only).
	Magic []byte
	// Mask is ANDed with the file's bytes before the compare; nil means an
	// exact compare. Its length equals Magic's.
	Mask []byte
	// Extension is the file name extension without the dot (KindExtension
	// only); it is compared case-sensitively with the text after the last
	// dot of the path.
	Extension string
	// Interpreter is the program the kernel runs with the file's path.
	Interpreter string
	// Flags are the special flags.
	Flags Flags
}

// Equal reports whether two registrations describe the same handler (flags
// compared normalized, a nil and an empty mask alike).
func (r Registration) Equal(o Registration) bool {
	return r.Name == o.Name && r.Kind == o.Kind && r.Offset == o.Offset &&
		bytes.Equal(r.Magic, o.Magic) && bytes.Equal(r.Mask, o.Mask) &&
		r.Extension == o.Extension && r.Interpreter == o.Interpreter &&
		r.Flags.Normalize() == o.Flags.Normalize()
}

// Validate reports, as a *FieldError, the first reason the kernel would
// refuse this registration, or nil. It applies the rules of fs/binfmt_misc.c
// to the decoded fields, plus NAME_MAX and the two reserved names (which the
// kernel refuses when it creates the entry's file).
func (r Registration) Validate() error {
	if err := validateName(r.Name, -1); err != nil {
		return err
	}
	switch r.Kind {
	case KindMagic:
		if r.Offset < 0 {
			return fieldErr("offset", -1, strconv.Itoa(r.Offset), "must not be negative")
		}
		if len(r.Magic) == 0 {
			return fieldErr("magic", -1, "", "must not be empty")
		}
		if r.Mask != nil && len(r.Mask) != len(r.Magic) {
			return fieldErr("mask", -1, "", "is "+strconv.Itoa(len(r.Mask))+" bytes, must be as long as the magic ("+strconv.Itoa(len(r.Magic))+" bytes)")
		}
		if len(r.Magic) > BufSize || BufSize-len(r.Magic) < r.Offset {
			return fieldErr("magic", -1, "", "offset "+strconv.Itoa(r.Offset)+" + magic length "+strconv.Itoa(len(r.Magic))+" exceeds the "+strconv.Itoa(BufSize)+" bytes the kernel reads")
		}
		if r.Extension != "" {
			return fieldErr("extension", -1, r.Extension, "must be empty for a magic (M) registration")
		}
	case KindExtension:
		if r.Extension == "" {
			return fieldErr("extension", -1, "", "must not be empty")
		}
		if i := strings.IndexAny(r.Extension, "/\x00"); i >= 0 {
			return fieldErr("extension", -1, r.Extension, "must not contain "+strconv.QuoteRune(rune(r.Extension[i])))
		}
		if r.Magic != nil || r.Mask != nil || r.Offset != 0 {
			return fieldErr("magic", -1, "", "offset, magic and mask must be empty for an extension (E) registration")
		}
	default:
		return fieldErr("type", -1, string(rune(r.Kind)), "must be M (magic) or E (extension)")
	}
	if r.Interpreter == "" {
		return fieldErr("interpreter", -1, "", "must not be empty")
	}
	if strings.IndexByte(r.Interpreter, 0) >= 0 {
		return fieldErr("interpreter", -1, r.Interpreter, "must not contain a NUL byte")
	}
	if r.Flags&^allFlags != 0 {
		return fieldErr("flags", -1, "", "unknown flag bits "+strconv.Itoa(int(r.Flags&^allFlags)))
	}
	_, ok := r.delimiter()
	if !ok {
		return fieldErr("name", -1, r.Name, "no delimiter character is free: name, extension and interpreter together use every candidate")
	}
	if n := r.encodedLen(); n > MaxRegisterLength {
		return fieldErr("length", -1, "", "the register string is "+strconv.Itoa(n)+" bytes, the kernel takes at most "+strconv.Itoa(MaxRegisterLength))
	}
	return nil
}

func validateName(name string, off int) error {
	if err := validateNameSyntax(name, off); err != nil {
		return err
	}
	return validateNameFile(name, off)
}

// validateNameSyntax applies create_entry's name rules.
func validateNameSyntax(name string, off int) error {
	switch {
	case name == "":
		return fieldErr("name", off, "", "must not be empty")
	case name == "." || name == "..":
		return fieldErr("name", off, name, "must not be . or ..")
	case strings.IndexByte(name, '/') >= 0:
		return fieldErr("name", off, name, "must not contain /")
	case strings.IndexByte(name, 0) >= 0:
		return fieldErr("name", off, name, "must not contain a NUL byte")
	}
	return nil
}

// validateNameFile applies the rules the kernel applies when it creates the
// entry's file, after the whole string parsed.
func validateNameFile(name string, off int) error {
	switch {
	case len(name) > MaxNameLength:
		e := fieldErr("name", off, name, "is "+strconv.Itoa(len(name))+" bytes, at most "+strconv.Itoa(MaxNameLength)+" (NAME_MAX)")
		e.Err = ErrNameTooLong
		return e
	case name == "register" || name == "status":
		e := fieldErr("name", off, name, "is one of the binfmt_misc control files (register, status)")
		e.Err = ErrReservedName
		return e
	}
	return nil
}

// delimiters are tried in order when encoding: the first one that occurs in
// no raw field is used. Magic and mask are always fully escaped, so only the
// name, extension and interpreter constrain the choice. ';' and '#' come
// last: a line starting with them is a comment in a binfmt.d file.
const delimiters = ":|,!@%^~=+&*?<>{}[]'\"`$;#"

func (r Registration) delimiter() (byte, bool) {
	for i := 0; i < len(delimiters); i++ {
		d := delimiters[i]
		if strings.IndexByte(r.Name, d) < 0 && strings.IndexByte(r.Extension, d) < 0 && strings.IndexByte(r.Interpreter, d) < 0 {
			return d, true
		}
	}
	return 0, false
}

// String returns the register string, or a description of why there is
// none (see Encode).
func (r Registration) String() string {
	s, err := r.Encode()
	if err != nil {
		return "invalid registration " + strconv.Quote(r.Name) + ": " + err.Error()
	}
	return s
}

// Encode validates the registration and returns its register string, the
// line written to the register file or kept in a binfmt.d file. The
// delimiter is ':' unless a field contains one; every magic and mask byte is
// written as \xHH (so NUL and the delimiter are always escaped) unless that
// would make the string longer than the kernel takes (a long magic with a
// mask): then printable ASCII bytes, and if still too long every byte but
// NUL, backslash and the delimiter, are written raw; an offset of
// 0 is written empty; flags are written in the kernel's order, with O added
// when C is set.
func (r Registration) Encode() (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	del, _ := r.delimiter()
	return string(r.encode(del)), nil
}

// MarshalText implements encoding.TextMarshaler with Encode.
func (r Registration) MarshalText() ([]byte, error) {
	s, err := r.Encode()
	return []byte(s), err
}

// UnmarshalText implements encoding.TextUnmarshaler with Parse.
func (r *Registration) UnmarshalText(b []byte) error {
	p, err := ParseBytes(b)
	if err != nil {
		return err
	}
	*r = p
	return nil
}

// How magic and mask bytes are written. Every byte as \xHH is the default;
// a 256-byte magic with a mask does not fit the kernel's 1920 bytes that way
// (the kernel takes such strings written with raw bytes), so longer forms
// fall back to writing printable ASCII raw, and then to escaping only what
// must be: NUL (it ends the decoding), the backslash (\x starts an escape)
// and the delimiter.
const (
	escapeAll = iota
	escapeUnprintable
	escapeMinimal
)

func mustEscape(c, del byte, level int) bool {
	switch level {
	case escapeAll:
		return true
	case escapeUnprintable:
		return c <= ' ' || c >= 0x7f || c == '\\' || c == del
	}
	return c == 0 || c == '\\' || c == del
}

func escapedLen(data []byte, del byte, level int) int {
	n := 0
	for _, c := range data {
		if mustEscape(c, del, level) {
			n += 4
		} else {
			n++
		}
	}
	return n
}

// encodedLenAt is len(r.encode(del)) with magic and mask escaped at level.
func (r Registration) encodedLenAt(del byte, level int) int {
	n := 7 + len(r.Name) + 1 + len(r.Interpreter) + len(r.Flags.Normalize().String())
	if r.Kind == KindMagic {
		if r.Offset != 0 {
			n += len(strconv.Itoa(r.Offset))
		}
		n += escapedLen(r.Magic, del, level) + escapedLen(r.Mask, del, level)
	} else {
		n += len(r.Extension)
	}
	return n
}

// encodedLen is the length of the shortest register string for r.
func (r Registration) encodedLen() int {
	del, _ := r.delimiter()
	return r.encodedLenAt(del, escapeMinimal)
}

// escapeLevel is the most escaped form of magic and mask that fits.
func (r Registration) escapeLevel(del byte) int {
	for level := escapeAll; level < escapeMinimal; level++ {
		if r.encodedLenAt(del, level) <= MaxRegisterLength {
			return level
		}
	}
	return escapeMinimal
}

func (r Registration) encode(del byte) []byte {
	b := make([]byte, 0, 32+len(r.Name)+len(r.Interpreter)+8*len(r.Magic))
	b = append(b, del)
	b = append(b, r.Name...)
	b = append(b, del, byte(r.Kind), del)
	if r.Kind == KindMagic {
		level := r.escapeLevel(del)
		if r.Offset != 0 {
			b = strconv.AppendInt(b, int64(r.Offset), 10)
		}
		b = append(b, del)
		b = appendEscapedAt(b, r.Magic, del, level)
		b = append(b, del)
		b = appendEscapedAt(b, r.Mask, del, level)
	} else {
		b = append(b, del)
		b = append(b, r.Extension...)
		b = append(b, del)
	}
	b = append(b, del)
	b = append(b, r.Interpreter...)
	b = append(b, del)
	b = append(b, r.Flags.Normalize().String()...)
	return b
}

const hexDigits = "0123456789abcdef"

func appendEscaped(b, data []byte) []byte {
	for _, c := range data {
		b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

func appendEscapedAt(b, data []byte, del byte, level int) []byte {
	for _, c := range data {
		if mustEscape(c, del, level) {
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		} else {
			b = append(b, c)
		}
	}
	return b
}

// Escape returns data as \xHH escapes, the form magic and mask take in a
// register string, a binfmt.d file and an update-binfmts format file.
func Escape(data []byte) string { return string(appendEscaped(nil, data)) }

// Unescape decodes a magic or mask field exactly as the kernel does
// (string_unescape with UNESCAPE_HEX): \x followed by one or two hex digits
// is a byte, any other character stands for itself, and decoding stops at
// the first NUL byte.
func Unescape(s string) []byte {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return kunescape([]byte(s))
}

func kunescape(src []byte) []byte {
	out := make([]byte, 0, len(src)/4+1)
	for i := 0; i < len(src); {
		if src[i] == '\\' && i+1 < len(src) {
			i++
			if src[i] == 'x' && i+1 < len(src) && isHex(src[i+1]) {
				n := unhex(src[i+1])
				j := i + 2
				if j < len(src) && isHex(src[j]) {
					n = n<<4 | unhex(src[j])
					j++
				}
				out = append(out, n)
				i = j
				continue
			}
			out = append(out, '\\')
		}
		out = append(out, src[i])
		i++
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
