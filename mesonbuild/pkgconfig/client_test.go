package pkgconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func writePC(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name+".pc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func pc(name, version, extra string) string {
	return "Name: " + name + "\nDescription: test\nVersion: " + version + "\n" + extra
}

func TestSearchPath(t *testing.T) {
	root := t.TempDir()
	a, b, c := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")
	for _, d := range []string{a, b, c} {
		os.MkdirAll(d, 0o755)
	}
	os.Symlink(b, filepath.Join(root, "b-link"))
	def := &Personality{DefaultSearchPath: []string{c, filepath.Join(root, "missing")}, filterDefault: true}
	cases := []struct {
		name string
		env  []string
		opts Options
		want []string
	}{
		{"unset", nil, Options{}, []string{c}},
		{"path", []string{"PKG_CONFIG_PATH=" + a + "::" + b + ":" + root + "/b-link:" + root + "/none"}, Options{}, []string{a, b, c}},
		{"libdir set", []string{"PKG_CONFIG_LIBDIR=" + b}, Options{}, []string{b}},
		{"libdir empty", []string{"PKG_CONFIG_LIBDIR=", "PKG_CONFIG_PATH=" + a}, Options{}, []string{a}},
		{"with-path after the default", []string{"PKG_CONFIG_PATH=" + a}, Options{WithPath: []string{b}}, []string{a, c, b}},
		{"with-path ignored with libdir", []string{"PKG_CONFIG_LIBDIR=" + a}, Options{WithPath: []string{b}}, []string{a}},
		{"env-only", []string{"PKG_CONFIG_PATH=" + a}, Options{EnvOnly: true}, []string{a}},
		{"double slash", []string{"PKG_CONFIG_PATH=" + root + "//a"}, Options{}, []string{a, c}},
	}
	for _, tc := range cases {
		tc.opts.Env = tc.env
		tc.opts.Personality = def
		cl, err := New(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, cl.SearchPath()); d != "" {
			t.Errorf("%s: (-want +got):\n%s", tc.name, d)
		}
	}
}

func TestDefaultPersonality(t *testing.T) {
	p := DefaultPersonality()
	if len(p.DefaultSearchPath) != 6 || p.SystemIncludePaths[0] != "/usr/include" {
		t.Fatalf("unexpected default personality %+v", p)
	}
	q, err := ParsePersonality("x.personality", []byte("Triplet: aarch64-linux-gnu\nSysrootDir: /sr\nDefaultSearchPaths: /a:/b\nSystemIncludePaths: /usr/include\nSystemLibraryPaths: /lib:/usr/lib\nWantDefaultStatic: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if q.Triplet != "aarch64-linux-gnu" || q.SysrootDir != "/sr" || !q.WantDefaultStatic || len(q.DefaultSearchPath) != 2 {
		t.Fatalf("parsed %+v", q)
	}
	if _, err := ParsePersonality("bad.personality", []byte("Triplet x\n")); err == nil || !strings.Contains(err.Error(), "bad.personality:1:") {
		t.Fatalf("want a file:line error, got %v", err)
	}
}

func TestUninstalledPreferred(t *testing.T) {
	dir := t.TempDir()
	writePC(t, dir, "u", pc("u", "1.0", "Libs: -linstalled\n"))
	writePC(t, dir, "u-uninstalled", pc("u", "1.1", "Libs: -lbuildtree\n"))
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	libs, err := c.Libs("u")
	if err != nil || libs.String() != "-lbuildtree " {
		t.Fatalf("libs %q, %v", libs.String(), err)
	}
	c, _ = New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir, "PKG_CONFIG_DISABLE_UNINSTALLED=1"}})
	if libs, _ := c.Libs("u"); libs.String() != "-linstalled " {
		t.Fatalf("with uninstalled disabled: %q", libs.String())
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	writePC(t, dir, "a", pc("a", "1.0", "Requires: b >= 2, missing\n"))
	writePC(t, dir, "b", pc("b", "1.5", ""))
	writePC(t, dir, "c", pc("C Lib", "1.0", "Requires: b\nConflicts: b < 2\n"))
	writePC(t, dir, "self", "x={y}\ny=$${x}\nz=${y}\n"+pc("self", "1", ""))
	writePC(t, dir, "nover", "Name: nover\nDescription: d\n")
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})

	_, err := c.Libs("a")
	var ve *VersionError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ve) || ve.Found != "1.5" || ve.RequiredBy != "a" {
		t.Fatalf("a: %v", err)
	}
	var re *ResolveError
	if !errors.As(err, &re) || len(re.Messages) != 6 || re.Messages[0] != "Package dependency requirement 'b >= 2' could not be satisfied.\n" {
		t.Fatalf("messages %q", re.Messages)
	}
	var ce *ConflictError
	if _, err := c.Libs("c"); !errors.As(err, &ce) || ce.By != "C Lib" {
		t.Fatalf("c: %v", err)
	}
	_, err = c.Load(filepath.Join(dir, "self.pc"))
	var ie *InvalidFileError
	if !errors.As(err, &ie) || !errors.Is(err, ErrExpansionTooDeep) || !strings.Contains(err.Error(), "self.pc:3:") {
		t.Fatalf("self: %v", err)
	}
	_, err = c.Load(filepath.Join(dir, "nover.pc"))
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "does not declare a `Version' field") {
		t.Fatalf("nover: %v", err)
	}
	if _, err := c.Find("nothere"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("find: %v", err)
	}
}

// One client reads each file once: a file changed after the first query
// is not read again.
func TestCached(t *testing.T) {
	dir := t.TempDir()
	path := writePC(t, dir, "k", pc("k", "1.0", ""))
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	if v, _ := c.Modversion("k"); v != "1.0" {
		t.Fatalf("version %q", v)
	}
	os.WriteFile(path, []byte(pc("k", "2.0", "")), 0o644)
	if v, _ := c.Modversion("k"); v != "1.0" {
		t.Fatalf("re-read the file: %q", v)
	}
	c2, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	if v, _ := c2.Modversion("k"); v != "2.0" {
		t.Fatalf("new client: %q", v)
	}
}

func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 20; i++ {
		req := ""
		if i > 0 {
			req = "Requires: m" + string(rune('a'+i-1)) + "\n"
		}
		writePC(t, dir, "m"+string(rune('a'+i)), pc("m", "1", req+"Libs: -lm"+string(rune('a'+i))+"\n"))
	}
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	want, err := c.Libs("mt")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				got, err := c.Libs("m" + string(rune('a'+i)))
				if err != nil || (i == 19 && got.String() != want.String()) {
					t.Errorf("concurrent libs: %v %q", err, got.String())
				}
			}
		}()
	}
	wg.Wait()
}

func TestStaticAndSysroot(t *testing.T) {
	dir := t.TempDir()
	writePC(t, dir, "s", pc("s", "1", "prefix=/usr\nRequires.private: p\nLibs: -L${prefix}/lib -ls\nLibs.private: -lspriv\nCflags: -I/opt/s\n"))
	writePC(t, dir, "p", pc("p", "1", "Libs: -lp\nCflags: -DP\n"))
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir, "PKG_CONFIG_SYSROOT_DIR=/sr"}})
	libs, _ := c.Libs("s")
	static, _ := c.WithStatic(true).Libs("s")
	cflags, _ := c.Cflags("s")
	if libs.String() != "-L/sr/usr/lib -ls " || static.String() != "-L/sr/usr/lib -ls -lspriv -lp " || cflags.String() != "-I/sr/opt/s -DP " {
		t.Fatalf("libs %q static %q cflags %q", libs.String(), static.String(), cflags.String())
	}
	v, ok, err := c.Variable("s", "pc_sysrootdir")
	if err != nil || !ok || v != "/sr" {
		t.Fatalf("pc_sysrootdir %q %v %v", v, ok, err)
	}
}

func TestList(t *testing.T) {
	dir := t.TempDir()
	writePC(t, dir, "one", pc("one", "1", ""))
	writePC(t, dir, "broken", "Name: broken\n")
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	pkgs, bad := c.List()
	if len(pkgs) != 1 || pkgs[0].ID != "one" || len(bad) != 1 || !strings.HasSuffix(bad[0].Path, "broken.pc") {
		t.Fatalf("list %v bad %v", pkgs, bad)
	}
}

// A chain of diamonds has 2^n paths; pkgconf walks them all, this package
// gives up with ErrGraphTooLarge instead of hanging.
func TestGraphTooLarge(t *testing.T) {
	dir := t.TempDir()
	const n = 30
	for i := 0; i < n; i++ {
		next := ""
		if i+1 < n {
			next = fmt.Sprintf("Requires: a%d b%d\n", i+1, i+1)
		}
		writePC(t, dir, fmt.Sprintf("a%d", i), pc("a", "1", next+"Cflags: -DA\n"))
		writePC(t, dir, fmt.Sprintf("b%d", i), pc("b", "1", next+"Cflags: -DB\n"))
	}
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	if _, err := c.Cflags("a0"); !errors.Is(err, ErrGraphTooLarge) {
		t.Fatalf("got %v, want ErrGraphTooLarge", err)
	}
	if _, err := c.Cflags("a25"); err != nil {
		t.Fatalf("a small part of the graph: %v", err)
	}
}

// TestExpansionBlowUp loads a file whose values double the work of
// expanding at each of 40 levels ("$" glued to "{y}" makes a reference
// that is expanded again when the value is used), with nothing to show
// for it: every value is empty, so the 64 KiB output bound never stops
// it. pkgconf spends 2^40 steps on it (9 s at 24 levels here); the client
// must reject the file, naming it and the line, instead of spinning for
// ever (the background reader would do so for a file no query names).
func TestExpansionBlowUp(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("d=$\ny0=\n")
	for k := 1; k <= 40; k++ {
		fmt.Fprintf(&b, "y%d=${d}{y%d}${d}{y%d}\n", k, k-1, k-1)
	}
	b.WriteString("z=${y40}\n")
	path := writePC(t, dir, "blowup", b.String()+pc("blowup", "1", ""))
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	done := make(chan error, 1)
	go func() {
		_, err := c.Load(path)
		done <- err
	}()
	select {
	case err := <-done:
		var ie *InvalidFileError
		if !errors.As(err, &ie) || !errors.Is(err, ErrExpansionTooDeep) || !strings.Contains(err.Error(), "blowup.pc:43:") {
			t.Fatalf("Load = %v; want an InvalidFileError at blowup.pc:43 wrapping ErrExpansionTooDeep", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Load of a file whose expansion doubles at each of 40 levels did not return in 60 s")
	}
}
