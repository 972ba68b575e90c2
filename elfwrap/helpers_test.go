package elfwrap

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// cc builds a C file with gcc. out ends in .so for a shared library.
// extra are more gcc arguments (-L, -l, -Wl,... ).
func cc(t *testing.T, out, src string, extra ...string) string {
	t.Helper()
	gcc := testenv.RequireTool(t, "gcc")
	dir := t.TempDir()
	c := filepath.Join(dir, "src.c")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-o", out, c}
	if strings.HasSuffix(out, ".so") || strings.Contains(filepath.Base(out), ".so.") {
		args = append([]string{"-shared", "-fPIC"}, args...)
	}
	args = append(args, extra...)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gcc, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
	return out
}

// lib builds a shared library exporting fn, with a SONAME equal to its
// base name.
func lib(t *testing.T, path, fn string, extra ...string) string {
	t.Helper()
	src := "int " + fn + "(void) { return 42; }\n"
	return cc(t, path, src, append([]string{"-Wl,-soname," + filepath.Base(path)}, extra...)...)
}
