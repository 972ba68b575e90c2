package elfwrap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// maxIncludeDepth bounds ld.so.conf include nesting (ldconfig has no limit
// but follows a cycle forever; we report it).
const maxIncludeDepth = 16

// ParseLDConf reads an ld.so.conf (path as seen inside root; root "" or "/"
// is the host) and returns its library directories in order, following
// `include` lines with glob patterns (relative patterns are relative to the
// including file's directory, as in ldconfig). `hwcap` lines are ignored;
// an old-style `dir=type` suffix is dropped. An include cycle gives an error
// matching ErrLoop.
// maxLDConfSize bounds one configuration file (Debian's are a few hundred
// bytes).
const maxLDConfSize = 16 << 20

func ParseLDConf(root, path string) ([]string, error) {
	var dirs []string
	seenDir := map[string]bool{}
	active := map[string]bool{}
	// done holds the files already read to their end: reading one again
	// adds no directory (each is already in dirs, in its first place), and
	// skipping it keeps a file that includes the same files many times at
	// each level from taking time exponential in the nesting depth.
	done := map[string]bool{}
	var parse func(p string, depth int) error
	parse = func(p string, depth int) error {
		if depth > maxIncludeDepth {
			return fmt.Errorf("%s: includes nested deeper than %d: %w", p, maxIncludeDepth, ErrLoop)
		}
		if active[p] {
			return fmt.Errorf("%s: includes itself: %w", p, ErrLoop)
		}
		if done[p] {
			return nil
		}
		active[p] = true
		defer delete(active, p)
		data, err := readRegular(hostPath(root, p), maxLDConfSize)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 4096), 1<<20)
		for lineNo := 1; sc.Scan(); lineNo++ {
			line := sc.Text()
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if rest, ok := cutKeyword(line, "include"); ok {
				for _, pat := range strings.Fields(rest) {
					if !strings.HasPrefix(pat, "/") {
						pat = filepath.Dir(p) + "/" + pat
					}
					matches, err := filepath.Glob(hostPath(root, pat))
					if err != nil {
						return fmt.Errorf("%s:%d: bad include pattern %q: %v", p, lineNo, pat, err)
					}
					sort.Strings(matches)
					for _, m := range matches {
						inner := m
						if r := cleanRoot(root); r != "" {
							inner = strings.TrimPrefix(m, r)
						}
						if err := parse(inner, depth+1); err != nil {
							if errors.Is(err, fs.ErrNotExist) {
								continue
							}
							return err
						}
					}
				}
				continue
			}
			if _, ok := cutKeyword(strings.ToLower(line), "hwcap"); ok {
				continue
			}
			if i := strings.IndexByte(line, '='); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			d := trimSlashes(line)
			if d != "" && !seenDir[d] {
				seenDir[d] = true
				dirs = append(dirs, d)
			}
		}
		if err := sc.Err(); err != nil {
			return err
		}
		done[p] = true
		return nil
	}
	if err := parse(path, 0); err != nil {
		return dirs, err
	}
	return dirs, nil
}

func cutKeyword(line, kw string) (string, bool) {
	if len(line) > len(kw) && strings.HasPrefix(line, kw) && (line[len(kw)] == ' ' || line[len(kw)] == '\t') {
		return line[len(kw)+1:], true
	}
	return "", false
}

// trimSlashes removes trailing slashes except from "/" itself.
func trimSlashes(d string) string {
	for len(d) > 1 && strings.HasSuffix(d, "/") {
		d = d[:len(d)-1]
	}
	return d
}

// cleanRoot returns "" for the host root, else root without trailing slash.
func cleanRoot(root string) string {
	if root == "" {
		return ""
	}
	r := trimSlashes(filepath.Clean(root))
	if r == "/" {
		return ""
	}
	return r
}

// hostPath maps a path inside root to the host (no symlink resolution).
func hostPath(root, p string) string {
	r := cleanRoot(root)
	if r == "" {
		return p
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return r + p
}

// globInRoot expands a glob pattern inside root, returning paths as seen
// inside root, sorted.
func globInRoot(root, pattern string) ([]string, error) {
	m, err := filepath.Glob(hostPath(root, pattern))
	if err != nil {
		return nil, err
	}
	sort.Strings(m)
	if r := cleanRoot(root); r != "" {
		for i := range m {
			m[i] = strings.TrimPrefix(m[i], r)
		}
	}
	return m, nil
}
