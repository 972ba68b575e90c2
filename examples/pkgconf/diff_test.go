package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// result is what one invocation printed.
type result struct {
	stdout, stderr string
	code           int
}

// cleanEnv is the environment both implementations run in: the test's
// own, without any PKG_CONFIG_* or compiler search variable that would
// change the answers, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PKG_CONFIG") || k == "CPATH" || k == "C_INCLUDE_PATH" ||
			k == "CPLUS_INCLUDE_PATH" || k == "OBJC_INCLUDE_PATH" || k == "LIBRARY_PATH" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func runPkgconf(t *testing.T, bin string, env, args []string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("pkgconf %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func runOurs(env, args []string) result {
	var out, errb bytes.Buffer
	code := runEnv(context.Background(), append([]string{"pkgconf"}, args...), env, &out, &errb)
	return result{out.String(), errb.String(), code}
}

type job struct {
	env  []string
	args []string
}

// compareAll runs every job through pkgconf (in parallel) and through our
// command, and reports each difference. withStderr also compares stderr.
func compareAll(t *testing.T, jobs []job, withStderr bool) (same int) {
	bin := testenv.RequireTool(t, "pkgconf")
	want := make([]result, len(jobs))
	var wg sync.WaitGroup
	ch := make(chan int)
	for w := 0; w < 2*runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				want[i] = runPkgconf(t, bin, jobs[i].env, jobs[i].args)
			}
		}()
	}
	for i := range jobs {
		ch <- i
	}
	close(ch)
	wg.Wait()
	bad := 0
	for i, j := range jobs {
		got := runOurs(j.env, j.args)
		w := want[i]
		if !withStderr {
			got.stderr, w.stderr = "", ""
		}
		if got != w {
			bad++
			if bad <= 25 {
				t.Errorf("%s pkgconf %s:\n pkgconf: %q (stderr %q) exit %d\n ours:    %q (stderr %q) exit %d",
					envDelta(j.env), strings.Join(j.args, " "), w.stdout, w.stderr, w.code, got.stdout, got.stderr, got.code)
			}
			continue
		}
		same++
	}
	if bad > 25 {
		t.Errorf("... and %d more differences", bad-25)
	}
	return same
}

func envDelta(env []string) string {
	var d []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "PKG_CONFIG") || strings.HasPrefix(kv, "CPATH=") || strings.HasPrefix(kv, "LIBRARY_PATH=") {
			d = append(d, kv)
		}
	}
	return strings.Join(d, " ")
}

// TestDifferentialInstalled compares our command with the system's pkgconf
// for every module installed on this machine: --modversion, --cflags,
// --libs, --cflags --static, --libs --static and --print-requires must
// print the same bytes and exit the same.
func TestDifferentialInstalled(t *testing.T) {
	bin := testenv.RequireTool(t, "pkgconf")
	out, err := exec.Command(bin, "--list-package-names").Output()
	if err != nil {
		t.Fatalf("pkgconf --list-package-names: %v", err)
	}
	mods := strings.Fields(string(out))
	if len(mods) < 50 {
		testenv.Unavailable(t, "only %d .pc files installed; install the -dev packages .ci/run lists (libwlroots-dev, libgtk-3-dev ...)", len(mods))
	}
	sort.Strings(mods)
	env := cleanEnv()
	var jobs []job
	for _, m := range mods {
		for _, q := range [][]string{{"--modversion"}, {"--cflags"}, {"--libs"}, {"--cflags", "--static"}, {"--libs", "--static"}, {"--print-requires"}} {
			jobs = append(jobs, job{env: env, args: append(append([]string(nil), q...), m)})
		}
	}
	same := compareAll(t, jobs, false)
	t.Logf("%d modules, %d queries, %d identical", len(mods), len(jobs), same)
}

func fixtureDir(t *testing.T) string {
	d, err := filepath.Abs("../../mesonbuild/pkgconfig/testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fixtureModules(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var mods []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".pc") && !strings.HasSuffix(e.Name(), "-uninstalled.pc") {
			mods = append(mods, strings.TrimSuffix(e.Name(), ".pc"))
		}
	}
	return mods
}

// TestDifferentialFixtures runs the hand-written fixtures (one or more per
// rule, see testdata/fixtures/README.md) through both implementations
// with many flag and environment combinations, comparing stdout, stderr
// and exit status.
func TestDifferentialFixtures(t *testing.T) {
	dir := fixtureDir(t)
	mods := append(fixtureModules(t, dir), "nothere", "virt-eq", "virt-any", dir+"/e.pc", dir+"/space dir/spaced.pc")
	// only the fixtures: Provides scans and --validate stay small
	base := "PKG_CONFIG_LIBDIR=" + dir + ":" + dir + "/space dir"
	queries := [][]string{
		{"--modversion"}, {"--cflags"}, {"--libs"}, {"--cflags", "--static"}, {"--libs", "--static"},
		{"--print-requires"}, {"--print-requires-private"}, {"--print-provides"}, {"--print-variables"},
		{"--variable=prefix"}, {"--exists"}, {"--path"}, {"--libs-only-l"}, {"--libs-only-other"},
		{"--cflags-only-I"}, {"--cflags-only-other"}, {"--validate"}, {"--cflags", "--libs"},
		{"--short-errors", "--libs"}, {"--errors-to-stdout", "--cflags"}, {"--pure", "--static", "--libs"},
		{"--uninstalled"}, {"--define-variable=prefix=/def", "--cflags"}, {"--atleast-version=1.0"},
	}
	// rarer flags, on a few modules each
	rare := [][]string{
		{"--libs-only-L", "--static"}, {"--keep-system-libs", "--libs"}, {"--keep-system-cflags", "--cflags"},
		{"--no-uninstalled", "--libs"}, {"--ignore-conflicts", "--libs"}, {"--no-provides", "--libs"},
		{"--internal-cflags", "--cflags"}, {"--silence-errors", "--libs"}, {"--print-errors", "--exists"},
		{"--exact-version=1.0"}, {"--max-version=1.0"}, {"--shared", "--libs"}, {"--env-only", "--libs"},
		{"--variable=pcfiledir"},
	}
	rareMods := []string{"b", "c", "m4", "m7", "m10", "m11", "sysdirs", "uninst", "usesuninst", "want-prov1", "conf-named", "nothere", "frag"}
	var jobs []job
	env := cleanEnv(base)
	for _, m := range mods {
		for _, q := range queries {
			jobs = append(jobs, job{env: env, args: append(append([]string(nil), q...), m)})
		}
	}
	for _, m := range rareMods {
		for _, q := range rare {
			jobs = append(jobs, job{env: env, args: append(append([]string(nil), q...), m)})
		}
	}
	// environments that change the rules
	envs := [][]string{
		{"PKG_CONFIG_SYSROOT_DIR=/sr"},
		{"PKG_CONFIG_SYSROOT_DIR=/"},
		{"PKG_CONFIG_SYSROOT_DIR=/u"},
		{"PKG_CONFIG_SYSROOT_DIR=/sr", "PKG_CONFIG_FDO_SYSROOT_RULES=1"},
		{"PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1", "PKG_CONFIG_ALLOW_SYSTEM_LIBS="},
		{"PKG_CONFIG_SYSTEM_INCLUDE_PATH=/opt/keep", "PKG_CONFIG_SYSTEM_LIBRARY_PATH=/opt/keep/lib:/lib"},
		{"CPATH=/inc/a:/inc/sys", "LIBRARY_PATH=/lib/a", "C_INCLUDE_PATH=/inc/c"},
		{"PKG_CONFIG_DISABLE_UNINSTALLED=1"},
		{"PKG_CONFIG_IGNORE_CONFLICTS=1"},
		{"PKG_CONFIG_TOP_BUILD_DIR=/top"},
		{"PKG_CONFIG_MAXIMUM_TRAVERSE_DEPTH=2"},
	}
	envMods := []string{"sr", "frag", "sysdirs", "uninst", "usesuninst", "vars", "defvar", "b", "fragdep", "linked", "cyc-a", "nothere", dir + "/e.pc", dir + "/space dir/spaced.pc"}
	for _, e := range envs {
		env := cleanEnv(append([]string{base}, e...)...)
		for _, m := range envMods {
			for _, q := range [][]string{{"--cflags"}, {"--libs", "--static"}, {"--variable=prefix"}, {"--variable=pc_sysrootdir"}, {"--variable=pc_top_builddir"}, {"--print-variables"}, {"--modversion"}} {
				jobs = append(jobs, job{env: env, args: append(append([]string(nil), q...), m)})
			}
		}
	}
	// the search path itself
	for _, e := range [][]string{
		{"PKG_CONFIG_LIBDIR="},
		{"PKG_CONFIG_LIBDIR=" + dir + "/other"},
		{"PKG_CONFIG_LIBDIR=" + dir + "/other:" + dir + "/other"},
		{"PKG_CONFIG_PATH=" + dir + "/other::" + dir + "//other:/nonexistent"},
	} {
		env := cleanEnv(e...)
		for _, m := range []string{"real", "zlib", "e", "nothere", "pkg-config"} {
			for _, q := range [][]string{{"--modversion"}, {"--path"}, {"--libs"}, {"--variable=pc_path"}, {"--variable=pcfiledir"}} {
				jobs = append(jobs, job{env: env, args: append(append([]string(nil), q...), m)})
			}
		}
		jobs = append(jobs, job{env: env, args: []string{"--list-all"}})
	}
	// several packages, operators as separate arguments, odd command lines
	for _, args := range [][]string{
		{"--libs", "b", "c", "d", "e"}, {"--libs", "e", "d", "c", "b"}, {"--cflags", "frag", "fragdep"},
		{"--libs", "--static", "pv-top"}, {"--libs", "--static", "pv-mid", "pv-top"},
		{"--modversion", "e", ">=", "1.0"}, {"--modversion", "e", "<", "1.0"},
		{"--modversion", "virt-eq", "prov-eq"}, {"--modversion", "e", "e", "c"}, {"--modversion", "e, d"},
		{"--exists", "e >= 1.0", "d"}, {"--variable=pcfiledir", "e", "c", "d"}, {"--print-requires", "b", "c"},
		{"--modversion"}, {"--libs"}, {"--version"}, {"--atleast-pkgconfig-version=1.7"}, {"--atleast-pkgconfig-version=2"},
		{"--with-path=" + dir + "/other", "--modversion", "real"}, {"--list-package-names"},
		{"--env-only", "--with-path=" + dir + "/other", "--modversion", "real"},
		{"--atleast-version=3", "e"}, {"--exact-version=1.0", "nothere"}, {"--print-errors", "--atleast-version=1", "nothere"},
		{"--cflags", "--libs", "cyc-a"}, {"--libs", "--static", "cyc-b"}, {"--cflags", "cyc-c", "cyc-a"},
		{"--cflags", dir + "/linked.pc"}, {"--cflags", "linked"}, {"--variable=pcfiledir", "linked"},
		{"--libs", "vars", "--libs"}, {"--modv", "e"}, {"--static", "--libs-only-l", "frag"},
		{"--exists", "--libs", "b"}, {"--exists", "--cflags", "--static", "c"}, {"--exists", "--shared", "--libs", "m2"},
	} {
		jobs = append(jobs, job{env: cleanEnv(base), args: args})
	}
	same := compareAll(t, jobs, true)
	t.Logf("%d fixture queries, %d identical", len(jobs), same)
}

// TestDifferentialUnopenable compares lookups through files that exist
// but cannot be used: pkgconf tries DIR/NAME.pc when DIR/NAME-uninstalled.pc
// fails to open for any reason (here a symlink loop), goes to the next
// directory when it opens but is not a valid file (a directory), and a
// dangling symlink is simply absent.
func TestDifferentialUnopenable(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	write := func(dir, name, version, cflags string) {
		t.Helper()
		body := "Name: " + name + "\nDescription: d\nVersion: " + version + "\nCflags: " + cflags + "\n"
		if err := os.WriteFile(filepath.Join(dir, name+".pc"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"loop", "isdir", "dangling"} {
		write(d1, n, "1.0", "-DFIRST_"+n)
		write(d2, n, "2.0", "-DSECOND_"+n)
	}
	if err := os.Symlink("loop-uninstalled.pc", filepath.Join(d1, "loop-uninstalled.pc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(d1, "isdir-uninstalled.pc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere.pc", filepath.Join(d1, "dangling-uninstalled.pc")); err != nil {
		t.Fatal(err)
	}
	env := cleanEnv("PKG_CONFIG_LIBDIR=" + d1 + ":" + d2)
	var jobs []job
	for _, q := range [][]string{{"--modversion"}, {"--cflags"}, {"--exists"}, {"--cflags", "--no-uninstalled"}} {
		for _, n := range []string{"loop", "isdir", "dangling"} {
			jobs = append(jobs, job{env: env, args: append(append([]string(nil), q...), n)})
		}
		jobs = append(jobs, job{env: env, args: append(append([]string(nil), q...), "loop", "isdir", "dangling")})
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialSysrootSetEmpty compares PKG_CONFIG_SYSROOT_DIR set to
// the empty string (pkgconf then has a sysroot of "": ${pc_sysrootdir} is
// empty, not "/") and the doubled-sysroot cleanup, which copies the value
// into a PKGCONF_ITEM_SIZE buffer (5119 bytes at most).
func TestDifferentialSysrootSetEmpty(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 6000)
	body := "a=${pc_sysrootdir}x\nb=/usr/include\nc=${pc_sysrootdir}/opt/inc\nlong=/sr" + long + "/sr\nlong2=/" + long + "\n" +
		"Name: t\nDescription: d\nVersion: 1\nCflags: -I${pc_sysrootdir}/foo -I${c}\n"
	if err := os.WriteFile(filepath.Join(dir, "t.pc"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var jobs []job
	for _, sr := range []string{"", "/s", "/"} {
		for _, fdo := range []bool{false, true} {
			env := cleanEnv("PKG_CONFIG_LIBDIR="+dir, "PKG_CONFIG_SYSROOT_DIR="+sr)
			if fdo {
				env = append(env, "PKG_CONFIG_FDO_SYSROOT_RULES=1")
			}
			for _, v := range []string{"a", "b", "c", "long", "long2", "pc_sysrootdir"} {
				jobs = append(jobs, job{env: env, args: []string{"--variable=" + v, "t"}})
			}
			jobs = append(jobs, job{env: env, args: []string{"--cflags", "t"}}, job{env: env, args: []string{"--print-variables", "t"}})
		}
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialLongLines compares where a line longer than pkgconf's
// line buffer is split: the rest is read as a line of its own, so a
// definition glued to it appears or not depending on the exact cut.
func TestDifferentialLongLines(t *testing.T) {
	dir := t.TempDir()
	var jobs []job
	env := cleanEnv("PKG_CONFIG_LIBDIR=" + dir)
	for n := 65529; n <= 65534; n++ {
		name := "l" + strconv.Itoa(n)
		body := "e=" + strings.Repeat("x", n) + "f=1\nName: " + name + "\nDescription: d\nVersion: 1\n"
		if err := os.WriteFile(filepath.Join(dir, name+".pc"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"e", "f", "xf", "xxf"} {
			jobs = append(jobs, job{env: env, args: []string{"--variable=" + v, name}})
		}
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialSystemDirsEitherList compares system-directory
// filtering of flags that sit in the other list: pkgconf drops a system
// -L from --cflags and a system -I from --libs too (the filter checks -I
// against the include directories and -L against the library
// directories whatever the list), under --keep-system-cflags for the
// first and --keep-system-libs for the second.
func TestDifferentialSystemDirsEitherList(t *testing.T) {
	dir := t.TempDir()
	body := "Name: a\nDescription: d\nVersion: 1\nCflags: -L/usr/lib -I/usr/include -I/x -L/y\nLibs: -I/usr/include -L/usr/lib -lfoo -I/x -L/y\n"
	if err := os.WriteFile(filepath.Join(dir, "a.pc"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var jobs []job
	for _, extra := range [][]string{nil, {"PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1"}, {"PKG_CONFIG_ALLOW_SYSTEM_LIBS=1"}} {
		env := cleanEnv(append([]string{"PKG_CONFIG_LIBDIR=" + dir}, extra...)...)
		for _, q := range [][]string{{"--cflags"}, {"--libs"}, {"--cflags", "--libs"}, {"--cflags-only-I"}, {"--cflags-only-other"},
			{"--libs-only-L"}, {"--libs-only-l"}, {"--libs-only-other"}, {"--cflags", "--keep-system-cflags"}, {"--libs", "--keep-system-libs"},
			{"--cflags", "--libs", "--keep-system-libs"}} {
			jobs = append(jobs, job{env: env, args: append(append([]string(nil), q...), "a")})
		}
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialInternalCollision compares a package named both in
// Requires.private and Requires.internal: pkgconf 1.8 keeps one entry
// per name in that list when only one of the two is internal (the
// private one wins, wherever it is), so the internal entry's version
// constraint is not checked either.
func TestDifferentialInternalCollision(t *testing.T) {
	var jobs []job
	for i, reqs := range []string{
		"Requires.internal: c\nRequires.private: c\n",
		"Requires.internal: c e\nRequires.private: c\n",
		"Requires.private: c >= 1\nRequires.internal: c < 9\n",
		"Requires.private: c\nRequires.internal: c >= 99\n",
		"Requires.internal: c c\n",
		"Requires.private: c c\nRequires.internal: e\n",
		"Requires: c\nRequires.internal: c\n",
	} {
		dir := t.TempDir()
		files := map[string]string{
			"a": "Name: a\nDescription: d\nVersion: 1\n" + reqs + "Libs: -la\n",
			"c": "Name: c\nDescription: d\nVersion: 2\nCflags: -DC\nLibs: -lc\nLibs.private: -lpc\n",
			"e": "Name: e\nDescription: d\nVersion: 1\nCflags: -DE\nLibs: -le\n",
		}
		for n, body := range files {
			if err := os.WriteFile(filepath.Join(dir, n+".pc"), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		env := cleanEnv("PKG_CONFIG_LIBDIR="+dir, "CASE="+strconv.Itoa(i))
		for _, q := range [][]string{{"--print-requires-private"}, {"--libs", "--static"}, {"--cflags", "--static"},
			{"--cflags"}, {"--exists"}, {"--cflags", "--internal-cflags", "--static"}} {
			jobs = append(jobs, job{env: env, args: append(append([]string(nil), q...), "a")})
		}
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialArgEdgeCases covers command-line corners: empty and
// blank package arguments (pkgconf skips them, and says "Please specify
// ..." when nothing is left), an empty --variable name (pkgconf still
// prints a line per query), and a --personality that names no file and no
// installed triplet (pkgconf falls back to the default personality).
func TestDifferentialArgEdgeCases(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"a": "prefix=/opt/a\nName: a\nDescription: A\nVersion: 1.2.3\nRequires: b >= 1\nCflags: -I${prefix}/include -DA\nLibs: -L${prefix}/lib -la\n",
		"b": "Name: b\nDescription: B\nVersion: 2\nCflags: -DB\nLibs: -lb\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name+".pc"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := cleanEnv("PKG_CONFIG_LIBDIR=" + dir)
	var jobs []job
	for _, args := range [][]string{
		{"--cflags", ""}, {"--exists", ""}, {"--modversion", " "}, {""}, {"--libs", "\t\n"},
		{"--cflags", "", "a"}, {"--cflags", "a", ""}, {"--libs", " a", "b"}, {"--modversion", "", ">", "1"},
		{"--exists", " a", ">", "1"}, {"--print-errors", "--exists", "", "a", ">=", "9"},
		{"--variable=", "a"}, {"--variable=", "a", "b"}, {"--variable", "", "a"}, {"--variable=", "--cflags", "a"},
		{"--variable=", "--modversion", "a"}, {"--variable=", "--exists", "a"}, {"--variable=", "nosuch"},
		{"--personality=nosuch", "--cflags", "a"}, {"--personality=nosuch", "--dump-personality"},
	} {
		jobs = append(jobs, job{env: env, args: args})
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialProgName checks that option errors name "pkgconf" as
// pkgconf does, whatever name the command was started under (Debian
// installs it as pkg-config and TRIPLET-pkg-config too).
func TestDifferentialProgName(t *testing.T) {
	bin := testenv.RequireTool(t, "pkgconf")
	dir := t.TempDir()
	env := cleanEnv("PKG_CONFIG_LIBDIR=" + dir)
	for _, name := range []string{"pkg-config", "x86_64-linux-gnu-pkg-config", "mytool"} {
		link := filepath.Join(dir, name)
		if err := os.Symlink(bin, link); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"--bogus"}, {"-x"}, {"--variable"}, {"--cflags=x"}} {
			want := runPkgconf(t, link, env, args)
			var out, errb bytes.Buffer
			code := runEnv(context.Background(), append([]string{link}, args...), env, &out, &errb)
			got := result{out.String(), errb.String(), code}
			if got != want {
				t.Errorf("argv[0]=%s %s:\n pkgconf: %q (stderr %q) exit %d\n ours:    %q (stderr %q) exit %d",
					name, strings.Join(args, " "), want.stdout, want.stderr, want.code, got.stdout, got.stderr, got.code)
			}
		}
	}
}

// TestDifferentialGetopt compares option parsing with pkgconf's bundled
// getopt_long_only: long options given with one dash, abbreviations that
// are ambiguous only because of options we do not implement, the text of
// each option error (pkgconf echoes the option as typed, with any
// "=value" for an unknown one), and POSIXLY_CORRECT, which stops option
// parsing at the first package name.
func TestDifferentialGetopt(t *testing.T) {
	dir := t.TempDir()
	body := "prefix=/opt/a\nName: a\nDescription: A\nVersion: 1.2.3\nCflags: -I${prefix}/include -DA\nLibs: -L${prefix}/lib -la\n"
	if err := os.WriteFile(filepath.Join(dir, "a.pc"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	env := cleanEnv("PKG_CONFIG_LIBDIR=" + dir)
	var jobs []job
	for _, args := range [][]string{
		{"-cflags", "a"}, {"-libs", "a"}, {"-modversion", "a"}, {"a", "-cflags"}, {"-variable=prefix", "a"},
		{"-variable", "prefix", "a"}, {"-vers"}, {"-v"}, {"-c", "a"}, {"-l", "a"}, {"-a"}, {"-x"}, {"-xyz"},
		{"-bogus=1"}, {"--bogus=1"}, {"--bogus"}, {"-var"}, {"--var"}, {"--cfl=x", "a"}, {"-cfl=x", "a"},
		{"--si", "--exists", "nosuch"}, {"--print-errors", "--si", "--exists", "nosuch"},
		{"--=x"}, {"-=x"}, {"-", "--exists"}, {"--cflags", "--", "-cflags"}, {"-static", "-libs", "a"},
		{"-print-err", "-exists", "nosuch"}, {"-exists", "a"},
	} {
		jobs = append(jobs, job{env: env, args: args})
	}
	posix := append(append([]string(nil), env...), "POSIXLY_CORRECT=1")
	for _, args := range [][]string{{"a", "--cflags"}, {"--cflags", "a", "--libs"}, {"--print-errors", "a", "--bogus"}} {
		jobs = append(jobs, job{env: posix, args: args})
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialValidateUnreadable checks --validate on a .pc name that
// opens but cannot be read (a directory): pkgconf takes the read error as
// the end of an empty file and warns about each missing field.
func TestDifferentialValidateUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.pc"), []byte("Name: a\nDescription: A\nVersion: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.pc"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := cleanEnv("PKG_CONFIG_LIBDIR=" + dir)
	var jobs []job
	for _, args := range [][]string{{"--validate", "sub"}, {"--validate", "nosuch"}, {"--validate", "a"},
		{"--modversion", "sub"}, {"--print-errors", "--exists", "sub"}, {"--list-all"}} {
		jobs = append(jobs, job{env: env, args: args})
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialVersionCheckErrors checks --atleast-version,
// --exact-version and --max-version with a package that is not found:
// pkgconf says so whenever errors are printed, which --cflags, --libs,
// --modversion, --print-variables and --validate turn on as well as
// --print-errors (and --silence-errors turns off).
func TestDifferentialVersionCheckErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.pc"), []byte("Name: a\nDescription: A\nVersion: 1.5\nCflags: -DA\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := cleanEnv("PKG_CONFIG_LIBDIR=" + dir)
	var jobs []job
	for _, check := range []string{"--atleast-version=1", "--exact-version=1.5", "--max-version=2"} {
		for _, extra := range [][]string{nil, {"--cflags"}, {"--libs-only-L"}, {"--modversion"}, {"--print-variables"},
			{"--validate"}, {"--print-errors"}, {"--cflags", "--silence-errors"}, {"--exists"}, {"--cflags", "--errors-to-stdout"}} {
			for _, q := range [][]string{{"nosuch"}, {"nosuch", "a"}, {"a", "nosuch"}, {"a,nosuch"}} {
				args := append(append([]string{check}, extra...), q...)
				jobs = append(jobs, job{env: env, args: args})
			}
		}
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialListCombinations checks --list-all together with
// --list-package-names (pkgconf prints the --list-all form) and with
// --validate (each file's warnings come where the scan reads it, between
// the entries).
func TestDifferentialListCombinations(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"a":      "Name: a\nDescription: A\nVersion: 1\n",
		"b":      "Name: b\nDescription: B\nVersion: 2\n",
		"nodesc": "Name: n\nVersion: 1\n",
		"ws":     "Name: w\nDescription: W\nVersion: 1\nx =1\n",
		"c":      "Name: c\nDescription: C\nVersion: 3\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name+".pc"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := cleanEnv("PKG_CONFIG_LIBDIR=" + dir)
	var jobs []job
	for _, args := range [][]string{{"--list-all", "--list-package-names"}, {"--list-package-names", "--list-all"},
		{"--validate", "--list-all"}, {"--validate", "--list-package-names"}, {"--list-all", "--validate", "a"},
		{"--list-all"}, {"--list-package-names"}} {
		jobs = append(jobs, job{env: env, args: args})
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}

// TestDifferentialValidateSilenced checks that --silence-errors silences
// the --validate warnings too, as in pkgconf.
func TestDifferentialValidateSilenced(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"a":      "Name: a\nDescription: A\nVersion: 1\n",
		"nodesc": "Name: n\nVersion: 1\n",
		"ws":     "Name: w\nDescription: W\nVersion: 1\nx =1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name+".pc"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := cleanEnv("PKG_CONFIG_LIBDIR=" + dir)
	var jobs []job
	for _, q := range []string{"a", "nodesc", "ws", "nosuch"} {
		for _, f := range [][]string{{"--silence-errors", "--validate"}, {"--validate", "--silence-errors"},
			{"--validate", "--print-errors"}, {"--validate", "--errors-to-stdout"}, {"--validate", "--silence-errors", "--list-all"}} {
			jobs = append(jobs, job{env: env, args: append(append([]string(nil), f...), q)})
		}
	}
	if same := compareAll(t, jobs, true); same != len(jobs) {
		t.Errorf("%d/%d identical", same, len(jobs))
	}
}
