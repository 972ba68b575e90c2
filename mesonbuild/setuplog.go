package mesonbuild

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// SetupFailure is what meson's log says about a failed configuration.
type SetupFailure struct {
	// Message is meson's error without the "ERROR: " prefix; a message of
	// several lines keeps them, joined with "\n".
	Message string
	// File and Line locate the meson.build statement that failed, when
	// meson named it (File is as meson printed it, usually relative to
	// the source directory).
	File string
	Line int
	// Dependency is the dependency that was not found or had the wrong
	// version; empty when the failure was something else.
	Dependency string
	// Wanted is the version constraint asked for (">=3.0"), when known.
	Wanted string
	// Found is the version found instead, when one was.
	Found string
}

var (
	// "meson.build:2:0: ERROR: ..." or "ERROR: ..."
	reErrorLine = regexp.MustCompile(`^(?:(.+?):(\d+):(\d+): )?ERROR: (.*)$`)
	// Dependency "nope" not found, tried pkgconfig (and newer forms)
	reDepNotFound = regexp.MustCompile(`Dependency ["']([^"']+)["'] (?:not found|is required but not found)`)
	// Invalid version, need 'foo' ['>=3.0'] found '2.0.0'.
	reInvalidVersion = regexp.MustCompile(`Invalid version,? need '([^']+)' \[([^\]]*)\] found '([^']*)'`)
	// Dependency foo found: NO found 2.0.0 but need: '>=3.0'
	reFoundButNeed = regexp.MustCompile(`[Dd]ependency (\S+) found: NO\.? [Ff]ound (\S+) but need:? (.+)$`)
	// version: '>=1.0' or version : ['>=1', '<2'] in a meson.build line
	reVersionKwarg = regexp.MustCompile(`version\s*:\s*(\[[^\]]*\]|'[^']*')`)
	reDepCall      = regexp.MustCompile(`dependency\s*\(\s*'([^']+)'`)
)

// ParseSetupLog reads the text of meson-log.txt (or meson's terminal
// output) from a failed setup and returns what failed. It looks at the
// last ERROR line and the dependency lines before it. ok is false when the
// text holds no ERROR line.
func ParseSetupLog(text []byte) (f SetupFailure, ok bool) {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	errIdx := -1
	for i := len(lines) - 1; i >= 0; i-- {
		if m := reErrorLine.FindStringSubmatch(lines[i]); m != nil {
			errIdx = i
			f.File = m[1]
			f.Line, _ = strconv.Atoi(m[2])
			msg := []string{strings.TrimSpace(m[4])}
			// A message holding newlines goes on over the next lines, up
			// to the blank line before "A full log can be found at" (or
			// the end of meson-log.txt).
			for _, l := range lines[i+1:] {
				if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "A full log can be found at ") {
					break
				}
				msg = append(msg, strings.TrimRight(l, " \t\r"))
			}
			f.Message = strings.Join(msg, "\n")
			break
		}
	}
	if errIdx < 0 {
		return SetupFailure{}, false
	}
	if m := reInvalidVersion.FindStringSubmatch(f.Message); m != nil {
		f.Dependency, f.Wanted, f.Found = m[1], joinConstraints(m[2]), m[3]
		return f, true
	}
	if m := reDepNotFound.FindStringSubmatch(f.Message); m != nil {
		f.Dependency = m[1]
	} else if strings.Contains(f.Message, "Dependency lookup for ") {
		rest := f.Message[strings.Index(f.Message, "Dependency lookup for ")+len("Dependency lookup for "):]
		if name, _, ok := strings.Cut(rest, " "); ok {
			f.Dependency = name
		}
	}
	if f.Dependency == "" {
		return f, true
	}
	// Look back for the version meson saw ("found 2.0.0 but need ...").
	for i := errIdx; i >= 0 && i >= errIdx-200; i-- {
		if m := reFoundButNeed.FindStringSubmatch(lines[i]); m != nil && m[1] == f.Dependency {
			f.Found = m[2]
			f.Wanted = joinConstraints(m[3])
			break
		}
	}
	return f, true
}

// joinConstraints turns "'>=3.0', '<4'" or "['>=3.0']" into ">=3.0, <4".
func joinConstraints(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "[")
	s = strings.TrimSuffix(s, "]")
	var parts []string
	for _, p := range strings.Split(s, ",") {
		p = strings.Trim(strings.TrimSpace(p), `'"`)
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// dependencyVersionFromSource fills in Wanted from the meson.build line
// that failed, when the log did not say (meson 1.0 does not print the
// constraint for a dependency that is missing altogether).
func (f *SetupFailure) dependencyVersionFromSource(sourceDir string) {
	if f.Dependency == "" || f.Wanted != "" || f.File == "" || f.Line <= 0 {
		return
	}
	path := f.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(sourceDir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(string(data), "\n")
	if f.Line > len(lines) {
		return
	}
	// A dependency() call may span lines: read from the failing line to
	// the closing parenthesis (at most 20 lines).
	var call strings.Builder
	depth := 0
	for i := f.Line - 1; i < len(lines) && i < f.Line+19; i++ {
		call.WriteString(lines[i])
		call.WriteByte(' ')
		depth += strings.Count(lines[i], "(") - strings.Count(lines[i], ")")
		if depth <= 0 && strings.Contains(call.String(), "(") {
			break
		}
	}
	text := call.String()
	if m := reDepCall.FindStringSubmatch(text); m == nil || m[1] != f.Dependency {
		return
	}
	if m := reVersionKwarg.FindStringSubmatch(text); m != nil {
		f.Wanted = joinConstraints(m[1])
	}
}
