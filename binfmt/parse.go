package binfmt

import (
	"strconv"
)

// Parse parses a register string as the kernel's create_entry does, with any
// first character as the delimiter, and returns the registration it would
// create, or a *FieldError naming the field, its byte offset and the rule it
// breaks. It accepts exactly the strings Linux accepts (checked against a
// live kernel by this package's tests), plus it refuses names longer than
// NAME_MAX and the names "register" and "status", which the kernel refuses
// when it creates the entry's file.
func Parse(s string) (Registration, error) { return ParseBytes([]byte(s)) }

// ParseBytes is Parse for a byte slice.
func ParseBytes(in []byte) (Registration, error) {
	count := len(in)
	if count < MinRegisterLength || count > MaxRegisterLength {
		return Registration{}, fieldErr("length", 0, "", "the register string is "+strconv.Itoa(count)+" bytes, the kernel takes "+strconv.Itoa(MinRegisterLength)+" to "+strconv.Itoa(MaxRegisterLength))
	}
	// Like the kernel: the buffer padded with 8 delimiters; a NUL after
	// that stands for the end of the allocation (never reached).
	buf := make([]byte, count+9)
	copy(buf, in)
	del := buf[0]
	for i := count; i < count+8; i++ {
		buf[i] = del
	}
	var r Registration

	// name
	p := 1
	e := strchr(buf, p, del)
	if e < 0 {
		return r, fieldErr("name", p, cstr(buf[p:]), "no delimiter after the name (or a NUL byte inside it)")
	}
	name := string(buf[p:e])
	if err := validateNameSyntax(name, p); err != nil {
		return r, err
	}
	r.Name = name
	p = e + 1

	// type
	switch buf[p] {
	case 'M':
		r.Kind = KindMagic
	case 'E':
		r.Kind = KindExtension
	default:
		return Registration{}, fieldErr("type", p, string(buf[p:p+1]), "must be M (magic) or E (extension)")
	}
	p++
	if buf[p] != del {
		return Registration{}, fieldErr("type", p-1, snippet(buf, p-1, p+8, count), "must be the single letter M or E followed by the delimiter")
	}
	p++

	if r.Kind == KindMagic {
		// offset
		e = strchr(buf, p, del)
		if e < 0 {
			return Registration{}, fieldErr("offset", p, cstr(buf[p:]), "no delimiter after the offset (or a NUL byte inside it)")
		}
		if e != p {
			off, ok := kstrtoint(buf[p:e])
			if !ok || off < 0 {
				return Registration{}, fieldErr("offset", p, string(buf[p:e]), "must be a decimal number from 0 to 2147483647")
			}
			r.Offset = off
		}
		p = e + 1

		// magic
		magicAt := p
		e = scanarg(buf, p, del)
		if e < 0 {
			return Registration{}, fieldErr("magic", magicAt, snippet(buf, magicAt, magicAt+64, count), "a \\x escape must be followed by two hex digits")
		}
		rawMagic := buf[magicAt : e-1]
		if len(rawMagic) == 0 || rawMagic[0] == 0 {
			return Registration{}, fieldErr("magic", magicAt, "", "must not be empty")
		}
		p = e

		// mask
		maskAt := p
		e = scanarg(buf, p, del)
		if e < 0 {
			return Registration{}, fieldErr("mask", maskAt, snippet(buf, maskAt, maskAt+64, count), "a \\x escape must be followed by two hex digits")
		}
		rawMask := buf[maskAt : e-1]
		p = e

		r.Magic = kunescape(cut(rawMagic))
		if len(rawMask) > 0 && rawMask[0] != 0 {
			r.Mask = kunescape(cut(rawMask))
			if len(r.Mask) != len(r.Magic) {
				return Registration{}, fieldErr("mask", maskAt, string(cut(rawMask)), "decodes to "+strconv.Itoa(len(r.Mask))+" bytes, must be as long as the magic ("+strconv.Itoa(len(r.Magic))+" bytes)")
			}
		}
		if len(r.Magic) > BufSize || BufSize-len(r.Magic) < r.Offset {
			return Registration{}, fieldErr("magic", magicAt, "", "offset "+strconv.Itoa(r.Offset)+" + magic length "+strconv.Itoa(len(r.Magic))+" exceeds the "+strconv.Itoa(BufSize)+" bytes the kernel reads")
		}
	} else {
		// offset: skipped
		e = strchr(buf, p, del)
		if e < 0 {
			return Registration{}, fieldErr("offset", p, cstr(buf[p:]), "no delimiter after the (ignored) offset field")
		}
		p = e + 1
		// extension
		e = strchr(buf, p, del)
		if e < 0 {
			return Registration{}, fieldErr("extension", p, cstr(buf[p:]), "no delimiter after the extension (or a NUL byte inside it)")
		}
		ext := string(buf[p:e])
		if ext == "" {
			return Registration{}, fieldErr("extension", p, "", "must not be empty")
		}
		for i := 0; i < len(ext); i++ {
			if ext[i] == '/' {
				return Registration{}, fieldErr("extension", p, ext, "must not contain /")
			}
		}
		r.Extension = ext
		p = e + 1
		// mask: skipped
		e = strchr(buf, p, del)
		if e < 0 {
			return Registration{}, fieldErr("mask", p, cstr(buf[p:]), "no delimiter after the (ignored) mask field")
		}
		p = e + 1
	}

	// interpreter
	e = strchr(buf, p, del)
	if e < 0 {
		return Registration{}, fieldErr("interpreter", p, cstr(buf[p:]), "no delimiter after the interpreter (or a NUL byte inside it)")
	}
	if e == p {
		return Registration{}, fieldErr("interpreter", p, "", "must not be empty")
	}
	r.Interpreter = string(buf[p:e])
	p = e + 1

	// flags
	flagsAt := p
	for done := false; !done; {
		switch buf[p] {
		case 'P':
			r.Flags |= FlagPreserveArgv0
		case 'O':
			r.Flags |= FlagOpenBinary
		case 'C':
			r.Flags |= FlagCredentials | FlagOpenBinary
		case 'F':
			r.Flags |= FlagFixBinary
		default:
			done = true
			continue
		}
		p++
	}
	if buf[p] == '\n' {
		p++
	}
	if p != count || isFlag(del) {
		if p > count || isFlag(del) {
			why := "the string must end with the flags field (is the last delimiter missing?)"
			if isFlag(del) {
				// Observed on Linux 6.18: every string whose delimiter is
				// P, O, C or F is refused, even when it ends in a newline
				// that should stop the flags.
				why = "the delimiter " + strconv.QuoteRune(rune(del)) + " is a flag letter, which the kernel refuses"
			}
			return Registration{}, fieldErr("flags", min(flagsAt, count), "", why)
		}
		return Registration{}, fieldErr("flags", flagsAt, snippet(in, flagsAt, flagsAt+16, count), "unknown flag at byte "+strconv.Itoa(p)+" (want any of P, O, C, F, then an optional newline, then the end)")
	}
	// Like the kernel, the file name rules come last, when the entry's
	// file is created.
	if err := validateNameFile(r.Name, 1); err != nil {
		return Registration{}, err
	}
	return r, nil
}

func isFlag(c byte) bool { return c == 'P' || c == 'O' || c == 'C' || c == 'F' }

// strchr returns the index of the first del at or after p, or -1 when a NUL
// byte comes first (C's strchr on a NUL-terminated string).
func strchr(buf []byte, p int, del byte) int {
	for i := p; i < len(buf); i++ {
		if buf[i] == del {
			return i
		}
		if buf[i] == 0 {
			return -1
		}
	}
	return -1
}

// scanarg mirrors the kernel's scanarg: it returns the index just past the
// delimiter ending the field at p, or -1 when a \x escape is not followed by
// two hex digits.
func scanarg(buf []byte, p int, del byte) int {
	for p < len(buf) {
		c := buf[p]
		p++
		if c == del {
			return p
		}
		if c == '\\' && p < len(buf) && buf[p] == 'x' {
			p++
			if p >= len(buf) || !isHex(buf[p]) {
				return -1
			}
			p++
			if p >= len(buf) || !isHex(buf[p]) {
				return -1
			}
			p++
		}
	}
	return -1
}

// cut returns b up to its first NUL byte.
func cut(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

func cstr(b []byte) string { return string(cut(b)) }

// snippet returns buf[from:to] clipped to the input's count bytes, up to a
// NUL byte, for an error message.
func snippet(buf []byte, from, to, count int) string {
	to = min(to, count)
	if from < 0 || from >= to {
		return ""
	}
	return cstr(buf[from:to])
}

// kstrtoint mirrors the kernel's kstrtoint(s, 10): an optional sign, decimal
// digits, an optional trailing newline, and a value that fits an int32.
func kstrtoint(s []byte) (int, bool) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg = true
		s = s[1:]
	} else if len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	var v uint64
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		d := uint64(s[n] - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
		n++
	}
	if n == 0 {
		return 0, false
	}
	rest := s[n:]
	if len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	if len(rest) != 0 {
		return 0, false
	}
	if neg {
		if v > 1<<31 {
			return 0, false
		}
		return -int(v), true
	}
	if v > 1<<31-1 {
		return 0, false
	}
	return int(v), true
}
