package binfmt

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// SystemdDirs are the directories systemd-binfmt reads *.conf files from,
// in priority order: a file in an earlier directory overrides (or, as a
// symlink to /dev/null or an empty file, masks) one of the same name in a
// later directory.
var SystemdDirs = []string{"/etc/binfmt.d", "/run/binfmt.d", "/usr/local/lib/binfmt.d", "/usr/lib/binfmt.d"}

// ConfRule is one registration from a binfmt.d file.
type ConfRule struct {
	// File is the file it came from and Line its 1-based line number.
	File string
	Line int
	// Registration is the parsed rule.
	Registration Registration
}

// ParseBinfmtD parses a binfmt.d file the way systemd-binfmt reads it:
// lines end at LF, CR or NUL (CRLF is one line end), every line is stripped
// of surrounding spaces, tabs, CRs and LFs, empty lines and lines
// starting with '#' or ';' are skipped, every other line is a register
// string. It returns the good rules and, for every bad line, a *SyntaxError
// naming the file and line (joined into one error): systemd-binfmt also
// goes on with the other lines.
func ParseBinfmtD(r io.Reader, file string) ([]ConfRule, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	sc.Split(scanSystemdLines)
	var rules []ConfRule
	var errs []error
	for n := 1; sc.Scan(); n++ {
		// systemd's strstrip: space, tab, CR and LF only (a vertical tab,
		// form feed or no-break space stays in the rule).
		line := strings.Trim(sc.Text(), " \t\r\n")
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		// systemd-binfmt writes the rule with a newline after it, so the
		// kernel sees one byte more (a 1920-byte line is refused).
		reg, err := Parse(line + "\n")
		if err != nil {
			errs = append(errs, &SyntaxError{File: file, Line: n, Msg: "bad register string", Err: err})
			continue
		}
		rules = append(rules, ConfRule{File: file, Line: n, Registration: reg})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &SyntaxError{File: file, Msg: "reading", Err: err})
	}
	return rules, errors.Join(errs...)
}

// scanSystemdLines splits lines as systemd's read_line does: a line ends at
// LF, CR or NUL, and the pairs CRLF and LFCR, each optionally followed by a
// NUL, as well as LF NUL and CR NUL, count as one line end.
func scanSystemdLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	i := bytes.IndexAny(data, "\n\r\x00")
	if i < 0 {
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	}
	// The whole line end must be in the buffer to be read as one.
	if !atEOF && len(data) < i+3 {
		return 0, nil, nil
	}
	j := i + 1
	if c := data[i]; c != 0 {
		if j < len(data) && (data[j] == '\n' || data[j] == '\r') && data[j] != c {
			j++
		}
		if j < len(data) && data[j] == 0 {
			j++
		}
	}
	return j, data[:i], nil
}

// BinfmtDFiles returns the binfmt.d files systemd-binfmt would apply, in
// its order (lexical by file name), after same-name overrides and masks.
// Hidden files (names starting with '.') are skipped, as systemd does.
// root is prepended to every directory ("" or "/" for the running system),
// like systemd's --root. Missing directories are not an error.
func BinfmtDFiles(root string, dirs []string) ([]string, error) {
	if dirs == nil {
		dirs = SystemdDirs
	}
	chosen := map[string]string{}
	for _, d := range dirs {
		dir := filepath.Join(root, d)
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			n := e.Name()
			// systemd skips hidden files (".name.conf") like backups.
			if !strings.HasSuffix(n, ".conf") || strings.HasPrefix(n, ".") || e.IsDir() {
				continue
			}
			if _, seen := chosen[n]; !seen {
				chosen[n] = filepath.Join(dir, n)
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		p := chosen[n]
		if t, err := os.Readlink(p); err == nil && t == "/dev/null" {
			continue // masked
		}
		out = append(out, p)
	}
	return out, nil
}

// LoadBinfmtD reads every binfmt.d file systemd-binfmt would apply (see
// BinfmtDFiles) and returns their rules in the order it applies them, with
// the errors of bad lines and unreadable files joined.
func LoadBinfmtD(root string, dirs []string) ([]ConfRule, error) {
	files, err := BinfmtDFiles(root, dirs)
	if err != nil {
		return nil, err
	}
	var rules []ConfRule
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rs, err := ParseBinfmtD(bytes.NewReader(data), f)
		rules = append(rules, rs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return rules, errors.Join(errs...)
}

// FormatBinfmtD returns a binfmt.d file holding the registrations, one per
// line, after an optional comment (each of its lines prefixed with "# ").
func FormatBinfmtD(regs []Registration, comment string) ([]byte, error) {
	var b bytes.Buffer
	if comment != "" {
		for _, l := range strings.Split(strings.TrimRight(comment, "\n"), "\n") {
			b.WriteString(strings.TrimRight("# "+l, " ") + "\n")
		}
	}
	for _, r := range regs {
		s, err := r.Encode()
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(s, "\n\r") || strings.TrimSpace(s) != s || s[0] == '#' || s[0] == ';' {
			return nil, &FieldError{Field: "name", Offset: -1, Value: r.Name, Reason: "a binfmt.d line cannot carry this register string: it would need a newline, surrounding white space or a comment character as the delimiter", Err: ErrInvalid}
		}
		if len(s) >= MaxRegisterLength {
			// systemd-binfmt writes the line with a newline after it.
			return nil, &FieldError{Field: "length", Offset: -1, Value: r.Name, Reason: "the register string is " + strconv.Itoa(len(s)) + " bytes; systemd-binfmt writes it with a newline, and the kernel takes at most " + strconv.Itoa(MaxRegisterLength) + " bytes", Err: ErrInvalid}
		}
		b.WriteString(s + "\n")
	}
	return b.Bytes(), nil
}

// WriteBinfmtD atomically writes a binfmt.d file (mode 0644).
func WriteBinfmtD(path string, regs []Registration, comment string) error {
	data, err := FormatBinfmtD(regs, comment)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}
