package mesonbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func touch(t testing.TB, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScanPrefix(t *testing.T) {
	p := t.TempDir()
	touch(t, filepath.Join(p, "lib/x86_64-linux-gnu/libfoo.so.1"))
	touch(t, filepath.Join(p, "lib/x86_64-linux-gnu/pkgconfig/foo.pc"))
	touch(t, filepath.Join(p, "lib/pkgconfig/bar.pc"))
	touch(t, filepath.Join(p, "lib64/libbaz.so"))
	touch(t, filepath.Join(p, "lib/python3/dist-packages/x.py"))
	touch(t, filepath.Join(p, "share/pkgconfig/proto.pc"))
	touch(t, filepath.Join(p, "share/wayland-sessions/sway.desktop"))
	touch(t, filepath.Join(p, "bin/sway"))
	touch(t, filepath.Join(p, "libexec/helper"))
	touch(t, filepath.Join(p, "lib/empty/pkgconfig/notpc.txt"))
	got, err := ScanPrefix(p)
	if err != nil {
		t.Fatal(err)
	}
	want := PrefixLayout{
		Prefix:        p,
		PkgConfigDirs: []string{p + "/lib/x86_64-linux-gnu/pkgconfig", p + "/lib/pkgconfig", p + "/share/pkgconfig"},
		LibDirs:       []string{p + "/lib/x86_64-linux-gnu", p + "/lib64"},
		BinDirs:       []string{p + "/bin"},
		DataDirs:      []string{p + "/share"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	empty, err := ScanPrefix(filepath.Join(p, "does-not-exist"))
	if err != nil || len(empty.PkgConfigDirs)+len(empty.LibDirs) != 0 {
		t.Errorf("missing prefix: %+v %v", empty, err)
	}
}

func TestRunEnvVars(t *testing.T) {
	e := EnvFor([]PrefixLayout{
		{Prefix: "/a", BinDirs: []string{"/a/bin"}, LibDirs: []string{"/a/lib"}, PkgConfigDirs: []string{"/a/lib/pkgconfig"}, DataDirs: []string{"/a/share"}},
		{Prefix: "/b", BinDirs: []string{"/b/bin", "/a/bin"}, PkgConfigDirs: []string{"/b/share/pkgconfig"}},
	}, false)
	got := e.Vars([]string{"PATH=/usr/bin:/bin", "PKG_CONFIG_PATH="})
	want := []string{
		"PATH=/a/bin:/b/bin:/usr/bin:/bin",
		"LD_LIBRARY_PATH=/a/lib",
		"XDG_DATA_DIRS=/a/share:/usr/local/share:/usr/share",
		"PKG_CONFIG_PATH=/a/lib/pkgconfig:/b/share/pkgconfig",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// no PATH in base: the system's directories stay behind the prefixes'
	if got := e.Vars([]string{"HOME=/h"}); got[0] != "PATH=/a/bin:/b/bin:/usr/local/bin:/usr/bin:/bin" {
		t.Errorf("without PATH in base: %q", got[0])
	}
	r := EnvFor([]PrefixLayout{{PkgConfigDirs: []string{"/a/pc"}}}, true)
	applied := r.Apply([]string{"PKG_CONFIG_LIBDIR=/old", "HOME=/h"})
	if d := cmp.Diff([]string{"HOME=/h", "PKG_CONFIG_LIBDIR=/a/pc"}, applied); d != "" {
		t.Errorf("replace: %s", d)
	}
}

// The script, sourced by a real shell, yields exactly the directories,
// whatever characters the paths hold.
func TestRunEnvScriptProperties(t *testing.T) {
	sh := testenv.RequireTool(t, "sh")
	rapid.Check(t, func(t *rapid.T) {
		dir := "/" + rapid.StringMatching(`[a-zA-Z0-9 '"$\x60\\;&|()*?!#~-]{1,20}`).Draw(t, "dir")
		if strings.Contains(dir, ":") {
			return
		}
		e := RunEnv{LibraryPath: []string{dir}, XDGDataDirs: []string{dir + "/share"}, PkgConfigLibDir: []string{dir + "/pc"}}
		script, err := e.Script()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sh, "-c", string(script)+"\nprintf '%s\\n' \"$LD_LIBRARY_PATH\" \"$XDG_DATA_DIRS\" \"$PKG_CONFIG_LIBDIR\"")
		cmd.Env = []string{"LD_LIBRARY_PATH=/old", "PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s\n%s", err, out, script)
		}
		want := dir + ":/old\n" + dir + "/share:/usr/local/share:/usr/share\n" + dir + "/pc\n"
		if string(out) != want {
			t.Fatalf("got %q want %q\n%s", out, want, script)
		}
	})
}
