package elfwrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"pgregory.net/rapid"
)

func writeFiles(t testing.TB, root string, files map[string]string) {
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseLDConf(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"etc/ld.so.conf":              "# comment\ninclude /etc/ld.so.conf.d/*.conf\n/opt/first/  # trailing\n",
		"etc/ld.so.conf.d/b.conf":     "/usr/lib/b\nhwcap 0 nosegneg\n",
		"etc/ld.so.conf.d/a.conf":     "/usr/lib/a=libc6\ninclude sub/*.conf\n",
		"etc/ld.so.conf.d/sub/c.conf": "/usr/lib/c\n/usr/lib/a\n",
		"etc/ld.so.conf.d/skip.txt":   "/not/this\n",
	})
	got, err := ParseLDConf(root, "/etc/ld.so.conf")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/usr/lib/a", "/usr/lib/c", "/usr/lib/b", "/opt/first"}; !cmp.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// The host's file parses and names the multiarch directory.
	if host, err := ParseLDConf("", "/etc/ld.so.conf"); err == nil && !contains(host, "/usr/lib/x86_64-linux-gnu") {
		t.Errorf("host ld.so.conf: %v", host)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestParseLDConfLoop(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"etc/ld.so.conf": "include /etc/a.conf\n",
		"etc/a.conf":     "/lib/a\ninclude /etc/b.conf\n",
		"etc/b.conf":     "include /etc/a.conf\n",
	})
	_, err := ParseLDConf(root, "/etc/ld.so.conf")
	if !errors.Is(err, ErrLoop) {
		t.Fatalf("got %v, want ErrLoop", err)
	}
	if !strings.Contains(err.Error(), "/etc/a.conf") {
		t.Errorf("error does not name the file: %v", err)
	}
}

// TestRootWithConfOnly resolves in a root that has ld.so.conf but no cache:
// the conf directories stand in for the cache.
func TestRootWithConfOnly(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"etc/ld.so.conf": "/opt/libs\n"})
	os.MkdirAll(filepath.Join(root, "opt/libs"), 0o755)
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	b := readFixture(t, "tiny.so")
	os.WriteFile(filepath.Join(root, "opt/libs/libtiny.so.1"), b, 0o644)
	os.WriteFile(filepath.Join(root, "bin/tinyexe"), readFixture(t, "tinyexe"), 0o755)
	res, err := (&Resolver{Root: root}).Resolve(context.Background(), "/bin/tinyexe")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Order) == 0 || res.Order[0].Path != "/opt/libs/libtiny.so.1" || res.Order[0].Source != SourceCache {
		t.Errorf("order %+v", res.Order)
	}
	// The interpreter and libc are not in this root: reported, with chains.
	names := map[string]bool{}
	for _, m := range res.MissingList() {
		names[m.Name] = true
	}
	if !names["libc.so.6"] || !names["/lib64/ld-linux-x86-64.so.2"] {
		t.Errorf("missing %+v", res.MissingList())
	}
}

// TestParseLDConfProperty: any directory list written one per line, with
// comments and blank lines mixed in, parses back in order without
// duplicates.
func TestParseLDConfProperty(t *testing.T) {
	root := t.TempDir()
	rapid.Check(t, func(rt *rapid.T) {
		dirs := rapid.SliceOfN(rapid.StringMatching(`/[a-z0-9_.-]{1,8}(/[a-z0-9_.-]{1,8}){0,3}`), 0, 10).Draw(rt, "dirs")
		var b strings.Builder
		for _, d := range dirs {
			if rapid.Bool().Draw(rt, "comment") {
				b.WriteString("# a comment\n\n")
			}
			b.WriteString("  " + d + "/ # why\n")
		}
		os.WriteFile(filepath.Join(root, "c.conf"), []byte(b.String()), 0o644)
		got, err := ParseLDConf(root, "/c.conf")
		if err != nil {
			rt.Fatal(err)
		}
		var want []string
		seen := map[string]bool{}
		for _, d := range dirs {
			if !seen[d] {
				seen[d] = true
				want = append(want, d)
			}
		}
		if !cmp.Equal(got, want, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") })) {
			rt.Fatalf("got %v, want %v", got, want)
		}
	})
}

func FuzzParseLDConf(f *testing.F) {
	f.Add("include /etc/ld.so.conf.d/*.conf\n/usr/local/lib\n")
	f.Add("hwcap 1 x\n/a=libc6 # c\ninclude x/*.conf\n")
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, conf string) {
		if err := os.WriteFile(filepath.Join(root, "ld.so.conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs, err := ParseLDConf(root, "/ld.so.conf")
		if err != nil {
			return
		}
		for _, d := range dirs {
			if d == "" || strings.ContainsAny(d, "\n#") {
				t.Fatalf("bad directory %q", d)
			}
		}
	})
}

// A hostile root whose configuration files each include the next one many
// times (no cycle, nesting within the limit) is read in time linear in its
// size, with each directory once in its first place.
func TestParseLDConfRepeatedIncludes(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{"etc/ld.so.conf": "/first\n" + strings.Repeat("include /etc/l1.conf\n", 32)}
	for i := 1; i <= 12; i++ {
		next := ""
		if i < 12 {
			next = strings.Repeat(fmt.Sprintf("include /etc/l%d.conf ", i+1), 32) + "\n"
		}
		files[fmt.Sprintf("etc/l%d.conf", i)] = fmt.Sprintf("/lib/l%d\n", i) + next + fmt.Sprintf("/lib/l%d-after\n", i)
	}
	writeFiles(t, root, files)
	type result struct {
		dirs []string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		d, err := ParseLDConf(root, "/etc/ld.so.conf")
		done <- result{d, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("ParseLDConf did not finish: repeated includes are read again and again")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{"/first"}
	for i := 1; i <= 12; i++ {
		want = append(want, fmt.Sprintf("/lib/l%d", i))
	}
	for i := 12; i >= 1; i-- {
		want = append(want, fmt.Sprintf("/lib/l%d-after", i))
	}
	if strings.Join(r.dirs, " ") != strings.Join(want, " ") {
		t.Errorf("dirs %q, want %q", r.dirs, want)
	}
}

// ldconfigDirs runs `ldconfig -r root -N -X -v` (nothing written) and
// returns the directories it reads, in order.
func ldconfigDirs(t *testing.T, root string) []string {
	t.Helper()
	ldconfig := testenv.RequireTool(t, "ldconfig")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, ldconfig, "-r", root, "-N", "-X", "-v").Output()
	if err != nil {
		t.Fatalf("ldconfig -r %s: %v", root, err)
	}
	var dirs []string
	for _, l := range strings.Split(string(out), "\n") {
		if d, _, ok := strings.Cut(l, ": (from "); ok {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// In a root, an absolute symbolic link among the configuration files (the
// file itself, or the directory an include pattern names) points inside
// the root, as ldconfig -r reads it, never at the host's files.
func TestParseLDConfSymlinksInRoot(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"conf/real.conf": "/opt/a\ninclude /etc/ld.so.conf.d/*.conf\n",
		"confd/b.conf":   "/opt/b\n",
	})
	for _, d := range []string{"opt/a", "opt/b", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/conf/real.conf", filepath.Join(root, "etc/ld.so.conf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/confd", filepath.Join(root, "etc/ld.so.conf.d")); err != nil {
		t.Fatal(err)
	}
	want := ldconfigDirs(t, root)
	if !cmp.Equal(want, []string{"/opt/a", "/opt/b"}) {
		t.Fatalf("ldconfig -r read %v; the test expects /opt/a and /opt/b", want)
	}
	got, err := ParseLDConf(root, "/etc/ld.so.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got, want) {
		t.Errorf("ParseLDConf = %v, ldconfig -r reads %v", got, want)
	}
	// The resolver's cache stand-in in the same root.
	_, dirs, err := (&Resolver{Root: root}).LoadedCache()
	if err != nil || !cmp.Equal(dirs, want) {
		t.Errorf("Resolver ld.so.conf dirs = %v, %v; want %v", dirs, err, want)
	}
}

// ldconfig strips every trailing slash from a directory line, so "/" and
// "//" name no directory at all and are dropped (ldconfig -r agrees).
func TestParseLDConfRootLine(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"etc/ld.so.conf": "/\n//\n/opt/a/\n"})
	if err := os.MkdirAll(filepath.Join(root, "opt/a"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := ldconfigDirs(t, root)
	got, err := ParseLDConf(root, "/etc/ld.so.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got, want) {
		t.Errorf("ParseLDConf = %q, ldconfig -r reads %q", got, want)
	}
}

// glob(3), which ldconfig uses for `include`, does not let `*` match a
// leading dot; Go's filepath.Glob does. A hidden .c.conf beside b.conf is
// skipped by ldconfig -r, by ParseLDConf in a root and on the host.
func TestIncludeGlobSkipsDotFiles(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"etc/ld.so.conf":             "/opt/a\ninclude /etc/ld.so.conf.d/*.conf\n",
		"etc/ld.so.conf.d/b.conf":    "/opt/b\n",
		"etc/ld.so.conf.d/.c.conf":   "/opt/c\n",
		"etc/ld.so.conf.d/.d/x.conf": "/opt/d\n",
	})
	for _, d := range []string{"opt/a", "opt/b", "opt/c", "opt/d"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := ldconfigDirs(t, root)
	if !cmp.Equal(want, []string{"/opt/a", "/opt/b"}) {
		t.Fatalf("ldconfig -r read %v; the test expects /opt/a and /opt/b", want)
	}
	got, err := ParseLDConf(root, "/etc/ld.so.conf")
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("ParseLDConf in a root = %v, %v; ldconfig -r reads %v", got, err, want)
	}
	// On the host (no root): the same files through absolute paths.
	host := filepath.Join(t.TempDir(), "ld.so.conf")
	d := filepath.Join(root, "etc/ld.so.conf.d")
	if err := os.WriteFile(host, []byte("include "+d+"/*.conf\ninclude "+d+"/*/x.conf\ninclude "+d+"/.*.conf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = ParseLDConf("", host)
	if err != nil || !cmp.Equal(got, []string{"/opt/b", "/opt/c"}) {
		t.Errorf("ParseLDConf on the host = %v, %v; want /opt/b (*.conf) and /opt/c (.*.conf), not /opt/d (*/ does not match .d)", got, err)
	}
}
