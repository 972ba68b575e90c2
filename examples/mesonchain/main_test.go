package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"prefix": "p", "projects": [{"name": "a", "source": "s", "bogus": 1}]}`), 0o644)
	for _, args := range [][]string{
		{"--nosuch"},
		{"a.json", "b.json"},
		{filepath.Join(dir, "missing.json")},
		{bad},
		{"-prefix", dir},                  // no projects
		{"-prefix", dir, "-p", "novalue"}, // bad -p
		{"-prefix", dir, "-p", "a=src", "-D", "b:x=1"},   // -D for an unknown project
		{"-prefix", dir, "-p", "a=src", "-D", "a-no-eq"}, // bad -D
		{"-prefix", dir, "-p", "a=src:b", "-p", "b=s:a"}, // cycle
	} {
		code, _, stderr := runCmd(t, args...)
		if code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if _, _, stderr := runCmd(t, bad); !strings.Contains(stderr, `unknown field "bogus"`) {
		t.Errorf("chain file error: %s", stderr)
	}
}

func TestBuildChainFromFileAndFlags(t *testing.T) {
	testenv.RequireTool(t, "meson")
	testenv.RequireTool(t, "ninja")
	testenv.RequireTool(t, "cc")
	dir := t.TempDir()
	copyTree(t, "../../mesonbuild/testdata/chain", filepath.Join(dir, "src"))
	chainFile := filepath.Join(dir, "chain.json")
	os.WriteFile(chainFile, []byte(`{"prefix": "prefix", "workdir": "work", "env_script": "env.sh", "clangd": ".",
  "projects": [
    {"name": "libval", "source": "src/libval-2"},
    {"name": "appval", "source": "src/appval", "depends_on": ["libval"]}]}`), 0o644)

	// The file, plus a third project and an option from flags.
	args := []string{"-runpath", "-check-linking", "-p", "apptool=" + filepath.Join(dir, "src", "apptool") + ":appval", "-D", "appval:scale=7", chainFile}
	code, out, stderr := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"libval   built", "appval   built", "apptool  built",
		"compile_commands.json: " + filepath.Join(dir, "compile_commands.json"),
		"env script: . " + filepath.Join(dir, "env.sh"),
		"export LD_LIBRARY_PATH=" + filepath.Join(dir, "prefix", "lib"),
		filepath.Join(dir, "prefix", "bin", "apptool") + ": ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"libval: setup", "appval: compile", "apptool: built"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	// The installed program runs without any environment (RUNPATH).
	got, err := exec.Command(filepath.Join(dir, "prefix", "bin", "apptool")).CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "apptool: appval=294 (libval 2.0.0)" {
		t.Errorf("apptool: %v: %s", err, got)
	}

	// Again: nothing to do.
	code, out, _ = runCmd(t, args...)
	if code != 0 || strings.Count(out, "up to date") != 3 {
		t.Errorf("rerun: exit %d\n%s", code, out)
	}

	// A compile error: exit 1, the error names the project and the step.
	src := filepath.Join(dir, "src", "appval", "appval.c")
	orig, _ := os.ReadFile(src)
	os.WriteFile(src, []byte(strings.Replace(string(orig), "SCALE;", "SCALE", 1)), 0o644)
	code, out, stderr = runCmd(t, args...)
	if code != 1 || !strings.Contains(stderr, `project "appval": compile failed`) || !strings.Contains(out, "apptool  skipped") {
		t.Errorf("compile error: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(src, orig, 0o644)
	if code, out, stderr = runCmd(t, args...); code != 0 || !strings.Contains(out, "libval   up to date") {
		t.Errorf("after the fix: exit %d\n%s\n%s", code, out, stderr)
	}
}
