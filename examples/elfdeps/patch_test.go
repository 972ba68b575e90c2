package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func runPatchT(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"patch"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func patchTestCopy(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestPatchUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--set-rpath"},
		{"--bogus", "x"},
		{"--output", "o", "a", "b"},
		{"--replace-needed", "only-one"},
		{"--in-place", "--set-rpath", "/x", "--output", "o", "a"},
		{"--in-place", "--autopatch", "dir"},
	} {
		if code, _, stderr := runPatchT(t, args...); code != 2 || !strings.Contains(stderr, "usage") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
	if code, stdout, _ := runPatchT(t, "--help"); code != 0 || !strings.Contains(stdout, "--set-interpreter") {
		t.Errorf("--help: %d %q", code, stdout)
	}
}

// TestPatchPrintsMatchPatchelf: the print flags give exactly what
// patchelf prints for the same file.
func TestPatchPrintsMatchPatchelf(t *testing.T) {
	pe := testenv.RequireTool(t, "patchelf")
	dir := t.TempDir()
	bin := filepath.Join(dir, "ls")
	patchTestCopy(t, "/usr/bin/ls", bin)
	if code, _, stderr := runPatchT(t, "--set-rpath", "/opt/a:/opt/b", bin); code != 0 {
		t.Fatalf("set-rpath: %s", stderr)
	}
	for _, flag := range []string{"--print-interpreter", "--print-needed", "--print-rpath"} {
		code, ours, stderr := runPatchT(t, flag, bin)
		if code != 0 {
			t.Fatalf("%s: %s", flag, stderr)
		}
		theirs, err := exec.CommandContext(context.Background(), pe, flag, bin).Output()
		if err != nil {
			t.Fatalf("patchelf %s: %v", flag, err)
		}
		if ours != string(theirs) {
			t.Errorf("%s: ours %q, patchelf %q", flag, ours, theirs)
		}
	}
	if code, ours, _ := runPatchT(t, "--print-rpath", bin); code != 0 || ours != "/opt/a:/opt/b\n" {
		t.Errorf("print-rpath after set: %q", ours)
	}
}

// TestPatchOutputAndRun: --output leaves the input untouched, the output
// runs and has the new values; all flags in one call.
func TestPatchOutputAndRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "ls")
	patchTestCopy(t, "/usr/bin/ls", in)
	before, _ := os.ReadFile(in)
	out := filepath.Join(dir, "ls-patched")
	interp := filepath.Join(dir, strings.Repeat("long-interpreter-dir-", 8))
	if err := os.MkdirAll(interp, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(interp, "ld.so")
	if err := os.Symlink("/lib64/ld-linux-x86-64.so.2", link); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runPatchT(t, "--set-interpreter", link, "--set-rpath", "/nonexistent/"+strings.Repeat("r", 200)+":/lib/x86_64-linux-gnu",
		"--force-rpath", "--add-needed", "libm.so.6", "--output", out, in)
	if code != 0 {
		t.Fatalf("patch: %s", stderr)
	}
	if after, _ := os.ReadFile(in); !bytes.Equal(before, after) {
		t.Fatal("--output modified the input")
	}
	cmd := exec.CommandContext(context.Background(), out, "--version")
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "coreutils") {
		t.Fatalf("patched ls: %v %s", err, b)
	}
	_, pr, _ := runPatchT(t, "--print-interpreter", "--print-needed", out)
	if !strings.HasPrefix(pr, link+"\nlibm.so.6\n") {
		t.Fatalf("prints %q", pr)
	}
	if code, _, stderr := runPatchT(t, "--remove-rpath", "--remove-needed", "libm.so.6", "--replace-needed", "libc.so.6", "libc.so.6", out); code != 0 {
		t.Fatalf("remove: %s", stderr)
	}
	_, pr, _ = runPatchT(t, "--print-rpath", "--print-needed", out)
	if strings.Contains(pr, "libm.so.6") || strings.Contains(pr, "nonexistent") {
		t.Fatalf("after removal: %q", pr)
	}
}

// TestPatchShrinkRpath keeps only directories holding a needed library.
func TestPatchShrinkRpath(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "ls")
	patchTestCopy(t, "/usr/bin/ls", bin)
	if code, _, stderr := runPatchT(t, "--set-rpath", "/nonexistent/a:/lib/x86_64-linux-gnu:/usr/share:$ORIGIN/lib", bin); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runPatchT(t, "--shrink-rpath", bin); code != 0 {
		t.Fatal(stderr)
	}
	if _, pr, _ := runPatchT(t, "--print-rpath", bin); pr != "/lib/x86_64-linux-gnu:$ORIGIN/lib\n" {
		t.Fatalf("shrunk rpath %q", pr)
	}
}

// TestPatchErrors: bad input gives exit 1, a message naming the file, and
// no output file.
func TestPatchErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, []byte("\x7fELF\x02\x01\x01garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := runPatchT(t, "--set-rpath", "/x", "--output", out, junk)
	if code != 1 || !strings.Contains(stderr, junk) || !strings.Contains(stderr, "malformed") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("output exists after failure")
	}
	cc := testenv.RequireTool(t, "gcc")
	src := filepath.Join(dir, "s.c")
	os.WriteFile(src, []byte("int main(void){return 0;}\n"), 0o644)
	static := filepath.Join(dir, "static")
	if b, err := exec.CommandContext(context.Background(), cc, "-static", "-o", static, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v %s", err, b)
	}
	code, _, stderr = runPatchT(t, "--set-interpreter", "/lib/ld.so", "--output", out, static)
	if code != 1 || !strings.Contains(stderr, "PT_INTERP") {
		t.Fatalf("static: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("output exists after failure")
	}
}

// TestPatchAutopatch: --autopatch sets interpreter and RUNPATH on a tree,
// reports what no directory provides, and the program runs.
func TestPatchAutopatch(t *testing.T) {
	tree := t.TempDir()
	bin := filepath.Join(tree, "bin", "ls")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	patchTestCopy(t, "/usr/bin/ls", bin)
	code, stdout, stderr := runPatchT(t, "--autopatch", tree, "--set-interpreter", "/lib64/ld-linux-x86-64.so.2",
		"--auto-libs", "/nonexistent:/lib/x86_64-linux-gnu")
	if code != 0 || !strings.Contains(stdout, "patched "+bin) || !strings.Contains(stdout, "runpath=/lib/x86_64-linux-gnu") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if b, err := exec.CommandContext(context.Background(), bin, "--version").CombinedOutput(); err != nil || !strings.Contains(string(b), "coreutils") {
		t.Fatalf("autopatched ls: %v %s", err, b)
	}
	if code, _, stderr := runPatchT(t, "--add-needed", "libnothere.so.3", bin); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr = runPatchT(t, "--autopatch", tree, "--dry-run")
	if code != 1 || !strings.Contains(stderr, "missing "+bin+": libnothere.so.3") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runPatchT(t, "--autopatch", tree, "--dry-run", "--ignore-missing"); code != 0 {
		t.Fatalf("--ignore-missing: exit %d", code)
	}
}

// TestPatchManyFiles: files are patched in parallel but printed in order.
func TestPatchManyFiles(t *testing.T) {
	dir := t.TempDir()
	var files []string
	var want strings.Builder
	for i := 0; i < 6; i++ {
		f := filepath.Join(dir, "ls"+string(rune('a'+i)))
		patchTestCopy(t, "/usr/bin/ls", f)
		rp := "/opt/" + strings.Repeat(string(rune('a'+i)), 10*i+1)
		if code, _, stderr := runPatchT(t, "--set-rpath", rp, f); code != 0 {
			t.Fatal(stderr)
		}
		files = append(files, f)
		want.WriteString(rp + "\n")
	}
	code, out, stderr := runPatchT(t, append([]string{"--print-rpath"}, files...)...)
	if code != 0 || out != want.String() {
		t.Fatalf("exit %d %q\nwant %q\n%s", code, out, want.String(), stderr)
	}
	// One bad file among good ones: exit 1, the others still patched.
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("not elf"), 0o644)
	code, _, stderr = runPatchT(t, append([]string{"--set-rpath", "/same"}, append(files, bad)...)...)
	if code != 1 || !strings.Contains(stderr, bad) {
		t.Fatalf("exit %d %q", code, stderr)
	}
	if _, out, _ := runPatchT(t, "--print-rpath", files[0]); out != "/same\n" {
		t.Fatalf("good file not patched: %q", out)
	}
}

// TestPatchInPlace: --in-place writes the same bytes as the atomic default,
// into the same inode (a hard link sees the change), for one file and for
// many; the patched program runs; a running program is refused and left
// as it was.
func TestPatchInPlace(t *testing.T) {
	dir := t.TempDir()
	rp := "/nonexistent/" + strings.Repeat("r", 300) + ":/lib/x86_64-linux-gnu"
	atomic := filepath.Join(dir, "ls-atomic")
	patchTestCopy(t, "/usr/bin/ls", atomic)
	if code, _, stderr := runPatchT(t, "--set-rpath", rp, atomic); code != 0 {
		t.Fatalf("atomic: %s", stderr)
	}
	want, _ := os.ReadFile(atomic)
	var files []string
	for _, name := range []string{"a", "b", "c"} {
		p := filepath.Join(dir, name)
		patchTestCopy(t, "/usr/bin/ls", p)
		files = append(files, p)
	}
	link := filepath.Join(dir, "a-link")
	if err := os.Link(files[0], link); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runPatchT(t, "--in-place", "--set-rpath", rp, files[0]); code != 0 {
		t.Fatalf("in place: %s", stderr)
	}
	if code, _, stderr := runPatchT(t, append([]string{"--in-place", "--no-sync", "--set-rpath", rp}, files[1:]...)...); code != 0 {
		t.Fatalf("in place, two files: %s", stderr)
	}
	for _, p := range append(files, link) {
		if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
			t.Fatalf("%s: in place wrote other bytes than the atomic default", p)
		}
	}
	b, err := exec.CommandContext(context.Background(), link, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(b), "coreutils") {
		t.Fatalf("patched ls: %v %s", err, b)
	}

	sleep := testenv.RequireTool(t, "sleep")
	prog := filepath.Join(dir, "sleep")
	patchTestCopy(t, sleep, prog)
	before, _ := os.ReadFile(prog)
	cmd := exec.Command(prog, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 3000; i++ { // until the exec has happened
		if exe, _ := os.Readlink("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/exe"); exe == prog {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, _, stderr := runPatchT(t, "--in-place", "--set-rpath", "/x", prog)
	if code != 1 || !strings.Contains(stderr, "text file busy") || !strings.Contains(stderr, prog) {
		t.Fatalf("running program: exit %d, %q", code, stderr)
	}
	if after, _ := os.ReadFile(prog); !bytes.Equal(after, before) {
		t.Fatal("a refused in-place patch changed the file")
	}
}

// TestPatchSameFileManyNames: one batch naming the same file several times
// (a glob over a library directory lists libfoo.so, libfoo.so.1 and
// libfoo.so.1.2.3, links to one file; or a name given twice) patches it as
// patchelf does, one name after the other: every name succeeds, the links
// stay links and the file holds what one patch writes. Repeated, since the
// names are patched in parallel workers.
func TestPatchSameFileManyNames(t *testing.T) {
	rp := "/nonexistent/" + strings.Repeat("r", 300) + ":/lib/x86_64-linux-gnu"
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	patchTestCopy(t, "/usr/bin/ls", ref)
	if code, _, stderr := runPatchT(t, "--no-sync", "--set-rpath", rp, ref); code != 0 {
		t.Fatalf("reference: %s", stderr)
	}
	want, _ := os.ReadFile(ref)
	for _, inPlace := range []bool{false, true} {
		for round := 0; round < 15; round++ {
			lib := filepath.Join(dir, "lib"+strconv.FormatBool(inPlace)+strconv.Itoa(round))
			if err := os.Mkdir(lib, 0o755); err != nil {
				t.Fatal(err)
			}
			real := filepath.Join(lib, "libfoo.so.1.2.3")
			patchTestCopy(t, "/usr/bin/ls", real)
			for _, l := range []string{"libfoo.so.1", "libfoo.so"} {
				if err := os.Symlink("libfoo.so.1.2.3", filepath.Join(lib, l)); err != nil {
					t.Fatal(err)
				}
			}
			hard := filepath.Join(lib, "hard")
			if err := os.Link(real, hard); err != nil {
				t.Fatal(err)
			}
			args := []string{"--no-sync", "--set-rpath", rp, filepath.Join(lib, "libfoo.so"), filepath.Join(lib, "libfoo.so.1"), real, real, hard}
			if inPlace {
				args = append([]string{"--in-place"}, args...)
			}
			if code, _, stderr := runPatchT(t, args...); code != 0 {
				t.Fatalf("in place %v, round %d: exit %d: %s", inPlace, round, code, stderr)
			}
			for _, l := range []string{"libfoo.so.1", "libfoo.so"} {
				if target, err := os.Readlink(filepath.Join(lib, l)); err != nil || target != "libfoo.so.1.2.3" {
					t.Fatalf("in place %v, round %d: %s is no longer the link (%q, %v)", inPlace, round, l, target, err)
				}
			}
			for _, p := range []string{real, hard} {
				if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
					t.Fatalf("in place %v, round %d: %s holds other bytes than one patch writes", inPlace, round, p)
				}
			}
		}
	}
}
