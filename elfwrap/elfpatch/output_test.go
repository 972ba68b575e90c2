package elfpatch

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// TestPatchFileStreamsSameBytes: the kernel-copied output of PatchFile
// (input mapped, bulk copied with copy_file_range) is byte for byte what
// Bytes builds in memory, for a value that fits and one that must move.
func TestPatchFileStreamsSameBytes(t *testing.T) {
	s := synthKinds[0]
	s.interp, s.needed, s.runpath = "/lib/ld.so", []string{"libc.so.6"}, "/old"
	in := s.build()
	for _, rp := range []string{"/new", "/" + strings.Repeat("long/", 200)} {
		dir := t.TempDir()
		p := filepath.Join(dir, "prog")
		if err := os.WriteFile(p, in, 0o751); err != nil {
			t.Fatal(err)
		}
		f, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetRunpath(rp, elf.DT_RUNPATH); err != nil {
			t.Fatal(err)
		}
		want, err := f.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		err = PatchFileWith(context.Background(), p, "", WriteOptions{}, func(f *File) error {
			return f.SetRunpath(rp, elf.DT_RUNPATH)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("RUNPATH of %d bytes: PatchFile wrote %d bytes that differ from Bytes (%d bytes)", len(rp), len(got), len(want))
		}
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o751 {
			t.Fatalf("mode after patching: %v, %v; want 0751", st.Mode(), err)
		}
		onlyFile(t, dir, "prog")
	}
}

// TestPatchFileTruncatedWhileMapped: a file cut short by someone else
// while it is mapped gives an error, not a crash, and no output.
func TestPatchFileTruncatedWhileMapped(t *testing.T) {
	s := synthKinds[0]
	s.interp, s.needed, s.runpath = "/lib/ld.so", []string{"libc.so.6"}, "/old"
	dir := t.TempDir()
	p := filepath.Join(dir, "prog")
	if err := os.WriteFile(p, s.build(), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	err := PatchFileWith(context.Background(), p, out, WriteOptions{}, func(f *File) error {
		if err := os.Truncate(p, 0); err != nil {
			return err
		}
		return f.SetRunpath("/"+strings.Repeat("x", 300), elf.DT_RUNPATH)
	})
	if err == nil || !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v, want an error matching ErrMalformed", err)
	}
	t.Logf("error (as expected): %v", err)
	onlyFile(t, dir, "prog")
}

// TestPatchFileRefusesFIFO: a named pipe is refused at once (the open does
// not wait for a writer).
func TestPatchFileRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	err := PatchFile(testCtx(t), p, "", func(f *File) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("got %v, want a not-a-regular-file error", err)
	}
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Open: got %v, want a not-a-regular-file error", err)
	}
}

// onlyFile fails unless dir holds exactly the named entries (no temporary
// file left behind).
func onlyFile(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("directory holds %q, want %q", got, names)
	}
}

// TestPatchFileThroughSymlink: a path that is a symbolic link is patched as
// patchelf patches it: the file it points to gets the new content and the
// link stays a link (patchelf opens the path, following the link). Checked
// against patchelf itself, then for the atomic and the in-place mode.
func TestPatchFileThroughSymlink(t *testing.T) {
	pe := testenv.RequireTool(t, "patchelf")
	trueBin := testenv.RequireTool(t, "true")
	setup := func(t *testing.T, src string) (dir, real, link string) {
		dir = t.TempDir()
		real = filepath.Join(dir, "real", "prog")
		link = filepath.Join(dir, "links", "prog")
		copyFile(t, src, real)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../real/prog", link); err != nil {
			t.Fatal(err)
		}
		return dir, real, link
	}
	checkLink := func(t *testing.T, link string) {
		t.Helper()
		if target, err := os.Readlink(link); err != nil || target != "../real/prog" {
			t.Fatalf("after patching %s: readlink = %q, %v; want the link kept", link, target, err)
		}
	}
	t.Run("patchelf", func(t *testing.T) {
		_, real, link := setup(t, trueBin)
		if out, err := exec.CommandContext(testCtx(t), pe, "--set-rpath", "/opt/pe", link).CombinedOutput(); err != nil {
			t.Fatalf("patchelf: %v\n%s", err, out)
		}
		checkLink(t, link)
		if rp, _, err := mustOpen(t, real).Runpath(); err != nil || rp != "/opt/pe" {
			t.Fatalf("patchelf through a link: target RUNPATH %q, %v", rp, err)
		}
	})
	s := synthKinds[0]
	s.interp, s.needed, s.runpath = "/lib/ld.so", []string{"libc.so.6"}, "/old"
	for _, inPlace := range []bool{false, true} {
		for _, rp := range []string{"/new", "/" + strings.Repeat("long/", 200)} {
			t.Run(fmt.Sprintf("inplace=%v/runpath=%d", inPlace, len(rp)), func(t *testing.T) {
				src := filepath.Join(t.TempDir(), "src")
				if err := os.WriteFile(src, s.build(), 0o755); err != nil {
					t.Fatal(err)
				}
				dir, real, link := setup(t, src)
				f := mustOpen(t, src)
				if err := f.SetRunpath(rp, elf.DT_RUNPATH); err != nil {
					t.Fatal(err)
				}
				want, err := f.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				edit := func(f *File) error { return f.SetRunpath(rp, elf.DT_RUNPATH) }
				if err := PatchFileWith(context.Background(), link, "", WriteOptions{InPlace: inPlace, NoSync: true}, edit); err != nil {
					t.Fatal(err)
				}
				checkLink(t, link)
				got, err := os.ReadFile(real)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("the file the link points to was not patched (%d bytes, want %d)", len(got), len(want))
				}
				onlyFile(t, filepath.Join(dir, "real"), "prog")
				onlyFile(t, filepath.Join(dir, "links"), "prog")
			})
		}
	}
}
