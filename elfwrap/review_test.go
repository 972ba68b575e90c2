package elfwrap

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// ldsoListIn is ldsoList run in working directory dir.
func ldsoListIn(t *testing.T, dir, file string, env ...string) []string {
	t.Helper()
	testenv.RequireFile(t, hostLoader, "this test needs glibc's x86_64 loader")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, hostLoader, "--list", file)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LC_ALL=C"}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ld.so --list %s in %s: %v\n%s", file, dir, err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(addrRE.ReplaceAllString(l, ""))
		if l == "" || strings.HasPrefix(l, "linux-vdso.so") {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// An empty element of LD_LIBRARY_PATH, DT_RPATH or DT_RUNPATH is the
// working directory, and the loader names what it finds there by the bare
// relative name ("liby.so", "glibc-hwcaps/x86-64-v2/liby.so"), not "./...".
func TestEmptyPathElementIsWorkingDir(t *testing.T) {
	d := t.TempDir()
	a := filepath.Join(d, "a")
	y := lib(t, filepath.Join(a, "liby.so"), "y")
	exe := cc(t, filepath.Join(d, "exe"), mainSrc, "-Wl,--no-as-needed", "-L"+a, "-ly")
	rpathExe := cc(t, filepath.Join(d, "rpath-exe"), mainSrc, "-Wl,--no-as-needed", "-L"+a, "-ly",
		"-Wl,-rpath,/nonexistent::/x", "-Wl,--disable-new-dtags")
	runpathExe := cc(t, filepath.Join(d, "runpath-exe"), mainSrc, "-Wl,--no-as-needed", "-L"+a, "-ly",
		"-Wl,-rpath,/nonexistent::/x", "-Wl,--enable-new-dtags")
	copyTo := func(dst string) {
		t.Helper()
		b, err := os.ReadFile(y)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	wd := filepath.Join(d, "wd")
	copyTo(filepath.Join(wd, "liby.so"))
	cases := []struct {
		name, dir, exe, llp string
		want                string
	}{
		{"LD_LIBRARY_PATH", wd, exe, "::/x", "liby.so"},
		{"LD_LIBRARY_PATH semicolon", wd, exe, ";", "liby.so"},
		{"DT_RPATH", wd, rpathExe, "", "liby.so"},
		{"DT_RUNPATH", wd, runpathExe, "", "liby.so"},
	}
	if hw := HostPlatform().HWCaps; slices.Contains(hw, "x86-64-v2") {
		hwd := filepath.Join(d, "hwd")
		copyTo(filepath.Join(hwd, "glibc-hwcaps", "x86-64-v2", "liby.so"))
		cases = append(cases, struct {
			name, dir, exe, llp string
			want                string
		}{"glibc-hwcaps", hwd, exe, "z::", "glibc-hwcaps/x86-64-v2/liby.so"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var env []string
			if c.llp != "" {
				env = append(env, "LD_LIBRARY_PATH="+c.llp)
			}
			want := ldsoListIn(t, c.dir, c.exe, env...)
			res, err := (&Resolver{LibraryPath: c.llp, Dir: c.dir}).Resolve(context.Background(), c.exe)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, ourList(res)); diff != "" {
				t.Errorf("load order differs from ld.so --list (-ld.so +ours):\n%s", diff)
			}
			if o := find(res, "liby.so"); o == nil || o.Path != c.want {
				t.Errorf("liby.so: %+v, want path %q", o, c.want)
			}
		})
	}
}

// $ORIGIN is the directory of the path an object was found at with only
// the last component cut off: "bin/../b/../lib", not the lexically cleaned
// "lib", which names another directory when b is a symbolic link. The
// program given as "./exe" (ld.so --list, OriginAsGiven) has the origin
// "DIR/.".
func TestOriginNotCleaned(t *testing.T) {
	d := t.TempDir()
	if err := os.MkdirAll(filepath.Join(d, "real", "y"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real/y", filepath.Join(d, "b")); err != nil {
		t.Fatal(err)
	}
	// d/b/.. is d/real: the library lives in d/real/lib, its dependency in
	// d/real/lib/z; a decoy sits where lexical cleaning would look.
	lib(t, filepath.Join(d, "real", "lib", "z", "libz.so"), "z")
	lib(t, filepath.Join(d, "lib", "z", "libz.so"), "z")
	lib(t, filepath.Join(d, "real", "lib", "libx.so"), "x", "-Wl,--no-as-needed", "-L"+filepath.Join(d, "real", "lib", "z"), "-lz",
		"-Wl,-rpath,$ORIGIN/z", "-Wl,--enable-new-dtags")
	exe := cc(t, filepath.Join(d, "bin", "exe"), mainSrc, "-Wl,--no-as-needed", "-L"+filepath.Join(d, "real", "lib"), "-lx",
		"-Wl,-rpath,$ORIGIN/../b/../lib", "-Wl,--enable-new-dtags")
	res := agree(t, &Resolver{}, exe)
	if o := find(res, "libz.so"); o == nil || o.Path != d+"/bin/../b/../lib/z/libz.so" {
		t.Errorf("libz.so: %+v", o)
	}
	// The program named relatively, in its own directory.
	want := ldsoListIn(t, filepath.Join(d, "bin"), "./exe")
	res, err := (&Resolver{Dir: filepath.Join(d, "bin"), OriginAsGiven: true}).Resolve(context.Background(), "./exe")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, ourList(res)); diff != "" {
		t.Errorf("./exe: load order differs from ld.so --list (-ld.so +ours):\n%s", diff)
	}
}

// DSTs in DT_NEEDED are expanded before anything else (glibc's dl-deps.c),
// with or without a slash: "lib-$PLATFORM.so" is searched for as
// "lib-x86_64.so", and a missing "$ORIGIN/none.so" is reported under its
// expanded name.
func TestNeededDSTExpanded(t *testing.T) {
	patchelf := testenv.RequireTool(t, "patchelf")
	d := t.TempDir()
	plat := HostPlatform().Name
	lib(t, filepath.Join(d, "lib", "libp-"+plat+".so"), "p")
	exe := cc(t, filepath.Join(d, "exe"), mainSrc, "-Wl,-rpath,"+filepath.Join(d, "lib"), "-Wl,--enable-new-dtags")
	cmd := exec.Command(patchelf, "--add-needed", "libp-$PLATFORM.so", "--add-needed", "$ORIGIN/none.so", exe)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patchelf: %v\n%s", err, out)
	}
	res := agree(t, &Resolver{}, exe)
	if o := find(res, "libp-"+plat+".so"); o == nil || o.Missing() || o.Path != filepath.Join(d, "lib", "libp-"+plat+".so") {
		t.Errorf("libp-%s.so: %+v", plat, o)
	}
	if len(res.Missing) != 1 || res.Missing[0].Name != d+"/none.so" {
		t.Errorf("missing %+v, want %s/none.so", res.Missing, d)
	}
}
