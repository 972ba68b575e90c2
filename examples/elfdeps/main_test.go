package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"tree"}, {"list"}, {"missing"}, {"wrap", "/bin/true"}, {"wrap", "--set", "NOEQUALS", "--out", "x", "/bin/true"}} {
		if code, _, _ := runCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errs := runCmd("tree", "/nonexistent/file"); code != 1 || !strings.Contains(errs, "/nonexistent/file") {
		t.Errorf("missing file: %d %q", code, errs)
	}
	script := filepath.Join(t.TempDir(), "script")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	if code, _, errs := runCmd("tree", script); code != 1 || !strings.Contains(errs, "not an ELF file") {
		t.Errorf("not ELF: %d %q", code, errs)
	}
}

// TestListMatchesLdSo compares `elfdeps list` with the loader's own list.
func TestListMatchesLdSo(t *testing.T) {
	ld := testenv.RequireFile(t, "/lib64/ld-linux-x86-64.so.2", "needs glibc's x86_64 loader")
	for _, f := range []string{"/usr/bin/python3", "/usr/bin/bash"} {
		code, out, errs := runCmd("list", f)
		if code != 0 {
			t.Fatalf("%s: exit %d %s", f, code, errs)
		}
		cmd := exec.Command(ld, "--list", f)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		want, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(string(want), "\n") {
			l = regexp.MustCompile(` \(0x[0-9a-f]+\)$`).ReplaceAllString(l, "")
			if l != "" && !strings.Contains(l, "linux-vdso") {
				lines = append(lines, l)
			}
		}
		if got := strings.TrimRight(out, "\n"); got != strings.Join(lines, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", f, got, strings.Join(lines, "\n"))
		}
	}
}

func TestTreeJSONAndRoot(t *testing.T) {
	root := testenv.ForeignRoot(t)
	code, out, errs := runCmd("tree", "/usr/bin/hello", "--json", "--root", root)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var trees []struct {
		Path   string `json:"path"`
		Interp string `json:"interpreter"`
		Needed []struct {
			Name, Path string
		} `json:"needed"`
	}
	if err := json.Unmarshal([]byte(out), &trees); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(trees) != 1 || trees[0].Interp != "/lib/ld-linux-aarch64.so.1" || len(trees[0].Needed) != 1 || trees[0].Needed[0].Path != "/lib/aarch64-linux-gnu/libc.so.6" {
		t.Errorf("tree: %+v", trees)
	}
	code, out, _ = runCmd("tree", "--root", root, "/usr/bin/hello")
	if code != 0 || !strings.HasPrefix(out, "/usr/bin/hello (interpreter => /lib/ld-linux-aarch64.so.1)\n    libc.so.6 => /lib/aarch64-linux-gnu/libc.so.6\n") {
		t.Errorf("text tree: %d %q", code, out)
	}
}

func TestWrapFlagsInOrder(t *testing.T) {
	out := t.TempDir()
	code, stdout, errs := runCmd("wrap", "--out", out, "--set", "A=1", "--sep", ";", "--prefix", "P=x y", "--unset", "B", "--argv0", "target", "--add-flag", "-q", "/bin/true")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.TrimSpace(stdout) != filepath.Join(out, "true") {
		t.Errorf("stdout %q", stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "true"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	ia, ip, iu := strings.Index(s, "export A='1'"), strings.Index(s, `P='x y'';'"${P}"`), strings.Index(s, "unset B")
	if ia < 0 || ip < 0 || iu < 0 || !(ia < ip && ip < iu) {
		t.Errorf("operations missing or out of order:\n%s", s)
	}
	if !strings.Contains(s, "exec '/bin/true' '-q' \"$@\"") {
		t.Errorf("exec line:\n%s", s)
	}
	cmd := exec.Command(filepath.Join(out, "true"))
	if err := cmd.Run(); err != nil {
		t.Errorf("running the wrapper: %v", err)
	}
}

// `missing --root R DIR` scans DIR inside the root, as `tree --root` takes
// its FILE inside it.
func TestMissingInRoot(t *testing.T) {
	root := testenv.ForeignRoot(t)
	code, out, errs := runCmd("missing", "--root", root, "/usr/bin")
	if code != 0 || errs != "" || !strings.Contains(out, "/usr/bin: 1 dynamically linked ELF files, 0 with missing libraries") {
		t.Errorf("exit %d\nstdout %q\nstderr %.500q", code, out, errs)
	}
}
