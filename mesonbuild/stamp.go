package mesonbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Stamp records what a project was last built from. A project whose new
// stamp has the same ID as the recorded one, and whose installed files
// are all still there, is up to date and skipped.
type Stamp struct {
	// ID digests everything below except Installed.
	ID string `json:"id"`
	// Revision is the git commit of the source tree, when it is a
	// checkout ("" otherwise). Source covers uncommitted changes too.
	Revision string `json:"revision,omitempty"`
	// Source digests the source tree: every file's path, size, mode and
	// modification time (build directories and .git excluded).
	Source string `json:"source"`
	// Setup is the setup fingerprint (options, machine files, prefix...).
	Setup string `json:"setup"`
	// Test records whether the tests ran.
	Test bool `json:"test,omitempty"`
	// Deps are the stamp IDs of the projects this one depends on.
	Deps map[string]string `json:"deps,omitempty"`
	// PkgConfig digests the .pc files the dependencies installed; when it
	// changes meson's dependency cache is cleared.
	PkgConfig string `json:"pkgconfig,omitempty"`
	// Installed are the files the last install put in place.
	Installed []string `json:"installed,omitempty"`
}

func (s *Stamp) computeID() {
	h := sha256.New()
	fmt.Fprintf(h, "rev\x00%s\x00src\x00%s\x00setup\x00%s\x00test\x00%t\x00", s.Revision, s.Source, s.Setup, s.Test)
	keys := make([]string, 0, len(s.Deps))
	for k := range s.Deps {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "dep\x00%s\x00%s\x00", k, s.Deps[k])
	}
	s.ID = hex.EncodeToString(h.Sum(nil))
}

func stampPath(buildDir string) string {
	return filepath.Join(buildDir, StateDirName, "stamp.json")
}

func readStamp(buildDir string) *Stamp {
	data, err := os.ReadFile(stampPath(buildDir))
	if err != nil {
		return nil
	}
	var s Stamp
	if json.Unmarshal(data, &s) != nil || s.ID == "" {
		return nil
	}
	return &s
}

// installedPresent reports whether every installed file still exists.
func (s *Stamp) installedPresent() bool {
	for _, f := range s.Installed {
		if _, err := os.Lstat(f); err != nil {
			return false
		}
	}
	return true
}

// SourceDigest digests a source tree: each regular file's relative path,
// size, mode and modification time, and each symbolic link's target. It
// skips .git and every meson build directory inside the tree (a directory
// holding meson-private), plus the directories and files in skip (the
// chain passes the files it writes itself: a merged compile_commands.json,
// .clangd files, the env script, prefixes).
func SourceDigest(dir string, skip ...string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && (d.Name() == ".git" || slices.Contains(skip, p)) {
				return filepath.SkipDir
			}
			if _, err := os.Lstat(filepath.Join(p, "meson-private")); err == nil && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if slices.Contains(skip, p) {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			t, _ := os.Readlink(p)
			fmt.Fprintf(h, "l\x00%s\x00%s\x00", rel, t)
			return nil
		}
		fmt.Fprintf(h, "f\x00%s\x00%d\x00%o\x00%d\x00", rel, info.Size(), info.Mode(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("mesonbuild: digesting sources: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// GitRevision returns the commit HEAD points at in a git checkout at dir,
// read from .git without running git, or "" when dir is not a checkout
// (or HEAD cannot be resolved).
func GitRevision(dir string) string {
	gitDir := filepath.Join(dir, ".git")
	if data, err := os.ReadFile(gitDir); err == nil {
		// A worktree or submodule: "gitdir: <path>".
		rest, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
		if !ok {
			return ""
		}
		if !filepath.IsAbs(rest) {
			rest = filepath.Join(dir, rest)
		}
		gitDir = rest
	}
	head, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	ref, ok := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: ")
	if !ok {
		return validSHA(strings.TrimSpace(string(head)))
	}
	if !strings.HasPrefix(ref, "refs/") || strings.Contains(ref, "..") {
		return ""
	}
	if data, err := os.ReadFile(filepath.Join(gitDir, filepath.FromSlash(ref))); err == nil {
		return validSHA(strings.TrimSpace(string(data)))
	}
	// A packed ref: look in packed-refs (also in the common dir of a worktree).
	for _, d := range []string{gitDir, commonDir(gitDir)} {
		data, err := os.ReadFile(filepath.Join(d, "packed-refs"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if sha, name, ok := strings.Cut(line, " "); ok && name == ref {
				return validSHA(sha)
			}
		}
	}
	return ""
}

func commonDir(gitDir string) string {
	data, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	if err != nil {
		return gitDir
	}
	c := strings.TrimSpace(string(data))
	if !filepath.IsAbs(c) {
		c = filepath.Join(gitDir, c)
	}
	return c
}

func validSHA(s string) string {
	if len(s) != 40 && len(s) != 64 {
		return ""
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	return s
}

// digestFiles digests the content of the files that end in suffix.
func digestFiles(files []string, suffix string) string {
	h := sha256.New()
	sorted := slices.Clone(files)
	slices.Sort(sorted)
	n := 0
	for _, f := range sorted {
		if !strings.HasSuffix(f, suffix) {
			continue
		}
		fh, err := os.Open(f)
		if err != nil {
			fmt.Fprintf(h, "missing\x00%s\x00", f)
			continue
		}
		fmt.Fprintf(h, "file\x00%s\x00", f)
		io.Copy(h, fh)
		fh.Close()
		n++
	}
	if n == 0 {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}
