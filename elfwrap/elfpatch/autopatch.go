package elfpatch

import (
	"context"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// AutoOptions configure AutoPatch.
type AutoOptions struct {
	// Interpreter is set on every program that has one (PT_INTERP). Its
	// directory is also a candidate library directory (where glibc's own
	// libraries sit next to the loader). Empty leaves interpreters alone.
	Interpreter string
	// LibDirs are extra candidate directories (searched after the tree
	// itself, in order), like the library inputs of autoPatchelfHook.
	LibDirs []string
	// Machine and Class select the architecture to patch; files of another
	// architecture are skipped. Zero means the interpreter's, or else the
	// class and machine of the first dynamic ELF file found.
	Machine elf.Machine
	Class   elf.Class
	// Origin writes directories inside the tree relative to $ORIGIN, so the
	// tree can be moved.
	Origin bool
	// DryRun reports what would change without writing.
	DryRun bool
	// Write options for each patched file. InPlace is not supported (the
	// files are read first and written later) and is refused.
	Write WriteOptions
}

// AutoFile is what AutoPatch did with one ELF file.
type AutoFile struct {
	Path        string   // path of the file
	Skipped     string   // why it was left alone ("" when patched or already right)
	Interpreter string   // interpreter set ("" when unchanged)
	Runpath     string   // RUNPATH set ("" when none is needed)
	Missing     []string // NEEDED libraries no candidate directory provides
	Changed     bool     // the file was (or, with DryRun, would be) rewritten
}

// AutoReport lists every ELF file AutoPatch looked at, sorted by path.
type AutoReport struct {
	Files []AutoFile
}

// Missing returns "file: library" for every unresolved NEEDED entry.
func (r *AutoReport) Missing() []string {
	var out []string
	for _, f := range r.Files {
		for _, m := range f.Missing {
			out = append(out, f.Path+": "+m)
		}
	}
	return out
}

// glibcLibs are the libraries glibc itself installs. Files with these
// names are never patched (the loader and libc are a unit), and NEEDED
// entries for them need no RUNPATH: the loader finds them in its own
// default directory.
var glibcLibs = []string{
	"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
	"libutil.so.1", "libresolv.so.2", "libnsl.so.1", "libanl.so.1",
	"libBrokenLocale.so.1", "libmvec.so.1", "libc_malloc_debug.so.0",
	"libthread_db.so.1", "libmemusage.so", "libpcprofile.so",
	"libnss_files.so.2", "libnss_dns.so.2", "libnss_compat.so.2",
	"libnss_hesiod.so.2", "libnss_db.so.2",
}

func isGlibcName(name string) bool {
	return slices.Contains(glibcLibs, name) || strings.HasPrefix(name, "ld-linux") ||
		strings.HasPrefix(name, "ld64.so") || name == "ld.so.1"
}

// libCandidate is a library file that can satisfy a NEEDED name.
type libCandidate struct {
	dir   string
	class elf.Class
	mach  elf.Machine
}

// AutoPatch does for a tree what nixpkgs' autoPatchelfHook does: for every
// dynamically linked ELF file of the chosen architecture under root it sets
// the interpreter (programs only) and a RUNPATH made of the directories
// that provide its NEEDED libraries — libraries found in the tree itself
// first (by file name and by SONAME), then opt.LibDirs, then the
// interpreter's directory. glibc's own libraries are left alone (not
// patched, and not searched for: the loader finds them itself), static
// programs and files of other architectures are skipped, and what no
// directory provides is reported in AutoFile.Missing. Each file is
// rewritten atomically; a file that fails to patch stops the run with an
// error naming it (files patched before it stay patched).
func AutoPatch(ctx context.Context, root string, opt AutoOptions) (*AutoReport, error) {
	type found struct {
		path string
		f    *File
	}
	if opt.Write.InPlace {
		return nil, fmt.Errorf("%w: AutoPatch does not write in place (WriteOptions.InPlace)", ErrInvalidValue)
	}
	var files []found
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if _, _, ok := elfIdent(p); !ok {
			return nil
		}
		f, err := Open(p)
		if err != nil {
			files = append(files, found{path: p})
			return nil
		}
		files = append(files, found{path: p, f: f})
		return nil
	})
	if err != nil {
		return nil, err
	}
	class, mach := opt.Class, opt.Machine
	if mach == 0 && opt.Interpreter != "" {
		if c, m, ok := elfIdent(opt.Interpreter); ok {
			class, mach = c, m
		}
	}
	if mach == 0 {
		for _, x := range files {
			if x.f != nil && !x.f.IsStatic() {
				class, mach = x.f.Class(), x.f.Machine()
				break
			}
		}
	}
	// The soname cache: name -> directories, in search order.
	index := map[string][]libCandidate{}
	add := func(name, dir string, c elf.Class, m elf.Machine) {
		for _, e := range index[name] {
			if e.dir == dir {
				return
			}
		}
		index[name] = append(index[name], libCandidate{dir, c, m})
	}
	for _, x := range files {
		if x.f == nil || x.f.Type() != elf.ET_DYN {
			continue
		}
		dir := filepath.Dir(x.path)
		add(filepath.Base(x.path), dir, x.f.Class(), x.f.Machine())
		if so, err := x.f.Soname(); err == nil {
			add(so, dir, x.f.Class(), x.f.Machine())
		}
	}
	// Symlinks in the tree (libfoo.so.1 -> libfoo.so.1.2.3) are names too.
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			if c, m, ok := elfIdent(p); ok {
				add(filepath.Base(p), filepath.Dir(p), c, m)
			}
		}
		return nil
	})
	extra := slices.Clone(opt.LibDirs)
	if opt.Interpreter != "" {
		extra = append(extra, filepath.Dir(opt.Interpreter))
		if real, err := filepath.EvalSymlinks(opt.Interpreter); err == nil {
			extra = append(extra, filepath.Dir(real))
		}
	}
	for _, dir := range extra {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			if c, m, ok := elfIdent(p); ok {
				add(e.Name(), dir, c, m)
			}
		}
	}

	rootAbs, _ := filepath.Abs(root)
	rep := &AutoReport{}
	for _, x := range files {
		af := AutoFile{Path: x.path}
		switch {
		case x.f == nil:
			af.Skipped = "not a patchable ELF file"
		case x.f.Class() != class || x.f.Machine() != mach:
			af.Skipped = fmt.Sprintf("other architecture (%v %v)", x.f.Class(), x.f.Machine())
		case x.f.IsStatic():
			af.Skipped = "statically linked"
		case x.f.IsStaticPIE():
			af.Skipped = "static-pie"
		case isGlibcName(filepath.Base(x.path)) || isGlibcSoname(x.f):
			af.Skipped = "part of glibc"
		}
		if af.Skipped != "" {
			rep.Files = append(rep.Files, af)
			continue
		}
		f := x.f
		if opt.Interpreter != "" {
			if cur, err := f.Interpreter(); err == nil && cur != opt.Interpreter {
				if err := f.SetInterpreter(opt.Interpreter); err != nil {
					return rep, fmt.Errorf("%s: %w", x.path, err)
				}
				af.Interpreter = opt.Interpreter
			}
		}
		needed, _ := f.Needed()
		var dirs []string
		for _, n := range needed {
			if strings.Contains(n, "/") || isGlibcName(n) {
				continue // a path, or found by the loader in its own directory
			}
			dir := ""
			for _, c := range index[n] {
				if c.class == class && c.mach == mach {
					dir = c.dir
					break
				}
			}
			if dir == "" {
				af.Missing = append(af.Missing, n)
				continue
			}
			if opt.Origin {
				if abs, err := filepath.Abs(dir); err == nil && (abs == rootAbs || strings.HasPrefix(abs, rootAbs+"/")) {
					fileDir, _ := filepath.Abs(filepath.Dir(x.path))
					if rel, err := filepath.Rel(fileDir, abs); err == nil {
						dir = "$ORIGIN"
						if rel != "." {
							dir += "/" + rel
						}
					}
				}
			} else if abs, err := filepath.Abs(dir); err == nil {
				dir = abs
			}
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
		if len(dirs) > 0 {
			rp := strings.Join(dirs, ":")
			cur, tag, _ := f.Runpath()
			if cur != rp || tag != elf.DT_RUNPATH {
				if err := f.SetRunpath(rp, elf.DT_RUNPATH); err != nil {
					return rep, fmt.Errorf("%s: %w", x.path, err)
				}
				af.Runpath = rp
			}
		}
		af.Changed = f.Edited()
		if af.Changed && !opt.DryRun {
			if err := f.WriteFileWith(x.path, opt.Write); err != nil {
				return rep, fmt.Errorf("%s: %w", x.path, err)
			}
		}
		rep.Files = append(rep.Files, af)
	}
	sort.Slice(rep.Files, func(i, j int) bool { return rep.Files[i].Path < rep.Files[j].Path })
	return rep, nil
}

func isGlibcSoname(f *File) bool {
	so, err := f.Soname()
	return err == nil && isGlibcName(so)
}
