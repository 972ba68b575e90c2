package elfpatch

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

const libFooSrc = `
#include <stdio.h>
__thread int calls; /* gives the library a PT_TLS segment */
int foo(int x) { calls++; printf("foo(%d) from libfoo, call %d\n", x, calls); return x * 3; }
`

const libPlugSrc = `
#include <stdio.h>
const char *plug(void) { return "plugin loaded by dlopen"; }
`

const progSrc = `
#include <stdio.h>
#include <dlfcn.h>
int foo(int);
int main(int argc, char **argv) {
	printf("prog: %d\n", foo(14));
	void *h = dlopen("libplug.so", RTLD_NOW);
	if (!h) { printf("dlopen failed: %s\n", dlerror()); return 3; }
	const char *(*p)(void) = (const char *(*)(void))dlsym(h, "plug");
	printf("%s\n", p());
	return 0;
}
`

// fixture is a program built with gcc against a shared library and a
// dlopen plugin that live off the default search path.
type fixture struct {
	dir, libdir, prog, interp string
	want                      runResult
}

// buildFixture builds the program with the given gcc flags; the reference
// output comes from running it unpatched with LD_LIBRARY_PATH.
func buildFixture(t *testing.T, flags ...string) fixture {
	t.Helper()
	fx := fixture{dir: t.TempDir()}
	fx.libdir = filepath.Join(fx.dir, "lib")
	if err := os.MkdirAll(fx.libdir, 0o755); err != nil {
		t.Fatal(err)
	}
	var libFlags []string
	if slices.Contains(flags, "-m32") {
		libFlags = []string{"-m32"}
	}
	gcc(t, filepath.Join(fx.libdir, "libfoo.so"), libFooSrc, append([]string{"-shared", "-fPIC", "-Wl,-soname,libfoo.so"}, libFlags...)...)
	gcc(t, filepath.Join(fx.libdir, "libplug.so"), libPlugSrc, append([]string{"-shared", "-fPIC"}, libFlags...)...)
	fx.prog = filepath.Join(fx.dir, "prog")
	gcc(t, fx.prog, progSrc, append([]string{"-L" + fx.libdir, "-lfoo", "-ldl"}, flags...)...)
	f := mustOpen(t, fx.prog)
	var err error
	if fx.interp, err = f.Interpreter(); err != nil {
		t.Fatal(err)
	}
	fx.want = runProg(t, fx.prog, nil, "LD_LIBRARY_PATH="+fx.libdir)
	if fx.want.err != nil || fx.want.code != 0 || !strings.Contains(fx.want.out, "plugin loaded") {
		t.Fatalf("unpatched program does not run: %+v", fx.want)
	}
	// Without a search path it must fail, or the test proves nothing.
	if r := runProg(t, fx.prog, nil); r.code == 0 {
		t.Fatalf("unpatched program runs without LD_LIBRARY_PATH; the test would prove nothing")
	}
	return fx
}

// variants are the program kinds built with gcc.
func gccVariants(t *testing.T) map[string][]string {
	v := map[string][]string{
		"pie":    {"-pie", "-fPIE"},
		"nonpie": {"-no-pie", "-fno-PIE"},
	}
	if _, err := os.Stat("/usr/lib32/crt1.o"); err == nil {
		v["pie32"] = []string{"-m32", "-pie", "-fPIE"}
		v["nonpie32"] = []string{"-m32", "-no-pie", "-fno-PIE"}
	} else if testenv.IntegrationRequired() {
		t.Errorf("32-bit gcc support missing (/usr/lib32/crt1.o): apt-get install gcc-multilib")
	}
	return v
}

// TestGCCProgramsLongInterpreterAndRunpath patches PIE and non-PIE
// programs (64 and 32 bit) with a long interpreter path and a long RUNPATH
// (or RPATH) and runs them: the library and the dlopen plugin must load
// from the RUNPATH and the output must equal the unpatched run.
func TestGCCProgramsLongInterpreterAndRunpath(t *testing.T) {
	for name, flags := range gccVariants(t) {
		for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
			t.Run(fmt.Sprintf("%s/%v", name, tag), func(t *testing.T) {
				t.Parallel()
				fx := buildFixture(t, flags...)
				interp := longInterpreter(t, fx.interp)
				rp := longRunpath(fx.libdir)
				out := filepath.Join(fx.dir, "patched")
				err := PatchFile(context.Background(), fx.prog, out, func(f *File) error {
					if err := f.SetInterpreter(interp); err != nil {
						return err
					}
					return f.SetRunpath(rp, tag)
				})
				if err != nil {
					t.Fatal(err)
				}
				checkFileLayout(t, out)
				ldsoList(t, fx.interp, out)
				v := readelf(t, out)
				if v.interp != interp || !slices.Contains(v.dyn, strings.TrimPrefix(tag.String(), "DT_")+" "+rp) {
					t.Fatalf("readelf sees interp %q dyn %q", v.interp, v.dyn)
				}
				got := runProg(t, out, nil)
				if got != fx.want {
					t.Fatalf("patched run %+v, unpatched %+v", got, fx.want)
				}
				st, _ := os.Stat(out)
				orig, _ := os.Stat(fx.prog)
				if st.Mode() != orig.Mode() {
					t.Errorf("mode %v, want %v", st.Mode(), orig.Mode())
				}
				// The same patch written in place: the same bytes, runs.
				ip := filepath.Join(fx.dir, "inplace")
				copyFile(t, fx.prog, ip)
				err = PatchFileWith(context.Background(), ip, "", WriteOptions{InPlace: true}, func(f *File) error {
					if err := f.SetInterpreter(interp); err != nil {
						return err
					}
					return f.SetRunpath(rp, tag)
				})
				if err != nil {
					t.Fatalf("in place: %v", err)
				}
				sameBytes(t, ip, out)
				if got := runProg(t, ip, nil); got != fx.want {
					t.Fatalf("patched in place: run %+v, unpatched %+v", got, fx.want)
				}
			})
		}
	}
}

// TestGCCNeededAndSoname: replace, add and remove NEEDED entries, set the
// SONAME and RUNPATH of the shared library itself; the program keeps
// running and loads exactly what the entries say.
func TestGCCNeededAndSoname(t *testing.T) {
	for name, flags := range gccVariants(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fx := buildFixture(t, flags...)
			ctx := context.Background()
			// The library gets a long SONAME and a RUNPATH pointing at the
			// plugin's directory; it is renamed and the program's NEEDED follows.
			newName := "libfoo-renamed-" + strings.Repeat("x", 80) + ".so.7"
			lib := filepath.Join(fx.libdir, "libfoo.so")
			if err := PatchFile(ctx, lib, filepath.Join(fx.libdir, newName), func(f *File) error {
				if err := f.SetSoname(newName); err != nil {
					return err
				}
				return f.SetRunpath(longRunpath(fx.libdir), elf.DT_RUNPATH)
			}); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(lib); err != nil {
				t.Fatal(err)
			}
			// The dlopen plugin gets a long SONAME and RUNPATH in place.
			plug := filepath.Join(fx.libdir, "libplug.so")
			if err := PatchFile(ctx, plug, "", func(f *File) error {
				if err := f.SetSoname("libplug-" + strings.Repeat("p", 200) + ".so"); err != nil {
					return err
				}
				return f.SetRunpath(longRunpath(fx.libdir), elf.DT_RUNPATH)
			}); err != nil {
				t.Fatal(err)
			}
			checkFileLayout(t, plug)
			ldsoList(t, fx.interp, plug)
			if so, err := mustOpen(t, filepath.Join(fx.libdir, newName)).Soname(); err != nil || so != newName {
				t.Fatalf("soname %q %v", so, err)
			}
			checkFileLayout(t, filepath.Join(fx.libdir, newName))
			// The loader maps the patched library as a main object (this is
			// where a misplaced program header table shows).
			ldsoList(t, fx.interp, filepath.Join(fx.libdir, newName))
			out := filepath.Join(fx.dir, "patched")
			if err := PatchFile(ctx, fx.prog, out, func(f *File) error {
				if err := f.ReplaceNeeded("libfoo.so", newName); err != nil {
					return err
				}
				if err := f.AddNeeded("libm.so.6", "libplug.so"); err != nil {
					return err
				}
				return f.SetRunpath(fx.libdir, elf.DT_RUNPATH)
			}); err != nil {
				t.Fatal(err)
			}
			checkFileLayout(t, out)
			if got := runProg(t, out, nil); got != fx.want {
				t.Fatalf("patched run %+v (start error: %v), want %+v", got, got.err, fx.want)
			}
			trace := runProg(t, out, nil, "LD_TRACE_LOADED_OBJECTS=1")
			for _, lib := range []string{newName, "libm.so.6", "libplug.so"} {
				if !strings.Contains(trace.out, lib) {
					t.Errorf("loader does not load %s:\n%s", lib, trace.out)
				}
			}
			// Removing the added entries brings back the previous list.
			if err := PatchFile(ctx, out, "", func(f *File) error {
				return f.RemoveNeeded("libm.so.6", "libplug.so")
			}); err != nil {
				t.Fatal(err)
			}
			f := mustOpen(t, out)
			needed, _ := f.Needed()
			if slices.Contains(needed, "libm.so.6") || !slices.Contains(needed, newName) {
				t.Fatalf("needed after removal: %q", needed)
			}
			if got := runProg(t, out, nil); got != fx.want {
				t.Fatalf("after removal: %+v (start error: %v)", got, got.err)
			}
		})
	}
}

// ldsoList runs the loader on a file as `ld.so --list` does.
func ldsoList(t *testing.T, loader, file string, env ...string) {
	t.Helper()
	if r := runCmd(t, loader, []string{"--list", file}, env...); r.code != 0 || r.err != nil {
		t.Fatalf("%s --list %s: %+v", loader, file, r)
	}
}

// TestStaticRefused: static programs have nothing to patch, static-pie
// programs have a dynamic section but no interpreter; operations that do
// not apply fail clearly and leave no output file.
func TestStaticRefused(t *testing.T) {
	dir := t.TempDir()
	static := filepath.Join(dir, "static")
	spie := filepath.Join(dir, "static-pie")
	src := "#include <stdio.h>\nint main(void){puts(\"static\");return 0;}\n"
	gcc(t, static, src, "-static")
	gcc(t, spie, src, "-static-pie")
	cases := []struct {
		file string
		op   func(*File) error
		want error
	}{
		{static, func(f *File) error { return f.SetRunpath("/x", elf.DT_RUNPATH) }, ErrStatic},
		{static, func(f *File) error { return f.AddNeeded("libm.so.6") }, ErrStatic},
		{static, func(f *File) error { return f.SetInterpreter("/lib/ld.so") }, ErrNoInterpreter},
		{spie, func(f *File) error { return f.SetRunpath("/x", elf.DT_RUNPATH) }, ErrStaticPIE},
		{spie, func(f *File) error { return f.AddNeeded("libm.so.6") }, ErrStaticPIE},
		{spie, func(f *File) error { return f.SetInterpreter("/lib/ld.so") }, ErrStaticPIE},
		{spie, func(f *File) error { return f.SetSoname("libx.so") }, ErrStaticPIE},
	}
	for i, c := range cases {
		out := filepath.Join(dir, fmt.Sprintf("out%d", i))
		err := PatchFile(context.Background(), c.file, out, c.op)
		if !errors.Is(err, c.want) {
			t.Errorf("case %d (%s): got %v, want %v", i, filepath.Base(c.file), err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), c.file) {
			t.Errorf("case %d: error %q does not name the file", i, err)
		}
		if _, serr := os.Stat(out); !os.IsNotExist(serr) {
			t.Errorf("case %d: output file exists after failure", i)
		}
	}
	if !mustOpen(t, spie).IsStaticPIE() || mustOpen(t, static).IsStaticPIE() {
		t.Error("IsStaticPIE misclassifies")
	}
	if r := runProg(t, spie, nil); r.out != "static\n" {
		t.Errorf("static-pie changed? %+v", r)
	}
}

// usrBinSample are programs of this machine that print something
// deterministic and exit; those present are patched and run.
var usrBinSample = [][]string{
	{"ls", "--version"}, {"cat", "--version"}, {"grep", "--version"}, {"sed", "--version"},
	{"tar", "--version"}, {"gzip", "--version"}, {"find", "--version"}, {"diff", "--version"},
	{"readelf", "--version"}, {"objdump", "--version"}, {"python3", "-c", "import ssl,json;print(json.dumps([1,2]))"},
	{"git", "--version"}, {"perl", "-e", "print 42"}, {"bash", "-c", "echo $((6*7))"},
	{"xz", "--version"}, {"openssl", "version"}, {"sort", "--version"}, {"env", "--version"},
	{"stat", "--version"}, {"patchelf", "--version"}, {"ninja", "--version"}, {"pkgconf", "--version"},
	{"date", "-u", "-d", "@0"}, {"nginx", "-v"}, {"curl", "--version"}, {"gpgv", "--version"},
}

// TestUsrBinSample copies real programs of this machine, gives them a long
// interpreter path and a long RUNPATH ending in the real library
// directories, and checks that they print exactly what the originals do.
func TestUsrBinSample(t *testing.T) {
	dir := t.TempDir()
	n := 0
	for _, c := range usrBinSample {
		src := filepath.Join("/usr/bin", c[0])
		f, err := Open(src)
		if err != nil || f.interpIdx < 0 {
			continue
		}
		n++
		t.Run(c[0], func(t *testing.T) {
			orig := filepath.Join(dir, "orig", c[0])
			patched := filepath.Join(dir, "patched", c[0])
			copyFile(t, src, orig)
			if err := os.MkdirAll(filepath.Dir(patched), 0o755); err != nil {
				t.Fatal(err)
			}
			interp := longInterpreter(t, f.interp)
			rp := longRunpath("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu")
			if err := PatchFile(context.Background(), orig, patched, func(f *File) error {
				if err := f.SetInterpreter(interp); err != nil {
					return err
				}
				return f.SetRunpath(rp, elf.DT_RUNPATH)
			}); err != nil {
				t.Fatal(err)
			}
			checkFileLayout(t, patched)
			want := runProg(t, orig, c[1:])
			got := runProg(t, patched, c[1:])
			if got != want || want.err != nil {
				t.Fatalf("patched: %+v\noriginal: %+v", got, want)
			}
			// In place, on another copy: the same bytes, the same run.
			ip := filepath.Join(dir, "inplace", c[0])
			copyFile(t, src, ip)
			if err := PatchFileWith(context.Background(), ip, "", WriteOptions{InPlace: true, NoSync: true}, func(f *File) error {
				if err := f.SetInterpreter(interp); err != nil {
					return err
				}
				return f.SetRunpath(rp, elf.DT_RUNPATH)
			}); err != nil {
				t.Fatalf("in place: %v", err)
			}
			sameBytes(t, ip, patched)
			if got := runProg(t, ip, c[1:]); got != want {
				t.Fatalf("patched in place: %+v\noriginal: %+v", got, want)
			}
		})
	}
	if n < 10 {
		t.Errorf("only %d sample programs found in /usr/bin", n)
	}
}

// TestArm64UnderQemu patches the arm64 Debian hello and runs it with
// qemu-aarch64-static -L root: the new segment must be 64 KiB aligned.
func TestArm64UnderQemu(t *testing.T) {
	qemu := testenv.RequireTool(t, "qemu-aarch64-static")
	src := testenv.ForeignRoot(t)
	root := t.TempDir()
	cp := testenv.RequireTool(t, "cp")
	if r := runCmd(t, cp, []string{"-a", src + "/.", root}); r.code != 0 || r.err != nil {
		t.Fatalf("copy root: %+v", r)
	}
	hello := filepath.Join(root, "usr/bin/hello")
	want := runCmd(t, qemu, []string{"-L", root, hello})
	if want.code != 0 || !strings.Contains(want.out, "Hello") {
		t.Fatalf("unpatched hello under qemu: %+v", want)
	}
	f := mustOpen(t, hello)
	interp, _ := f.Interpreter()
	// A long interpreter path inside the root: a relative symlink so that
	// qemu's -L lookup stays inside the root.
	deep := longDir(t, root, len(root)+200)
	rel, err := filepath.Rel(deep, filepath.Join(root, interp))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(rel, filepath.Join(deep, "ld-linux-aarch64.so.1")); err != nil {
		t.Fatal(err)
	}
	newInterp := strings.TrimPrefix(filepath.Join(deep, "ld-linux-aarch64.so.1"), root)
	for round := 0; round < 3; round++ {
		rp := longRunpath("/lib/aarch64-linux-gnu") + fmt.Sprintf(":/round%d", round)
		// Round 1 writes in place (rebuilding the segment of round 0).
		wo := WriteOptions{InPlace: round == 1}
		if err := PatchFileWith(context.Background(), hello, "", wo, func(f *File) error {
			if err := f.SetInterpreter(newInterp); err != nil {
				return err
			}
			return f.SetRunpath(rp, elf.DT_RUNPATH)
		}); err != nil {
			t.Fatal(err)
		}
		ef := checkFileLayout(t, hello)
		last := ef.Progs[0]
		for _, p := range ef.Progs {
			if p.Type == elf.PT_LOAD {
				last = p
			}
		}
		if last.Align < 64<<10 || (last.Vaddr-last.Off)%(64<<10) != 0 {
			t.Fatalf("new PT_LOAD not 64 KiB aligned: %+v", last.ProgHeader)
		}
		got := runCmd(t, qemu, []string{"-L", root, hello})
		if got != want {
			t.Fatalf("round %d: patched %+v, unpatched %+v", round, got, want)
		}
	}
	if v := readelf(t, hello); v.interp != newInterp {
		t.Fatalf("readelf interpreter %q", v.interp)
	}
}

// TestRepeatedPatching patches the same program 100 times with values of
// changing length, alternately replacing it and writing in place; it keeps
// running and the file stops growing once the values repeat.
func TestRepeatedPatching(t *testing.T) {
	fx := buildFixture(t, "-pie", "-fPIE")
	interp := longInterpreter(t, fx.interp)
	iters := 100
	if testing.Short() {
		iters = 20
	}
	var sizes []int64
	for i := 0; i < iters; i++ {
		rp := longRunpath(fx.libdir) + ":/x" + strings.Repeat("y", (i%4)*150)
		in := interp
		if i%3 == 0 {
			in = fx.interp
		}
		// Every other run writes in place: both writers rebuild what the
		// other left.
		wo := WriteOptions{InPlace: i%2 == 1, NoSync: true}
		if err := PatchFileWith(context.Background(), fx.prog, "", wo, func(f *File) error {
			if err := f.SetInterpreter(in); err != nil {
				return err
			}
			return f.SetRunpath(rp, elf.DT_RUNPATH)
		}); err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		st, _ := os.Stat(fx.prog)
		sizes = append(sizes, st.Size())
		if i%10 == 9 || i == iters-1 {
			checkFileLayout(t, fx.prog)
			if got := runProg(t, fx.prog, nil); got != fx.want {
				t.Fatalf("iteration %d: %+v", i, got)
			}
		}
	}
	// The values cycle with period 12; after the first cycle sizes repeat.
	for i := 24; i < len(sizes); i++ {
		if sizes[i] > sizes[i-12] {
			t.Fatalf("file still grows at iteration %d: %d > %d (sizes %v)", i, sizes[i], sizes[i-12], sizes)
		}
	}
}

// TestShorterValueKeepsSharedStrings: a shorter RUNPATH or SONAME is
// written over the old string only when nothing else uses its bytes. The
// linker shares strings: here a symbol's name is the tail of the RUNPATH
// and the library's SONAME is also the name of a function it exports. The
// patched program and library must still link those symbols (overwriting
// would rename them), in both write modes.
func TestShorterValueKeepsSharedStrings(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib")
	if err := os.Mkdir(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	gcc(t, filepath.Join(lib, "libshr"), "int xyzfunc(void) { return 40; }\nint libshr(void) { return 2; }\n", "-shared", "-fPIC", "-Wl,-soname,libshr")
	prog := filepath.Join(dir, "prog")
	gcc(t, prog, "#include <stdio.h>\nint xyzfunc(void); int libshr(void);\nint main(void) { printf(\"%d\\n\", xyzfunc() + libshr()); return 0; }\n",
		"-L"+lib, "-l:libshr", "-Wl,--enable-new-dtags", "-Wl,-rpath,"+lib+":/nonexistent/xyzfunc")
	// The premise: the strings are shared in the files gcc wrote.
	shared := func(path, name, str string) {
		t.Helper()
		ef, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer ef.Close()
		f := mustOpen(t, path)
		var off uint64 = ^uint64(0)
		for _, d := range f.dyn {
			if stringTag(d.tag) && d.str == str {
				off = d.val
			}
		}
		syms, err := ef.DynamicSymbols()
		if err != nil {
			t.Fatal(err)
		}
		ds := ef.Section(".dynsym")
		raw, _ := ds.Data()
		for i, s := range syms {
			if s.Name == name {
				// Symbol i+1 (DynamicSymbols skips the null symbol).
				nameOff := uint64(ef.ByteOrder.Uint32(raw[(i+1)*24:]))
				if nameOff < off || nameOff > off+uint64(len(str)) {
					t.Fatalf("%s: symbol %s (name at %#x) does not share the string %q at %#x; the test would prove nothing", path, name, nameOff, str, off)
				}
				return
			}
		}
		t.Fatalf("%s: no symbol %s", path, name)
	}
	shared(prog, "xyzfunc", lib+":/nonexistent/xyzfunc")
	shared(filepath.Join(lib, "libshr"), "libshr", "libshr")
	if r := runProg(t, prog, nil); r.out != "42\n" || r.code != 0 {
		t.Fatalf("unpatched program: %+v", r)
	}
	for _, inPlace := range []bool{false, true} {
		wo := WriteOptions{InPlace: inPlace, NoSync: true}
		p := filepath.Join(dir, fmt.Sprintf("prog-%v", inPlace))
		l := filepath.Join(dir, fmt.Sprintf("lib-%v", inPlace), "libshr")
		copyFile(t, prog, p)
		copyFile(t, filepath.Join(lib, "libshr"), l)
		if err := PatchFileWith(context.Background(), p, "", wo, func(f *File) error {
			return f.SetRunpath(filepath.Dir(l), elf.DT_RUNPATH)
		}); err != nil {
			t.Fatal(err)
		}
		if err := PatchFileWith(context.Background(), l, "", wo, func(f *File) error { return f.SetSoname("barshr") }); err != nil {
			t.Fatal(err)
		}
		if r := runProg(t, p, nil); r.out != "42\n" || r.code != 0 {
			t.Fatalf("in place %v: patched program against the patched library: %+v", inPlace, r)
		}
		if v := readelf(t, l); !slices.Contains(v.dyn, "SONAME barshr") {
			t.Fatalf("in place %v: library reads %v, want SONAME barshr", inPlace, v.dyn)
		}
	}
}

// TestNoSectionHeaders: a library whose section headers were stripped (as
// sstrip does; the loader never reads them) and whose program header
// table is followed directly by .gnu.hash. Growing the program header
// table in place would overwrite that table: the patched library must
// still load and resolve its symbols. (patchelf refuses such files.)
func TestNoSectionHeaders(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib")
	if err := os.Mkdir(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	so := filepath.Join(lib, "libq.so")
	gcc(t, so, "int qfunc(void) { return 40; }\nint qother(void) { return 2; }\n", "-shared", "-fPIC", "-Wl,-soname,libq.so", "-Wl,--build-id=none")
	prog := filepath.Join(dir, "prog")
	gcc(t, prog, "#include <stdio.h>\nint qfunc(void); int qother(void);\nint main(void) { printf(\"%d\\n\", qfunc() + qother()); return 0; }\n", "-L"+lib, "-lq")
	b, err := os.ReadFile(so)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	// The premise: the first table follows the program headers directly.
	phEnd := f.hdr.phoff + f.hdr.phnum*f.hdr.phdrSize()
	first := ^uint64(0)
	for _, s := range f.sects {
		if s.typ != elf.SHT_NULL && s.flags&elf.SHF_ALLOC != 0 && s.off >= phEnd {
			first = min(first, s.off)
		}
	}
	if first-phEnd >= f.hdr.phdrSize() {
		t.Fatalf("%d bytes free after the program headers; the test would prove nothing", first-phEnd)
	}
	// Strip the section headers: e_shoff, e_shentsize, e_shnum, e_shstrndx.
	f.hdr.order.PutUint64(b[0x28:], 0)
	clear(b[0x3a:0x40])
	if err := os.WriteFile(so, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := runProg(t, prog, nil, "LD_LIBRARY_PATH="+lib); r.out != "42\n" {
		t.Fatalf("library without section headers, unpatched: %+v", r)
	}
	for _, inPlace := range []bool{false, true} {
		dst := filepath.Join(dir, fmt.Sprintf("lib-%v", inPlace))
		copyFile(t, so, filepath.Join(dst, "libq.so"))
		if err := PatchFileWith(context.Background(), filepath.Join(dst, "libq.so"), "", WriteOptions{InPlace: inPlace, NoSync: true}, func(f *File) error {
			return f.SetRunpath(longRunpath("/opt/q"), elf.DT_RUNPATH)
		}); err != nil {
			t.Fatal(err)
		}
		if r := runProg(t, prog, nil, "LD_LIBRARY_PATH="+dst); r.out != "42\n" || r.code != 0 {
			t.Fatalf("in place %v: patched library: %+v", inPlace, r)
		}
	}
}
