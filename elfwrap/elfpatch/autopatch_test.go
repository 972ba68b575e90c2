package elfpatch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// TestAutoPatch builds an unpacked-package-like tree: a program in bin/
// that needs a library in lib/ (found by SONAME through a symlink) and one
// library that exists nowhere, plus a foreign arm64 program. AutoPatch sets
// the interpreter and RUNPATH, reports the missing library, skips the
// foreign file, and the program runs (after the missing entry is dropped)
// without LD_LIBRARY_PATH, also after the tree is moved ($ORIGIN).
func TestAutoPatch(t *testing.T) {
	fx := buildFixture(t, "-pie", "-fPIE")
	tree := filepath.Join(t.TempDir(), "pkg")
	for _, d := range []string{"bin", "lib/private"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The library under a versioned file name with its SONAME as a symlink.
	copyFile(t, filepath.Join(fx.libdir, "libfoo.so"), filepath.Join(tree, "lib/libfoo.so.1.2.3"))
	if err := PatchFile(context.Background(), filepath.Join(tree, "lib/libfoo.so.1.2.3"), "", func(f *File) error {
		return f.SetSoname("libfoo.so.1")
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("libfoo.so.1.2.3", filepath.Join(tree, "lib/libfoo.so.1")); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(fx.libdir, "libplug.so"), filepath.Join(tree, "lib/private/libplug.so"))
	prog := filepath.Join(tree, "bin/prog")
	if err := PatchFile(context.Background(), fx.prog, prog, func(f *File) error {
		if err := f.ReplaceNeeded("libfoo.so", "libfoo.so.1"); err != nil {
			return err
		}
		return f.AddNeeded("libplug.so", "libdoesnotexist.so.9")
	}); err != nil {
		t.Fatal(err)
	}
	// A foreign program in the tree must be skipped (optional on a laptop).
	foreign := ""
	if hello := filepath.Join(testenv.ForeignDir(), "arm64-root/usr/bin/hello"); fileExists(hello) {
		foreign = filepath.Join(tree, "bin/hello-arm64")
		copyFile(t, hello, foreign)
	} else if testenv.IntegrationRequired() {
		t.Errorf("%s missing: the arm64 root is fetched by .ci/run", hello)
	}
	var before []byte
	if foreign != "" {
		before, _ = os.ReadFile(foreign)
	}
	interp := longInterpreter(t, fx.interp)

	rep, err := AutoPatch(context.Background(), tree, AutoOptions{Interpreter: interp, Origin: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Missing(); !slices.Equal(got, []string{prog + ": libdoesnotexist.so.9"}) {
		t.Fatalf("missing %q", got)
	}
	var progEntry *AutoFile
	for i, f := range rep.Files {
		if f.Path == prog {
			progEntry = &rep.Files[i]
		}
		if f.Path == foreign && !strings.Contains(f.Skipped, "other architecture") {
			t.Errorf("foreign file not skipped: %+v", f)
		}
	}
	if progEntry == nil || progEntry.Interpreter != interp || progEntry.Runpath != "$ORIGIN/../lib/private:$ORIGIN/../lib" {
		t.Fatalf("report for prog: %+v", progEntry)
	}
	if after, _ := os.ReadFile(foreign); foreign != "" && (string(after) != string(before) || len(after) == 0) {
		t.Error("foreign file was modified")
	}
	// Drop the entry nothing provides; then the program must run as built.
	if err := PatchFile(context.Background(), prog, "", func(f *File) error {
		return f.RemoveNeeded("libdoesnotexist.so.9", "libplug.so")
	}); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(tree, moved); err != nil {
		t.Fatal(err)
	}
	got := runProg(t, filepath.Join(moved, "bin/prog"), nil)
	// libplug.so is dlopened by name: found through the RUNPATH.
	if got != fx.want {
		t.Fatalf("autopatched program: %+v, want %+v", got, fx.want)
	}
	// A second run changes nothing.
	rep, err = AutoPatch(context.Background(), moved, AutoOptions{Interpreter: interp, Origin: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Files {
		if f.Changed && !strings.HasSuffix(f.Path, "bin/prog") {
			t.Errorf("second run changed %+v", f)
		}
	}
}
