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
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
	"pgregory.net/rapid"
)

// memFile is an in-memory fileRW.
type memFile struct{ b []byte }

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(m.b) {
		m.b = append(m.b, make([]byte, end-len(m.b))...)
	}
	return copy(m.b[off:], p), nil
}

func (m *memFile) Truncate(n int64) error {
	if int(n) <= len(m.b) {
		m.b = m.b[:n]
	} else {
		m.b = append(m.b, make([]byte, int(n)-len(m.b))...)
	}
	return nil
}

func (m *memFile) Sync() error { return nil }

// faultRW passes operations to w and fails the one numbered failAt
// (counting from 0 over WriteAt, Truncate and Sync). A failing WriteAt
// first writes half of its bytes when partial is set, as a short write
// followed by an error would. With failRestore every operation after the
// first failure fails too.
type faultRW struct {
	w           fileRW
	failAt, n   int
	partial     bool
	failRestore bool
	failed      bool
}

var errInjected = errors.New("injected fault")

func (f *faultRW) step() error {
	n := f.n
	f.n++
	if n == f.failAt || (f.failed && f.failRestore) {
		f.failed = true
		return errInjected
	}
	return nil
}

func (f *faultRW) WriteAt(p []byte, off int64) (int, error) {
	if err := f.step(); err != nil {
		if f.partial && len(p) > 1 && !f.failRestore {
			f.w.WriteAt(p[:len(p)/2], off)
		}
		return 0, err
	}
	return f.w.WriteAt(p, off)
}

func (f *faultRW) Truncate(n int64) error {
	if err := f.step(); err != nil {
		return err
	}
	return f.w.Truncate(n)
}

func (f *faultRW) Sync() error {
	if err := f.step(); err != nil {
		return err
	}
	return f.w.Sync()
}

// checkPlan applies the plan of m to a copy of src and checks that the
// result is want; then, for every step of it, makes that step fail (also
// with a partial write) and checks that the file is src again and the
// error says it was restored.
func checkPlan(t tb, m *image, src, want []byte) {
	p := m.inPlacePlan()
	f := &memFile{b: bytes.Clone(src)}
	count := &faultRW{w: f, failAt: -1}
	if err := p.apply(count, true); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !bytes.Equal(f.b, want) {
		t.Fatalf("in-place result (%d bytes) differs from the built output (%d bytes)", len(f.b), len(want))
	}
	for k := 0; k < count.n; k++ {
		for _, partial := range []bool{false, true} {
			f := &memFile{b: bytes.Clone(src)}
			err := p.apply(&faultRW{w: f, failAt: k, partial: partial}, true)
			if !errors.Is(err, errInjected) || !errors.Is(err, errRestored) {
				t.Fatalf("step %d of %d failing (partial %v): error %v, want the injected fault, restored", k, count.n, partial, err)
			}
			if !bytes.Equal(f.b, src) {
				t.Fatalf("step %d of %d failing (partial %v): file not restored to the original", k, count.n, partial)
			}
		}
	}
	if count.n > 0 {
		err := p.apply(&faultRW{w: &memFile{b: bytes.Clone(src)}, failAt: 0, failRestore: true}, true)
		if err == nil || errors.Is(err, errRestored) || !strings.Contains(err.Error(), "may be damaged") {
			t.Fatalf("restore failing too: error %v, want one saying the file may be damaged", err)
		}
	}
}

// TestPropertyInPlacePlan: for random images (kept prefix, zeros, tail,
// overlays; outputs longer and shorter than the original) the in-place
// writes turn the original into exactly the output, and a failure at any
// step leaves the original.
func TestPropertyInPlacePlan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		src := rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "src")
		cut := uint64(rapid.IntRange(0, len(src)).Draw(t, "cut"))
		tailOff := cut + uint64(rapid.IntRange(0, 50).Draw(t, "zeros"))
		size := tailOff + uint64(rapid.IntRange(0, 100).Draw(t, "extra"))
		if size == 0 {
			size = 1
		}
		m := newImage(src, cut, tailOff, size)
		for i, n := 0, rapid.IntRange(0, 6).Draw(t, "nwrites"); i < n; i++ {
			off := uint64(rapid.IntRange(0, int(size)-1).Draw(t, "off"))
			ln := uint64(rapid.IntRange(0, int(size-off)).Draw(t, "len"))
			copy(m.at(off, ln), rapid.SliceOfN(rapid.Byte(), int(ln), int(ln)).Draw(t, "data"))
		}
		for i := range m.tail {
			m.tail[i] = rapid.Byte().Draw(t, "tail")
		}
		checkPlan(t, m, src, m.bytes())
	})
}

// TestPropertyInPlaceSynthetic: random edits of synthetic files (values in
// place, a new segment, a rebuilt segment of an earlier run) written in
// place give the bytes Bytes builds, and undo every failure.
func TestPropertyInPlaceSynthetic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, m := genSynth(t)
		data := s.build()
		for round := 0; round < rapid.IntRange(1, 3).Draw(t, "rounds"); round++ {
			f, err := Parse(data)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			for i, n := 0, rapid.IntRange(1, 3).Draw(t, "nops"); i < n; i++ {
				applyRandomOp(t, f, &m, i)
			}
			want, err := f.Bytes()
			if err != nil {
				t.Fatalf("Bytes: %v", err)
			}
			im, err := f.build()
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, im, data, want)
			data = want
		}
	})
}

// TestPatchFileInPlace: on disk, in-place patching writes what Bytes
// builds (a value that fits, one that needs a new segment, then a shorter
// one that rebuilds that segment smaller), keeps the inode, the hard link
// and the mode, and leaves no other file.
func TestPatchFileInPlace(t *testing.T) {
	s := synthKinds[0]
	s.interp, s.needed, s.runpath = "/lib/ld.so", []string{"libc.so.6"}, "/old"
	dir := t.TempDir()
	p := filepath.Join(dir, "prog")
	link := filepath.Join(dir, "link")
	if err := os.WriteFile(p, s.build(), 0o751); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(p, link); err != nil {
		t.Fatal(err)
	}
	st0, _ := os.Stat(p)
	ino := st0.Sys().(*syscall.Stat_t).Ino
	for _, rp := range []string{"/new", "/" + strings.Repeat("long/", 200), "/" + strings.Repeat("x", 900), "/short"} {
		before, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(before)
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
		for _, sync := range []bool{true, false} {
			if err := os.WriteFile(p, before, 0o751); err != nil {
				t.Fatal(err)
			}
			err = PatchFileWith(context.Background(), p, "", WriteOptions{InPlace: true, NoSync: !sync}, func(f *File) error {
				return f.SetRunpath(rp, elf.DT_RUNPATH)
			})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(link) // through the other name: same inode
			if !bytes.Equal(got, want) {
				t.Fatalf("RUNPATH of %d bytes: in place wrote %d bytes that differ from Bytes (%d bytes)", len(rp), len(got), len(want))
			}
			st, _ := os.Stat(p)
			if st.Sys().(*syscall.Stat_t).Ino != ino || st.Mode().Perm() != 0o751 {
				t.Fatalf("after patching in place: inode %d (was %d), mode %v", st.Sys().(*syscall.Stat_t).Ino, ino, st.Mode())
			}
		}
		onlyFile(t, dir, "link", "prog")
	}
}

// TestInPlaceRefusals: a running program is refused (ETXTBSY) and left as
// it was; InPlace with another output file, through WriteFileWith and
// through AutoPatch is an error; a print-only edit does not open the file
// for writing.
func TestInPlaceRefusals(t *testing.T) {
	sleep := testenv.RequireTool(t, "sleep")
	dir := t.TempDir()
	prog := filepath.Join(dir, "sleep")
	copyFile(t, sleep, prog)
	orig, _ := os.ReadFile(prog)
	cmd := exec.Command(prog, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Wait until the exec has happened (the file is then busy).
	deadline := time.Now().Add(30 * time.Second)
	for {
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", cmd.Process.Pid))
		if exe == prog || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	edit := func(f *File) error { return f.SetRunpath("/opt/x", elf.DT_RUNPATH) }
	err := PatchFileWith(context.Background(), prog, "", WriteOptions{InPlace: true}, edit)
	if !errors.Is(err, syscall.ETXTBSY) || !strings.Contains(err.Error(), "running") {
		t.Fatalf("in place on a running program: %v, want ETXTBSY", err)
	}
	if got, _ := os.ReadFile(prog); !bytes.Equal(got, orig) {
		t.Fatal("a refused in-place patch changed the file")
	}
	// Reading works on the running program.
	if err := PatchFileWith(context.Background(), prog, "", WriteOptions{InPlace: true}, func(f *File) error {
		_, err := f.Interpreter()
		return err
	}); err != nil {
		t.Fatalf("print-only edit of a running program: %v", err)
	}
	// The atomic default replaces it (the running process keeps the old
	// inode).
	if err := PatchFileWith(context.Background(), prog, "", WriteOptions{NoSync: true}, edit); err != nil {
		t.Fatalf("atomic patch of a running program: %v", err)
	}
	err = PatchFileWith(context.Background(), prog, filepath.Join(dir, "other"), WriteOptions{InPlace: true}, edit)
	if !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("InPlace with another output: %v, want ErrInvalidValue", err)
	}
	f := mustOpen(t, prog)
	if err := f.WriteFileWith(prog, WriteOptions{InPlace: true}); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("WriteFileWith InPlace: %v, want ErrInvalidValue", err)
	}
	if _, err := AutoPatch(context.Background(), dir, AutoOptions{Write: WriteOptions{InPlace: true}}); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("AutoPatch InPlace: %v, want ErrInvalidValue", err)
	}
	onlyFile(t, dir, "sleep")
}

// TestInPlaceFileReplacedMeanwhile: when the path names another file by
// the time the patch is written, nothing is written to either file.
func TestInPlaceFileReplacedMeanwhile(t *testing.T) {
	s := synthKinds[0]
	s.interp, s.needed, s.runpath = "/lib/ld.so", []string{"libc.so.6"}, "/old"
	in := s.build()
	dir := t.TempDir()
	p := filepath.Join(dir, "prog")
	if err := os.WriteFile(p, in, 0o755); err != nil {
		t.Fatal(err)
	}
	other := append(bytes.Clone(in), "other"...)
	err := PatchFileWith(context.Background(), p, "", WriteOptions{InPlace: true}, func(f *File) error {
		if err := os.WriteFile(p+".new", other, 0o755); err != nil {
			return err
		}
		if err := os.Rename(p+".new", p); err != nil {
			return err
		}
		return f.SetRunpath("/new", elf.DT_RUNPATH)
	})
	if err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Fatalf("got %v, want a replaced-meanwhile error", err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, other) {
		t.Fatal("the file that replaced the input was written to")
	}
}

// TestPropertyDiffEnds: diffStart and diffEnd are the lengths of the
// common prefix and suffix.
func TestPropertyDiffEnds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.SliceOfN(rapid.ByteRange(0, 2), 0, 40).Draw(t, "a")
		b := rapid.SliceOfN(rapid.ByteRange(0, 2), 0, 40).Draw(t, "b")
		p, s := 0, 0
		for p < len(a) && p < len(b) && a[p] == b[p] {
			p++
		}
		for s < len(a) && s < len(b) && a[len(a)-1-s] == b[len(b)-1-s] {
			s++
		}
		if got := diffStart(a, b); got != p {
			t.Fatalf("diffStart(%v, %v) = %d, want %d", a, b, got, p)
		}
		if got := diffEnd(a, b); got != s {
			t.Fatalf("diffEnd(%v, %v) = %d, want %d", a, b, got, s)
		}
	})
}

// TestInPlaceFileRewrittenMeanwhile: when the file keeps its inode and
// size but its content is rewritten (cp over it, another patcher) between
// the parse and the write, nothing is written: the ranges planned from the
// old parse would mix with the new content (in place), and so would the
// replacement, which copies the unchanged bulk from the file as it is then.
func TestInPlaceFileRewrittenMeanwhile(t *testing.T) {
	for _, inPlace := range []bool{true, false} {
		t.Run(fmt.Sprintf("inplace=%v", inPlace), func(t *testing.T) { testRewrittenMeanwhile(t, inPlace) })
	}
}

func testRewrittenMeanwhile(t *testing.T, inPlace bool) {
	s := synthKinds[0]
	s.interp, s.needed, s.runpath = "/lib/ld.so", []string{"libc.so.6"}, "/old"
	in := s.build()
	// A symbol renamed: same layout, same size, and nothing the self-check
	// reads back.
	other := bytes.Replace(in, []byte("synth_symbol"), []byte("synth_symbox"), 1)
	if len(other) != len(in) || bytes.Equal(other, in) {
		t.Fatal("test setup: the rewritten file must differ and have the same size")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "prog")
	if err := os.WriteFile(p, in, 0o755); err != nil {
		t.Fatal(err)
	}
	err := PatchFileWith(context.Background(), p, "", WriteOptions{InPlace: inPlace}, func(f *File) error {
		// As cp(1) does: same inode, truncated and rewritten.
		if err := os.WriteFile(p, other, 0o755); err != nil {
			return err
		}
		return f.SetRunpath("/"+strings.Repeat("n", 300), elf.DT_RUNPATH)
	})
	if err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("got %v, want a changed-meanwhile error", err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, other) {
		t.Errorf("the rewritten file was written to (%d bytes now, %d rewritten)", len(got), len(other))
	}
}
