package pkgconfig

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func pkgconfEnv(extra ...string) []string {
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

// TestVersionsAgainstPkgconf checks every comparison in versionCases with
// the real pkgconf, through "pkgconf --exists 'v OP x'".
func TestVersionsAgainstPkgconf(t *testing.T) {
	bin := testenv.RequireTool(t, "pkgconf")
	dir := t.TempDir()
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, tc := range versionCases {
		if strings.ContainsAny(tc.a+tc.b, " \t,") || tc.a == "" || tc.b == "" {
			continue
		}
		name := "v" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		writePC(t, dir, name, pc(name, tc.a, ""))
		for _, op := range []string{"<", "=", ">"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				cmd := exec.Command(bin, "--exists", name+" "+op+" "+tc.b)
				cmd.Env = pkgconfEnv("PKG_CONFIG_LIBDIR=" + dir)
				err := cmd.Run()
				if _, ok := err.(*exec.ExitError); err != nil && !ok {
					t.Error(err)
					return
				}
				want := err == nil
				if got := ParseComparator(op).Satisfied(tc.a, tc.b); got != want {
					mu.Lock()
					t.Errorf("%q %s %q: pkgconf says %v, we say %v", tc.a, op, tc.b, want, got)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
}

// TestLibraryAgainstPkgconf resolves every installed module with one
// client and compares with pkgconf --cflags --libs.
func TestLibraryAgainstPkgconf(t *testing.T) {
	bin := testenv.RequireTool(t, "pkgconf")
	env := pkgconfEnv()
	out, err := exec.Command(bin, "--list-package-names").Output()
	if err != nil {
		t.Fatal(err)
	}
	mods := strings.Fields(string(out))
	if len(mods) < 50 {
		testenv.Unavailable(t, "only %d modules installed; install the -dev packages .ci/run lists", len(mods))
	}
	want := make([]string, len(mods))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, m := range mods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command(bin, "--cflags", "--libs", m)
			cmd.Env = env
			b, err := cmd.Output()
			if err != nil {
				want[i] = "error"
				return
			}
			want[i] = string(b)
		}()
	}
	wg.Wait()
	c, err := New(Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range mods {
		cf, lf, err := c.Flags(m)
		got := "error"
		if err == nil {
			got = cf.String() + lf.String() + "\n"
		}
		if got != want[i] {
			t.Errorf("%s: pkgconf %q, library %q", m, want[i], got)
		}
	}
	// one client resolving every module lists the search directories
	// after indexAfter failed opens: the comparison above covered that
	if listDir(c.SearchPath()[0]) == nil {
		t.Logf("%s cannot be indexed (file system), the listing and the reader went untested", c.SearchPath()[0])
		return
	}
	if c.listed() == 0 || c.st.absent.Load() < indexAfter {
		t.Errorf("the client never listed its search directories (%d failed opens): the index path went untested", c.st.absent.Load())
	}
	// and, with two CPUs or more, read ahead in the background while the
	// queries above ran (the race detector watches the two)
	c.st.mu.Lock()
	preloading := c.st.preloading
	c.st.mu.Unlock()
	if runtime.GOMAXPROCS(0) > 1 && !preloading {
		t.Error("the client never started its background reader: that path went untested")
	}
}

func TestFixtureFilesParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/fixtures/*.pc")
	if len(files) < 40 {
		t.Fatalf("only %d fixtures", len(files))
	}
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=testdata/fixtures"}})
	for _, f := range files {
		p, err := c.Load(f)
		if (err != nil) != (filepath.Base(f) == "nodesc.pc") {
			t.Errorf("%s: %v", f, err)
		}
		if p != nil && p.Version == "" {
			t.Errorf("%s: no version", f)
		}
	}
}
