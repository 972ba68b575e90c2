package mesonbuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

const loaderOutput = "\tlinux-vdso.so.1 (0x00007ffd3b5f2000)\n" +
	"\tlibfoo.so => not found\n" +
	"\tlibval.so.2 => /opt/p/lib/x86_64-linux-gnu/libval.so.2 (0x00007f1c2a9e5000)\n" +
	"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1c2a804000)\n" +
	"\t/lib64/ld-linux-x86-64.so.2 (0x00007f1c2a9f9000)\n"

func TestParseLoaderList(t *testing.T) {
	got, err := ParseLoaderList([]byte(loaderOutput))
	if err != nil {
		t.Fatal(err)
	}
	want := []ResolvedLibrary{
		{Name: "libfoo.so"},
		{Name: "libval.so.2", Path: "/opt/p/lib/x86_64-linux-gnu/libval.so.2", Found: true},
		{Name: "libc.so.6", Path: "/lib/x86_64-linux-gnu/libc.so.6", Found: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if libs, err := ParseLoaderList([]byte("\tstatically linked\n")); err != nil || len(libs) != 0 {
		t.Errorf("static: %v %v", libs, err)
	}
	for _, bad := range []string{"garbage here now", "libx.so => relative (0x1)", " => /x (0x1)"} {
		if _, err := ParseLoaderList([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestParseLoaderListProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 10).Draw(t, "n")
		var b strings.Builder
		var want []ResolvedLibrary
		for i := 0; i < n; i++ {
			name := rapid.StringMatching(`lib[a-z0-9_+-]{1,10}\.so(\.[0-9]){0,3}`).Draw(t, "name")
			if rapid.Bool().Draw(t, "found") {
				p := "/" + rapid.StringMatching(`[a-z0-9_ ./-]{1,30}`).Draw(t, "path") + "/" + name
				fmt.Fprintf(&b, "\t%s => %s (0x%x)\n", name, p, rapid.Uint64().Draw(t, "addr"))
				want = append(want, ResolvedLibrary{Name: name, Path: p, Found: true})
			} else {
				fmt.Fprintf(&b, "\t%s => not found\n", name)
				want = append(want, ResolvedLibrary{Name: name})
			}
		}
		got, err := ParseLoaderList([]byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 && len(got) == 0 {
			return
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatal(d)
		}
	})
}

func FuzzParseLoaderList(f *testing.F) {
	f.Add([]byte(loaderOutput))
	f.Add([]byte("\tstatically linked\n"))
	f.Add([]byte("libx.so => /a b (0x1) (0x2)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		libs, err := ParseLoaderList(data)
		if err != nil {
			return
		}
		for _, l := range libs {
			if l.Name == "" || l.Found != (l.Path != "") || l.Found && !strings.HasPrefix(l.Path, "/") {
				t.Fatalf("bad entry %+v", l)
			}
		}
	})
}

// fakeResolver answers from a table, as a static resolver would.
type fakeResolver map[string][]ResolvedLibrary

func (f fakeResolver) Resolve(ctx context.Context, program string, env []string) ([]ResolvedLibrary, error) {
	for _, kv := range env {
		if strings.HasPrefix(kv, "LD_LIBRARY_PATH=") {
			return nil, errors.New("LD_LIBRARY_PATH was not removed")
		}
	}
	libs, ok := f[program]
	if !ok {
		return nil, ErrNotDynamic
	}
	return libs, nil
}

func TestCheckLinkingClassifies(t *testing.T) {
	prefix := t.TempDir()
	libdir := filepath.Join(prefix, "lib", "x86_64-linux-gnu")
	if err := os.MkdirAll(libdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"libval.so.2", "libold.so.1"} {
		if err := os.WriteFile(filepath.Join(libdir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	layout, err := ScanPrefix(prefix)
	if err != nil {
		t.Fatal(err)
	}
	r := fakeResolver{
		"/good": {{Name: "libval.so.2", Path: filepath.Join(libdir, "libval.so.2"), Found: true}, {Name: "libc.so.6", Path: "/lib/x86_64-linux-gnu/libc.so.6", Found: true}},
		"/bad":  {{Name: "libval.so.2"}, {Name: "libold.so.1", Path: "/usr/lib/libold.so.1", Found: true}},
	}
	reps := CheckLinking(context.Background(), r, []PrefixLayout{layout}, []string{"/good", "/bad", "/static"}, []string{"LD_LIBRARY_PATH=/x"})
	if !reps[0].OK() || len(reps[0].FromPrefix) != 1 {
		t.Errorf("good: %+v", reps[0])
	}
	if reps[1].OK() || len(reps[1].Missing) != 1 || len(reps[1].Elsewhere) != 1 || !strings.Contains(reps[1].Elsewhere[0], "/usr/lib/libold.so.1") {
		t.Errorf("bad: %+v", reps[1])
	}
	if !errors.Is(reps[2].Err, ErrNotDynamic) || reps[2].OK() {
		t.Errorf("static: %+v", reps[2])
	}
}

// The real loader on a system program: everything resolves, nothing from
// a prefix.
func TestLoaderResolverOnSystemProgram(t *testing.T) {
	testenv.RequireLinux(t)
	sh := testenv.RequireTool(t, "sh")
	sh, _ = filepath.EvalSymlinks(sh)
	interp, err := ProgramInterpreter(sh)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(interp, "ld-") {
		t.Errorf("interpreter %q", interp)
	}
	libs, err := LoaderResolver{}.Resolve(context.Background(), sh, os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range libs {
		if !l.Found {
			t.Errorf("%s not found", l.Name)
		}
		if strings.HasPrefix(l.Name, "libc.so") {
			found = true
		}
	}
	if !found {
		t.Errorf("libc not among %+v", libs)
	}
	if _, err := ProgramInterpreter("testdata/chain/libval-1/val.c"); !errors.Is(err, ErrNotDynamic) {
		t.Errorf("a C file: %v", err)
	}
}
