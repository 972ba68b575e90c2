package mesonbuild

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// ResolvedLibrary is one shared library the dynamic loader would load for
// a program.
type ResolvedLibrary struct {
	// Name is the library as the program (or a library it loads) asks
	// for it: a NEEDED entry such as libfoo.so.1.
	Name string
	// Path is the file the loader picked; empty when not found.
	Path string
	// Found is false when the loader could not find the library.
	Found bool
}

// LinkResolver says which shared libraries a program would load, under a
// given environment. LoaderResolver (the system's dynamic loader in trace
// mode) is the implementation here; a static ELF resolver can replace it.
type LinkResolver interface {
	Resolve(ctx context.Context, program string, env []string) ([]ResolvedLibrary, error)
}

// LoaderResolver asks the program's own dynamic loader (its PT_INTERP,
// /lib64/ld-linux-x86-64.so.2 on x86-64) to list what it would load, as
// ldd does, without running the program. Loader overrides the loader.
type LoaderResolver struct {
	Loader string
}

// ErrNotDynamic is returned for a program that has no dynamic loader
// (static, or not an ELF executable).
var ErrNotDynamic = errors.New("not a dynamically linked ELF program")

// Resolve runs `LD_TRACE_LOADED_OBJECTS=1 <loader> <program>` (the
// loader's --list mode, but one that reports a missing library as "not
// found" rather than stopping at it).
func (r LoaderResolver) Resolve(ctx context.Context, program string, env []string) ([]ResolvedLibrary, error) {
	loader := r.Loader
	if loader == "" {
		var err error
		if loader, err = ProgramInterpreter(program); err != nil {
			return nil, err
		}
	}
	cmd := exec.CommandContext(ctx, loader, program)
	cmd.Env = append(withoutEnv(env, "LD_TRACE_LOADED_OBJECTS", "LD_PRELOAD"), "LD_TRACE_LOADED_OBJECTS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("mesonbuild: %s %s: %w: %s", loader, program, err, strings.TrimSpace(stderr.String()))
	}
	return ParseLoaderList(stdout.Bytes())
}

// ProgramInterpreter returns the dynamic loader an ELF program names
// (PT_INTERP), or ErrNotDynamic.
func ProgramInterpreter(program string) (string, error) {
	f, err := elf.Open(program)
	if err != nil {
		return "", fmt.Errorf("mesonbuild: %s: %w: %v", program, ErrNotDynamic, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			buf := make([]byte, p.Filesz)
			if _, err := p.ReadAt(buf, 0); err != nil {
				return "", fmt.Errorf("mesonbuild: %s: reading PT_INTERP: %w", program, err)
			}
			return string(bytes.TrimRight(buf, "\x00")), nil
		}
	}
	return "", fmt.Errorf("mesonbuild: %s: %w (no PT_INTERP)", program, ErrNotDynamic)
}

// ParseLoaderList reads the dynamic loader's trace output (ldd's format):
//
//	linux-vdso.so.1 (0x00007ffd...)
//	libfoo.so.1 => /opt/p/lib/libfoo.so.1 (0x00007f...)
//	libbar.so.2 => not found
//	/lib64/ld-linux-x86-64.so.2 (0x00007f...)
//
// The vDSO and the loader itself (lines without "=>") are left out.
// A line of another form is an error naming the line number.
func ParseLoaderList(out []byte) ([]ResolvedLibrary, error) {
	var libs []ResolvedLibrary
	for n, raw := range strings.Split(string(out), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "statically linked") {
			continue
		}
		name, rest, ok := strings.Cut(line, " => ")
		if !ok {
			// "linux-vdso.so.1 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
			if f := strings.Fields(line); len(f) == 2 && strings.HasPrefix(f[1], "(0x") {
				continue
			}
			return nil, fmt.Errorf("mesonbuild: loader output line %d: unexpected %q", n+1, line)
		}
		name = strings.TrimSpace(name)
		rest = strings.TrimSpace(rest)
		if name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("mesonbuild: loader output line %d: bad library name in %q", n+1, line)
		}
		if rest == "not found" {
			libs = append(libs, ResolvedLibrary{Name: name})
			continue
		}
		path := rest
		if i := strings.LastIndex(rest, " (0x"); i >= 0 && strings.HasSuffix(rest, ")") {
			path = rest[:i]
		}
		if path == "" || !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("mesonbuild: loader output line %d: %q is not a path", n+1, rest)
		}
		libs = append(libs, ResolvedLibrary{Name: name, Path: path, Found: true})
	}
	return libs, nil
}

// LinkReport says how one installed program resolves its libraries when
// run without LD_LIBRARY_PATH.
type LinkReport struct {
	Program   string
	Libraries []ResolvedLibrary
	// Missing are libraries the loader could not find.
	Missing []string
	// Elsewhere are libraries a prefix provides (a file of that name is
	// in one of its library directories) that the loader took from
	// somewhere else: usually an older system copy.
	Elsewhere []string
	// FromPrefix are libraries resolved from a prefix.
	FromPrefix []string
	// Err is set when the program could not be examined.
	Err error
}

// OK reports whether the program finds every library, and every library
// a prefix provides from that prefix.
func (r LinkReport) OK() bool { return r.Err == nil && len(r.Missing) == 0 && len(r.Elsewhere) == 0 }

// CheckLinking resolves each program with r under env (with
// LD_LIBRARY_PATH removed, to see what runs without it) and classifies
// its libraries against the prefixes' layouts.
func CheckLinking(ctx context.Context, r LinkResolver, layouts []PrefixLayout, programs []string, env []string) []LinkReport {
	provided := map[string]bool{}
	var roots []string
	for _, l := range layouts {
		roots = append(roots, filepath.Clean(l.Prefix)+string(filepath.Separator))
		for _, d := range l.LibDirs {
			entries, _ := os.ReadDir(d)
			for _, e := range entries {
				provided[e.Name()] = true
			}
		}
	}
	env = withoutEnv(env, "LD_LIBRARY_PATH")
	var out []LinkReport
	for _, prog := range programs {
		rep := LinkReport{Program: prog}
		libs, err := r.Resolve(ctx, prog, env)
		if err != nil {
			rep.Err = err
			out = append(out, rep)
			continue
		}
		rep.Libraries = libs
		for _, l := range libs {
			switch {
			case !l.Found:
				rep.Missing = append(rep.Missing, l.Name)
			case hasAnyPrefix(l.Path, roots):
				rep.FromPrefix = append(rep.FromPrefix, l.Name)
			case provided[l.Name]:
				rep.Elsewhere = append(rep.Elsewhere, l.Name+" ("+l.Path+")")
			}
		}
		out = append(out, rep)
	}
	return out
}

func hasAnyPrefix(p string, roots []string) bool {
	for _, r := range roots {
		if strings.HasPrefix(p, r) {
			return true
		}
	}
	return false
}

// InstalledPrograms returns the installed files of the results that are
// dynamically linked ELF executables (executable bit set, PT_INTERP
// present), sorted.
func (r *Result) InstalledPrograms() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range r.Projects {
		for _, f := range p.Installed {
			if seen[f] {
				continue
			}
			seen[f] = true
			fi, err := os.Stat(f)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
				continue
			}
			if _, err := ProgramInterpreter(f); err == nil && !isSharedLibName(filepath.Base(f)) {
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out
}

// CheckLinking reports, for every program the chain installed, whether it
// resolves its libraries from the prefixes without LD_LIBRARY_PATH. A nil
// resolver means LoaderResolver{}.
func (r *Result) CheckLinking(ctx context.Context, resolver LinkResolver, env []string) []LinkReport {
	if resolver == nil {
		resolver = LoaderResolver{}
	}
	if env == nil {
		env = os.Environ()
	}
	var layouts []PrefixLayout
	seen := map[string]bool{}
	for _, p := range r.Projects {
		if seen[p.Prefix] {
			continue
		}
		seen[p.Prefix] = true
		if l, err := ScanPrefix(p.Prefix); err == nil {
			layouts = append(layouts, l)
		}
	}
	return CheckLinking(ctx, resolver, layouts, r.InstalledPrograms(), env)
}
