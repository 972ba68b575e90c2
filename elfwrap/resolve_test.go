package elfwrap

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

const mainSrc = "int main(void) { return 0; }\n"

// ldsoListEnv is ldsoList with extra environment (LD_LIBRARY_PATH).
func ldsoListEnv(t *testing.T, file string, env ...string) []string {
	t.Helper()
	testenv.RequireFile(t, hostLoader, "this test needs glibc's x86_64 loader")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lines, err := ldsoList(ctx, file, env...)
	if err != nil {
		t.Fatalf("ld.so --list %s: %v", file, err)
	}
	return lines
}

// agree resolves file with r and compares the load order with ld.so's.
func agree(t *testing.T, r *Resolver, file string, env ...string) *Result {
	t.Helper()
	res, err := r.Resolve(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	want := ldsoListEnv(t, file, env...)
	if d := cmp.Diff(want, ourList(res)); d != "" {
		t.Errorf("%s: load order differs from ld.so --list (-ld.so +ours):\n%s", file, d)
	}
	return res
}

func find(res *Result, name string) *Object {
	for _, o := range res.Order {
		if o.Name == name {
			return o
		}
	}
	return nil
}

func TestRPathInheritedRunPathNot(t *testing.T) {
	d := t.TempDir()
	a := filepath.Join(d, "a")
	lib(t, filepath.Join(a, "liby.so"), "y")
	lib(t, filepath.Join(a, "libx.so"), "x", "-Wl,--no-as-needed", "-L"+a, "-ly")
	// RPATH (old tags): inherited by libx, so liby is found.
	exe := cc(t, filepath.Join(d, "rpath-exe"), mainSrc, "-Wl,--no-as-needed", "-L"+a, "-lx", "-Wl,-rpath,"+a, "-Wl,--disable-new-dtags")
	res := agree(t, &Resolver{}, exe)
	if o := find(res, "liby.so"); o == nil || o.Source != SourceRPath || o.Missing() {
		t.Errorf("liby.so via inherited RPATH: %+v", o)
	}
	// RUNPATH: direct dependencies only, so liby is missing.
	exe2 := cc(t, filepath.Join(d, "runpath-exe"), mainSrc, "-Wl,--no-as-needed", "-L"+a, "-lx", "-Wl,-rpath,"+a, "-Wl,--enable-new-dtags")
	res = agree(t, &Resolver{}, exe2)
	if len(res.Missing) != 1 || res.Missing[0].Name != "liby.so" || !errors.Is(res.Missing[0].Err, ErrNotFound) {
		t.Fatalf("missing %+v", res.Missing)
	}
	if c := res.Missing[0].Chain(); !cmp.Equal(c, []string{exe2, filepath.Join(a, "libx.so")}) {
		t.Errorf("chain %v", c)
	}
	// LD_LIBRARY_PATH fixes it, for both tools.
	res = agree(t, &Resolver{LibraryPath: a}, exe2, "LD_LIBRARY_PATH="+a)
	if o := find(res, "liby.so"); o == nil || o.Source != SourceEnv {
		t.Errorf("liby.so via LD_LIBRARY_PATH: %+v", o)
	}
}

func TestOriginAndPlatformTokens(t *testing.T) {
	d := t.TempDir()
	lib(t, filepath.Join(d, "lib", "libo.so"), "o")
	lib(t, filepath.Join(d, "lib", "x86_64", "libp.so"), "p")
	lib(t, filepath.Join(d, "lib", "x86_64-linux-gnu", "libq.so"), "q")
	exe := cc(t, filepath.Join(d, "bin", "exe"), mainSrc, "-Wl,--no-as-needed", "-L"+filepath.Join(d, "lib"), "-lo",
		"-L"+filepath.Join(d, "lib", "x86_64"), "-lp", "-L"+filepath.Join(d, "lib", "x86_64-linux-gnu"), "-lq",
		"-Wl,-rpath,$ORIGIN/../lib:${ORIGIN}/../lib/$PLATFORM:$ORIGIN/../$LIB", "-Wl,--enable-new-dtags")
	res := agree(t, &Resolver{}, exe)
	if o := find(res, "libp.so"); o == nil || o.Path != d+"/bin/../lib/x86_64/libp.so" {
		t.Errorf("libp.so: %+v", o)
	}
	if o := find(res, "libq.so"); o == nil || o.Path != d+"/bin/../lib/x86_64-linux-gnu/libq.so" {
		t.Errorf("libq.so ($LIB): %+v", o)
	}
	// Through a symlink: a run program's $ORIGIN is its real directory;
	// `ld.so LINK` uses the link's directory (OriginAsGiven).
	os.MkdirAll(filepath.Join(d, "other"), 0o755)
	link := filepath.Join(d, "other", "link")
	os.Symlink(exe, link)
	res, err := (&Resolver{}).Resolve(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	if o := find(res, "libo.so"); o == nil || o.Path != d+"/bin/../lib/libo.so" {
		t.Errorf("libo.so via the link: %+v", o)
	}
	res = agree(t, &Resolver{OriginAsGiven: true}, link)
	if o := find(res, "libo.so"); o == nil || o.Path != d+"/other/../lib/libo.so" {
		t.Errorf("libo.so via the link, origin as given: %+v", o)
	}
}

func TestNoDefaultLib(t *testing.T) {
	d := t.TempDir()
	l := lib(t, filepath.Join(d, "libnd.so"), "nd", "-Wl,-z,nodefaultlib", "-Wl,--no-as-needed", "-lz")
	exe := cc(t, filepath.Join(d, "exe"), mainSrc, "-Wl,--no-as-needed", "-L"+d, "-lnd", "-Wl,-rpath,"+d)
	res := agree(t, &Resolver{}, exe)
	if o := find(res, "libz.so.1"); o == nil || !o.Missing() {
		t.Errorf("libz.so.1 should be missing under DF_1_NODEFLIB: %+v", o)
	}
	if info, _ := Inspect(l); !info.NoDefaultLib() {
		t.Error("NoDefaultLib false")
	}
}

func TestHWCapsSubdirAndWrongMachine(t *testing.T) {
	d := t.TempDir()
	a := filepath.Join(d, "a")
	lib(t, filepath.Join(a, "libh.so"), "h")
	lib(t, filepath.Join(a, "glibc-hwcaps", "x86-64-v2", "libh.so"), "h")
	// An arm64 libgcc_s.so.1 first on the path: skipped, the cache's is used.
	root := testenv.ForeignRoot(t)
	arm, err := os.ReadFile(filepath.Join(root, "lib/aarch64-linux-gnu/libgcc_s.so.1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, "libgcc_s.so.1"), arm, 0o644); err != nil {
		t.Fatal(err)
	}
	exe := cc(t, filepath.Join(d, "exe"), mainSrc, "-Wl,--no-as-needed", "-L"+a, "-lh", "-lgcc_s", "-Wl,-rpath,"+a)
	res := agree(t, &Resolver{}, exe)
	wantHW := contains(HostPlatform().HWCaps, "x86-64-v2") // as the CPU supports
	if o := find(res, "libh.so"); o == nil || strings.Contains(o.Path, "glibc-hwcaps/x86-64-v2") != wantHW {
		t.Errorf("libh.so: %+v (want the glibc-hwcaps copy: %v)", o, wantHW)
	}
	if o := find(res, "libgcc_s.so.1"); o == nil || o.Source != SourceCache {
		t.Errorf("libgcc_s.so.1: %+v (want the cache's, the arm64 one skipped)", o)
	}
}

func TestAlreadyLoadedSoname(t *testing.T) {
	d := t.TempDir()
	// The program needs libalt.so by path; that file's SONAME is
	// libfoo.so.1. libbar needs libfoo.so.1, which exists nowhere by that
	// file name: the loaded object satisfies it by SONAME.
	alt := filepath.Join(d, "libalt.so")
	cc(t, alt, "int foo(void){return 1;}\n")
	lib(t, filepath.Join(d, "libbar.so"), "bar")
	exe := cc(t, filepath.Join(d, "exe"), mainSrc, "-Wl,--no-as-needed", alt, "-L"+d, "-lbar", "-Wl,-rpath,"+d)
	cc(t, alt, "int foo(void){return 1;}\n", "-Wl,-soname,libfoo.so.1")
	cc(t, filepath.Join(d, "libbar.so"), "int bar(void){return 1;}\n", "-Wl,-soname,libbar.so", "-Wl,--no-as-needed", "-L"+d, "-l:libalt.so")
	if info, _ := Inspect(filepath.Join(d, "libbar.so")); len(info.Needed) == 0 || info.Needed[0] != "libfoo.so.1" {
		t.Fatalf("fixture: libbar needs %v", info.Needed)
	}
	res := agree(t, &Resolver{}, exe)
	if len(res.Missing) != 0 {
		t.Errorf("missing %+v", res.MissingList())
	}
	if o := find(res, alt); o == nil || o.Source != SourceDirect {
		t.Errorf("%s: %+v", alt, o)
	}
}

func TestSymlinkLoops(t *testing.T) {
	d := t.TempDir()
	a := filepath.Join(d, "a")
	lib(t, filepath.Join(a, "libl.so"), "l")
	// RPATH: a directory that is a symlink loop (skipped like a missing
	// directory), then a directory whose libl.so links to itself (ELOOP:
	// glibc abandons the rest of this RPATH), then the real one.
	exe := cc(t, filepath.Join(d, "exe"), mainSrc, "-Wl,--no-as-needed", "-L"+a, "-ll", "-Wl,-rpath,"+d+"/loop1:"+d+"/self:"+a)
	exe2 := cc(t, filepath.Join(d, "exe2"), mainSrc, "-Wl,--no-as-needed", "-L"+a, "-ll", "-Wl,-rpath,"+d+"/loop1:"+a+":"+d+"/self")
	os.Symlink(d+"/loop2", d+"/loop1")
	os.Symlink(d+"/loop1", d+"/loop2")
	os.Mkdir(d+"/self", 0o755)
	os.Symlink("libl.so", d+"/self/libl.so") // a link to itself
	done := make(chan [2]*Result, 1)
	go func() { done <- [2]*Result{agree(t, &Resolver{}, exe), agree(t, &Resolver{}, exe2)} }()
	select {
	case res := <-done:
		if o := find(res[0], "libl.so"); o == nil || !o.Missing() {
			t.Errorf("libl.so behind a self-link: %+v, want not found", o)
		}
		if o := find(res[1], "libl.so"); o == nil || o.Path != a+"/libl.so" {
			t.Errorf("libl.so before the self-link: %+v", o)
		}
	case <-time.After(time.Minute):
		t.Fatal("resolution hangs on a symlink loop")
	}
	// Inside a root, loops are ours to detect.
	root := t.TempDir()
	os.MkdirAll(root+"/usr/lib", 0o755)
	os.Symlink("/usr/lib/b", root+"/usr/lib/a")
	os.Symlink("/usr/lib/a", root+"/usr/lib/b")
	if _, err := ResolveInRoot(root, "/usr/lib/a/libc.so.6"); !errors.Is(err, ErrLoop) {
		t.Errorf("ResolveInRoot loop: %v", err)
	}
}

// TestForeignRoot resolves the arm64 hello inside its root (no cache
// there: ld.so.conf.d is used) and compares with lddtree -R.
func TestForeignRoot(t *testing.T) {
	root := testenv.ForeignRoot(t)
	r := &Resolver{Root: root}
	res, err := r.Resolve(context.Background(), "/usr/bin/hello")
	if err != nil {
		t.Fatal(err)
	}
	if res.Platform.Machine != 183 || res.Interp == nil || res.Interp.Missing() {
		t.Fatalf("platform %v interp %+v", res.Platform.Machine, res.Interp)
	}
	got := ourList(res)
	want := []string{"libc.so.6 => /lib/aarch64-linux-gnu/libc.so.6", "/lib/ld-linux-aarch64.so.1"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	lddtree := testenv.RequireTool(t, "lddtree")
	cmd := exec.Command("/usr/bin/python3", lddtree, "-R", root, "-l", "/usr/bin/hello")
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lddtree: %v", err)
	}
	for _, o := range res.Order {
		if !strings.Contains(string(out), filepath.Join(root, strings.TrimPrefix(o.Path, "/"))) && !sameFileInList(string(out), filepath.Join(root, o.Path)) {
			t.Errorf("lddtree -R does not list %s:\n%s", o.Path, out)
		}
	}
}

func sameFileInList(list, p string) bool {
	for _, l := range strings.Fields(list) {
		if sameFile(l, p) {
			return true
		}
	}
	return false
}

func TestStaticProgram(t *testing.T) {
	busybox := testenv.ForeignBusybox(t, "arm64")
	res, err := (&Resolver{}).Resolve(context.Background(), busybox)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Main.Info.Static() || len(res.Order) != 0 || res.Interp != nil {
		t.Errorf("static: %+v", res)
	}
}

// TestI386Multilib resolves a 32-bit program built with gcc -m32 and
// compares with the i386 loader (Debian's libc6-i386 lives in /lib32).
func TestI386Multilib(t *testing.T) {
	testenv.RequireDebianPackage(t, "gcc-multilib")
	ld32 := testenv.RequireFile(t, "/lib/ld-linux.so.2", "apt-get install gcc-multilib (libc6-i386)")
	d := t.TempDir()
	lib(t, filepath.Join(d, "lib", "libt32.so"), "t32", "-m32")
	exe := cc(t, filepath.Join(d, "exe32"), mainSrc, "-m32", "-Wl,--no-as-needed", "-lm", "-L"+filepath.Join(d, "lib"), "-lt32", "-Wl,-rpath,$ORIGIN/lib")
	res, err := (&Resolver{}).Resolve(context.Background(), exe)
	if err != nil {
		t.Fatal(err)
	}
	want, err := loaderList(context.Background(), ld32, exe)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, ourList(res)); d != "" {
		t.Errorf("(-ld-linux.so.2 +ours):\n%s", d)
	}
	if res.Platform.Class != 1 || len(res.Missing) != 0 {
		t.Errorf("platform %+v missing %+v", res.Platform, res.MissingList())
	}
}
