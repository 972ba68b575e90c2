package elfwrap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/hostkit-dev/hostkit/internal/regfile"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
)

// maxIncludeDepth bounds ld.so.conf include nesting (ldconfig has no limit
// but follows a cycle forever; we report it).
const maxIncludeDepth = 16

// maxLDConfSize bounds one configuration file (Debian's are a few hundred
// bytes).
const maxLDConfSize = 16 << 20

// ParseLDConf reads an ld.so.conf (path as seen inside root; root "" or "/"
// is the host) and returns its library directories in order, following
// `include` lines with glob patterns (relative patterns are relative to the
// including file's directory, as in ldconfig). `hwcap` lines are ignored;
// an old-style `dir=type` suffix is dropped. An include cycle gives an error
// matching ErrLoop.
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
		hp, err := ResolveInRoot(root, p)
		if err != nil {
			return err
		}
		data, err := regfile.ReadFile(hp, maxLDConfSize)
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
					matches, err := globInRoot(root, pat)
					if err != nil {
						return fmt.Errorf("%s:%d: bad include pattern %q: %v", p, lineNo, pat, err)
					}
					for _, inner := range matches {
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
			// ldconfig strips every trailing slash: "/" names nothing.
			d := strings.TrimRight(line, "/")
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

// globInRoot expands a glob pattern inside root, returning paths as seen
// inside root, sorted. Symbolic links met on the way are resolved inside
// the root (ResolveInRoot), as ldconfig -r does: an absolute link never
// leads to the host's files.
func globInRoot(root, pattern string) ([]string, error) {
	if cleanRoot(root) == "" {
		m, err := filepath.Glob(pattern)
		m = slices.DeleteFunc(m, func(match string) bool { return !leadingDotsMatched(pattern, match) })
		sort.Strings(m)
		return m, err
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(pattern, "/") {
		pattern = "/" + pattern
	}
	cur := []string{""}
	for _, c := range splitPath(pattern) {
		var next []string
		for _, d := range cur {
			if !hasGlobMeta(c) {
				next = append(next, d+"/"+c)
				continue
			}
			hd, err := ResolveInRoot(root, d+"/")
			if err != nil {
				continue
			}
			f, err := os.OpenFile(hd, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
			if err != nil {
				continue
			}
			names, _ := f.Readdirnames(-1)
			f.Close()
			sort.Strings(names)
			for _, n := range names {
				if strings.HasPrefix(n, ".") && !strings.HasPrefix(c, ".") {
					continue // glob(3): a leading dot is matched only by a dot
				}
				if ok, _ := path.Match(c, n); ok {
					next = append(next, d+"/"+n)
				}
			}
		}
		cur = next
	}
	var out []string
	for _, p := range cur {
		if hp, err := ResolveInRoot(root, p); err == nil {
			if _, err := os.Lstat(hp); err == nil {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// leadingDotsMatched applies glob(3)'s rule that Go's filepath.Glob does
// not: a name starting with a dot is matched only by a pattern component
// that starts with a dot (ldconfig's `include *.conf` skips .x.conf).
func leadingDotsMatched(pattern, match string) bool {
	pc, mc := strings.Split(pattern, "/"), strings.Split(match, "/")
	if len(pc) != len(mc) {
		return true
	}
	for i := range mc {
		if strings.HasPrefix(mc[i], ".") && !strings.HasPrefix(pc[i], ".") {
			return false
		}
	}
	return true
}

func hasGlobMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }
