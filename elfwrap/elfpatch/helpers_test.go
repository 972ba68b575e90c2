package elfpatch

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// testCtx is a context with a generous timeout for commands run by tests.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// gcc compiles C source into out with extra arguments.
func gcc(t *testing.T, out, src string, args ...string) {
	t.Helper()
	cc := testenv.RequireTool(t, "gcc")
	dir := t.TempDir()
	cfile := filepath.Join(dir, "src.c")
	if err := os.WriteFile(cfile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(testCtx(t), cc, append(append([]string{"-o", out, cfile}, args...), "-O1")...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
}

// runResult is what a program printed and how it exited.
type runResult struct {
	out  string
	code int
	err  error
}

// runProg runs a program with a clean environment plus env.
func runProg(t *testing.T, path string, args []string, env ...string) runResult {
	t.Helper()
	return runCmd(t, path, args, env...)
}

func runCmd(t *testing.T, name string, args []string, env ...string) runResult {
	t.Helper()
	cmd := exec.CommandContext(testCtx(t), name, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=/nonexistent"}, env...)
	cmd.Args[0] = filepath.Base(name) // same argv[0] for original and copy
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	// A file just written can be briefly busy: another test's fork may
	// still hold a writable descriptor of its temporary file until that
	// child execs (golang.org/issue/22315). Retry those starts.
	for i := 0; i < 50 && errors.Is(err, syscall.ETXTBSY); i++ {
		time.Sleep(20 * time.Millisecond)
		cmd = exec.CommandContext(testCtx(t), name, args...)
		cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=/nonexistent"}, env...)
		cmd.Args[0] = filepath.Base(name)
		buf.Reset()
		cmd.Stdout, cmd.Stderr = &buf, &buf
		err = cmd.Run()
	}
	r := runResult{out: buf.String(), err: err}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
		r.err = nil
	}
	return r
}

// copyFile copies src to dst with mode.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, st.Mode().Perm()|0o200); err != nil {
		t.Fatal(err)
	}
}

// sameBytes fails unless files a and b hold the same bytes.
func sameBytes(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("%s (%d bytes) and %s (%d bytes) differ", a, len(x), b, len(y))
	}
}

// longDir returns a path of about n characters under root (created).
func longDir(t *testing.T, root string, n int) string {
	t.Helper()
	p := root
	for i := 0; len(p) < n; i++ {
		p = filepath.Join(p, "deep-directory-level-"+strings.Repeat(string(rune('a'+i%26)), 12))
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// longInterpreter makes a symlink to target in a deep directory and
// returns its path (longer than 200 characters).
func longInterpreter(t *testing.T, target string) string {
	t.Helper()
	dir := longDir(t, t.TempDir(), 220)
	link := filepath.Join(dir, "ld-linux-long.so")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// longRunpath returns a search path of several long directories that do
// not exist followed by the given real ones.
func longRunpath(real ...string) string {
	var parts []string
	for i := 0; i < 4; i++ {
		parts = append(parts, "/nonexistent/"+strings.Repeat("runpath-padding-", 6)+string(rune('a'+i)))
	}
	return strings.Join(append(parts, real...), ":")
}

// mustOpen opens an ELF file with this package.
func mustOpen(t *testing.T, path string) *File {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// checkFileLayout runs checkLayout on a file on disk.
func checkFileLayout(t *testing.T, path string) *elf.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return checkLayout(t, b)
}

// readelfView is what readelf -d and -l print about the patchable values.
type readelfView struct {
	interp string
	dyn    []string // "NEEDED libc.so.6", "RUNPATH /x", ... in order
}

var (
	reDynStr  = regexp.MustCompile(`\((NEEDED|RUNPATH|RPATH|SONAME)\)\s+[^\[]*\[(.*)\]\s*$`)
	reInterpL = regexp.MustCompile(`\[Requesting program interpreter: (.*)\]`)
)

// readelf runs readelf -dW and -lW on path and fails on warnings.
func readelf(t *testing.T, path string) readelfView {
	t.Helper()
	re := testenv.RequireTool(t, "readelf")
	var v readelfView
	for _, flag := range []string{"-dW", "-lW"} {
		cmd := exec.CommandContext(testCtx(t), re, flag, path)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("readelf %s %s: %v\n%s", flag, path, err, stderr.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("readelf %s %s warns:\n%s", flag, path, stderr.String())
		}
		for _, line := range strings.Split(stdout.String(), "\n") {
			if m := reDynStr.FindStringSubmatch(line); m != nil {
				v.dyn = append(v.dyn, m[1]+" "+m[2])
			}
			if m := reInterpL.FindStringSubmatch(line); m != nil {
				v.interp = m[1]
			}
		}
	}
	return v
}
