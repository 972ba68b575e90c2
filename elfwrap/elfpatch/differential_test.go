package elfpatch

import (
	"context"
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// diffOp is one operation expressed for patchelf and for this package.
type diffOp struct {
	name     string
	patchelf []string
	ours     func(*File) error
	libOnly  bool
	execOnly bool
}

// TestDifferentialPatchelf applies the same operation with patchelf and
// with this package to gcc-built programs, a shared library and programs of
// this machine: readelf -d and -l show the same values, both outputs run
// alike, and ours is not larger than patchelf's by more than one page. Ours
// written in place is the same bytes as ours written atomically.
func TestDifferentialPatchelf(t *testing.T) {
	pe := testenv.RequireTool(t, "patchelf")
	fx := buildFixture(t, "-pie", "-fPIE")
	nonpie := buildFixture(t, "-no-pie", "-fno-PIE")
	interp := longInterpreter(t, fx.interp)
	rp := longRunpath(fx.libdir, "/lib/x86_64-linux-gnu")
	ops := []diffOp{
		{name: "interp+runpath", execOnly: true,
			patchelf: []string{"--set-interpreter", interp, "--set-rpath", rp},
			ours: func(f *File) error {
				if err := f.SetInterpreter(interp); err != nil {
					return err
				}
				return f.SetRunpath(rp, elf.DT_RUNPATH)
			}},
		{name: "force-rpath", patchelf: []string{"--force-rpath", "--set-rpath", rp},
			ours: func(f *File) error { return f.SetRunpath(rp, elf.DT_RPATH) }},
		{name: "short-runpath", patchelf: []string{"--set-rpath", fx.libdir},
			ours: func(f *File) error { return f.SetRunpath(fx.libdir, elf.DT_RUNPATH) }},
		{name: "add-needed", patchelf: []string{"--add-needed", "libutil.so.1"},
			ours: func(f *File) error { return f.AddNeeded("libutil.so.1") }},
		{name: "soname", libOnly: true, patchelf: []string{"--set-soname", "libfoo.so"},
			ours: func(f *File) error { return f.SetSoname("libfoo.so") }},
		{name: "long-soname", libOnly: true, patchelf: []string{"--set-soname", "libfoo.so." + strings.Repeat("9", 300)},
			ours: func(f *File) error { return f.SetSoname("libfoo.so." + strings.Repeat("9", 300)) }},
	}
	type input struct {
		name, path string
		args       []string
		lib        bool
		env        []string
	}
	inputs := []input{
		{name: "gcc-pie", path: fx.prog, env: []string{"LD_LIBRARY_PATH=" + fx.libdir}},
		{name: "gcc-nonpie", path: nonpie.prog, env: []string{"LD_LIBRARY_PATH=" + nonpie.libdir}},
		{name: "libfoo", path: filepath.Join(fx.libdir, "libfoo.so"), lib: true},
	}
	for _, c := range [][]string{{"ls", "--version"}, {"bash", "-c", "echo ok"}, {"python3", "-c", "print(1)"}, {"git", "--version"}} {
		if p := filepath.Join("/usr/bin", c[0]); fileExists(p) {
			inputs = append(inputs, input{name: c[0], path: p, args: c[1:]})
		}
	}
	for _, in := range inputs {
		for _, op := range ops {
			if op.libOnly && !in.lib || op.execOnly && in.lib {
				continue
			}
			t.Run(in.name+"/"+op.name, func(t *testing.T) {
				dir := t.TempDir()
				src := filepath.Join(dir, "src", filepath.Base(in.path))
				copyFile(t, in.path, src)
				theirs := filepath.Join(dir, "patchelf", filepath.Base(in.path))
				ours := filepath.Join(dir, "ours", filepath.Base(in.path))
				copyFile(t, src, theirs)
				if r := runCmd(t, pe, append(slices.Clone(op.patchelf), theirs)); r.code != 0 || r.err != nil {
					t.Fatalf("patchelf %v: %+v", op.patchelf, r)
				}
				if err := os.MkdirAll(filepath.Dir(ours), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := PatchFile(context.Background(), src, ours, op.ours); err != nil {
					t.Fatal(err)
				}
				// Ours written in place on another copy: the same bytes.
				inplace := filepath.Join(dir, "inplace", filepath.Base(in.path))
				copyFile(t, src, inplace)
				if err := PatchFileWith(context.Background(), inplace, "", WriteOptions{InPlace: true, NoSync: true}, op.ours); err != nil {
					t.Fatalf("in place: %v", err)
				}
				sameBytes(t, inplace, ours)
				vt, vo := readelf(t, theirs), readelf(t, ours)
				if vt.interp != vo.interp || !slices.Equal(vt.dyn, vo.dyn) {
					t.Fatalf("readelf differs:\npatchelf: %q %q\nours:     %q %q", vt.interp, vt.dyn, vo.interp, vo.dyn)
				}
				checkFileLayout(t, ours)
				st, _ := os.Stat(theirs)
				so, _ := os.Stat(ours)
				page := int64(PageSize(mustOpen(t, ours).Machine()))
				if so.Size() > st.Size()+page {
					t.Errorf("ours is %d bytes, patchelf's %d: more than one page larger", so.Size(), st.Size())
				}
				t.Logf("size: original %d, patchelf %d, ours %d", fileSize(src), st.Size(), so.Size())
				if in.lib {
					// The patched library must still load into the program.
					for _, lib := range []string{theirs, ours} {
						ldir := t.TempDir()
						copyFile(t, lib, filepath.Join(ldir, "libfoo.so"))
						copyFile(t, filepath.Join(fx.libdir, "libplug.so"), filepath.Join(ldir, "libplug.so"))
						if got := runProg(t, fx.prog, nil, "LD_LIBRARY_PATH="+ldir); got != fx.want {
							t.Fatalf("program with %s: %+v", lib, got)
						}
					}
					return
				}
				rt := runProg(t, theirs, in.args, in.env...)
				ro := runProg(t, ours, in.args, in.env...)
				orig := runProg(t, src, in.args, in.env...)
				if ro != rt || ro != orig {
					t.Fatalf("runs differ:\noriginal %+v\npatchelf %+v\nours     %+v", orig, rt, ro)
				}
			})
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return -1
	}
	return st.Size()
}
