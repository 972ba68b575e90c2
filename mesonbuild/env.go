package mesonbuild

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// PrefixLayout is what an install prefix really holds, found by looking at
// its files rather than assuming lib/pkgconfig: on Debian meson installs
// into lib/x86_64-linux-gnu, elsewhere lib64 or lib.
type PrefixLayout struct {
	// Prefix is the directory scanned.
	Prefix string
	// PkgConfigDirs are the directories under the prefix that hold .pc
	// files, in the order pkgconf searches the system's own (multiarch
	// lib dir first, then lib*, then share).
	PkgConfigDirs []string
	// LibDirs are the directories that hold shared libraries (lib*.so*).
	LibDirs []string
	// BinDirs are bin and sbin when they exist.
	BinDirs []string
	// DataDirs is share when it exists (for XDG_DATA_DIRS).
	DataDirs []string
}

// ScanPrefix looks at an install prefix and reports its real layout. A
// prefix that does not exist yet has an empty layout and no error.
func ScanPrefix(prefix string) (PrefixLayout, error) {
	l := PrefixLayout{Prefix: prefix}
	entries, err := os.ReadDir(prefix)
	if err != nil {
		if os.IsNotExist(err) {
			return l, nil
		}
		return l, fmt.Errorf("mesonbuild: scanning prefix: %w", err)
	}
	var libRoots []string
	for _, e := range entries {
		name := e.Name()
		full := filepath.Join(prefix, name)
		if !isDir(full) {
			continue
		}
		switch {
		case name == "bin" || name == "sbin":
			l.BinDirs = append(l.BinDirs, full)
		case name == "share":
			l.DataDirs = append(l.DataDirs, full)
		case name == "lib" || strings.HasPrefix(name, "lib") && isLibSuffix(name[3:]):
			libRoots = append(libRoots, full)
		}
	}
	sort.Slice(libRoots, func(i, j int) bool { return libRootRank(libRoots[i]) < libRootRank(libRoots[j]) })
	// Candidate library directories: lib/<subdir> (multiarch) before lib.
	var cands []string
	for _, root := range libRoots {
		subs, err := os.ReadDir(root)
		if err != nil {
			return l, fmt.Errorf("mesonbuild: scanning prefix: %w", err)
		}
		for _, s := range subs {
			full := filepath.Join(root, s.Name())
			if s.Name() != "pkgconfig" && isDir(full) && looksMultiarch(s.Name()) {
				cands = append(cands, full)
			}
		}
		cands = append(cands, root)
	}
	for _, d := range cands {
		if hasFile(d, isSharedLibName) {
			l.LibDirs = append(l.LibDirs, d)
		}
		if pc := filepath.Join(d, "pkgconfig"); hasFile(pc, isPCName) {
			l.PkgConfigDirs = append(l.PkgConfigDirs, pc)
		}
	}
	if pc := filepath.Join(prefix, "share", "pkgconfig"); hasFile(pc, isPCName) {
		l.PkgConfigDirs = append(l.PkgConfigDirs, pc)
	}
	return l, nil
}

func isLibSuffix(s string) bool { return s == "64" || s == "32" || s == "x32" }

func libRootRank(p string) int {
	switch filepath.Base(p) {
	case "lib":
		return 0
	case "lib64":
		return 1
	default:
		return 2
	}
}

// looksMultiarch accepts Debian multiarch tuples such as x86_64-linux-gnu,
// aarch64-linux-gnu, arm-linux-gnueabihf.
func looksMultiarch(name string) bool {
	return strings.Count(name, "-") >= 2 && strings.Contains(name, "linux")
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func hasFile(dir string, match func(string) bool) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && match(e.Name()) {
			return true
		}
	}
	return false
}

func isPCName(n string) bool { return strings.HasSuffix(n, ".pc") && len(n) > 3 }

func isSharedLibName(n string) bool {
	return strings.HasPrefix(n, "lib") && (strings.HasSuffix(n, ".so") || strings.Contains(n, ".so."))
}

// RunEnv is the environment that makes installed prefixes usable: the
// directories to put in front of PATH, LD_LIBRARY_PATH, XDG_DATA_DIRS and
// PKG_CONFIG_PATH (or, when PkgConfigLibDir is set, to replace
// pkg-config's default path with).
type RunEnv struct {
	Path            []string `json:"path,omitempty"`
	LibraryPath     []string `json:"ld_library_path,omitempty"`
	XDGDataDirs     []string `json:"xdg_data_dirs,omitempty"`
	PkgConfigPath   []string `json:"pkg_config_path,omitempty"`
	PkgConfigLibDir []string `json:"pkg_config_libdir,omitempty"`
}

// EnvFor computes the environment for a list of prefix layouts, the first
// one winning where they overlap.
func EnvFor(layouts []PrefixLayout, replacePkgConfigPath bool) RunEnv {
	var e RunEnv
	for _, l := range layouts {
		e.Path = appendNew(e.Path, l.BinDirs...)
		e.LibraryPath = appendNew(e.LibraryPath, l.LibDirs...)
		e.XDGDataDirs = appendNew(e.XDGDataDirs, l.DataDirs...)
		if replacePkgConfigPath {
			e.PkgConfigLibDir = appendNew(e.PkgConfigLibDir, l.PkgConfigDirs...)
		} else {
			e.PkgConfigPath = appendNew(e.PkgConfigPath, l.PkgConfigDirs...)
		}
	}
	return e
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// defaultXDGDataDirs is the XDG base directory specification's value for
// an unset XDG_DATA_DIRS, kept when prepending so the system's data stays
// visible.
const defaultXDGDataDirs = "/usr/local/share:/usr/share"

// defaultPath is kept behind the prefixes' bin directories when base has
// no PATH: with PATH set to those alone, the system's own programs (sh,
// cc, pkg-config) would no longer be found.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// Vars returns the variables as NAME=value, each prefix directory put in
// front of the value base already has (base is os.Environ() form).
// PKG_CONFIG_LIBDIR, when set, replaces rather than prepends. When base
// has no PATH (or XDG_DATA_DIRS), the prefixes' directories go in front of
// the usual default, /usr/local/bin:/usr/bin:/bin (/usr/local/share:/usr/share).
func (e RunEnv) Vars(base []string) []string {
	var out []string
	add := func(name string, dirs []string, def string) {
		if len(dirs) == 0 {
			return
		}
		old, ok := lookupEnv(base, name)
		if !ok || old == "" {
			old = def
		}
		v := strings.Join(dirs, ":")
		if old != "" {
			v += ":" + old
		}
		out = append(out, name+"="+v)
	}
	add("PATH", e.Path, defaultPath)
	add("LD_LIBRARY_PATH", e.LibraryPath, "")
	add("XDG_DATA_DIRS", e.XDGDataDirs, defaultXDGDataDirs)
	add("PKG_CONFIG_PATH", e.PkgConfigPath, "")
	if len(e.PkgConfigLibDir) > 0 {
		out = append(out, "PKG_CONFIG_LIBDIR="+strings.Join(e.PkgConfigLibDir, ":"))
	}
	return out
}

// Apply returns base with the variables of Vars set.
func (e RunEnv) Apply(base []string) []string {
	out := slices.Clone(base)
	for _, kv := range e.Vars(base) {
		k, v, _ := strings.Cut(kv, "=")
		out = setEnv(out, k, v)
	}
	return out
}

// Script returns a POSIX shell script that, when sourced, sets the
// variables (each prefix directory in front of the value the shell
// already has). Every path is quoted for the shell.
func (e RunEnv) Script() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Written by hostkit mesonbuild. Source it: . ./env.sh\n")
	add := func(name string, dirs []string, def string) error {
		if len(dirs) == 0 {
			return nil
		}
		q, err := syntax.Quote(strings.Join(dirs, ":"), syntax.LangPOSIX)
		if err != nil {
			return fmt.Errorf("mesonbuild: env script: %s: %w", name, err)
		}
		if def != "" {
			fmt.Fprintf(&b, "%s=%s:${%s:-%s}\nexport %s\n", name, q, name, def, name)
		} else {
			fmt.Fprintf(&b, "%s=%s${%s:+:$%s}\nexport %s\n", name, q, name, name, name)
		}
		return nil
	}
	for _, v := range []struct {
		name string
		dirs []string
		def  string
	}{
		{"PATH", e.Path, ""},
		{"LD_LIBRARY_PATH", e.LibraryPath, ""},
		{"XDG_DATA_DIRS", e.XDGDataDirs, defaultXDGDataDirs},
		{"PKG_CONFIG_PATH", e.PkgConfigPath, ""},
	} {
		if err := add(v.name, v.dirs, v.def); err != nil {
			return nil, err
		}
	}
	if len(e.PkgConfigLibDir) > 0 {
		q, err := syntax.Quote(strings.Join(e.PkgConfigLibDir, ":"), syntax.LangPOSIX)
		if err != nil {
			return nil, fmt.Errorf("mesonbuild: env script: PKG_CONFIG_LIBDIR: %w", err)
		}
		fmt.Fprintf(&b, "PKG_CONFIG_LIBDIR=%s\nexport PKG_CONFIG_LIBDIR\n", q)
	}
	return b.Bytes(), nil
}

func lookupEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

func setEnv(env []string, name, value string) []string {
	out := withoutEnv(env, name)
	return append(out, name+"="+value)
}

func withoutEnv(env []string, names ...string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, k) {
			out = append(out, kv)
		}
	}
	return out
}

// shellJoin quotes each argument for a POSIX shell (as meson's shlex reads
// LDFLAGS, and as a person would paste a logged command).
func shellJoin(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		q, err := syntax.Quote(a, syntax.LangPOSIX)
		if err != nil {
			q = strconv.Quote(a)
		}
		parts[i] = q
	}
	return strings.Join(parts, " ")
}
