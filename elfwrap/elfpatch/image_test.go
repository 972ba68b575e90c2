package elfpatch

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"
)

// TestPropertyImage: an image (kept prefix, tail, overlays in order)
// materializes, streams and reads back exactly like a plain buffer to which
// the same writes were applied in the same order.
func TestPropertyImage(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		src := rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "src")
		cut := uint64(rapid.IntRange(0, len(src)).Draw(t, "cut"))
		tailOff := cut + uint64(rapid.IntRange(0, 50).Draw(t, "zeros"))
		size := tailOff + uint64(rapid.IntRange(0, 100).Draw(t, "extra"))
		if size == 0 {
			size = 1
		}
		m := newImage(src, cut, tailOff, size)
		want := make([]byte, size)
		copy(want, src[:cut])
		for i, n := 0, rapid.IntRange(0, 8).Draw(t, "nwrites"); i < n; i++ {
			off := uint64(rapid.IntRange(0, int(size)-1).Draw(t, "off"))
			ln := uint64(rapid.IntRange(0, int(size-off)).Draw(t, "len"))
			w := m.at(off, ln)
			if !bytes.Equal(w, want[off:off+ln]) {
				t.Fatalf("window [%d,+%d) holds %x, want %x", off, ln, w, want[off:off+ln])
			}
			data := rapid.SliceOfN(rapid.Byte(), int(ln), int(ln)).Draw(t, "data")
			copy(w, data)
			copy(want[off:], data)
		}
		if got := m.bytes(); !bytes.Equal(got, want) {
			t.Fatalf("bytes() = %x, want %x", got, want)
		}
		var buf bytes.Buffer
		if err := m.writeTo(&buf, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("writeTo = %x, want %x", buf.Bytes(), want)
		}
		lo := uint64(rapid.IntRange(0, int(size)).Draw(t, "lo"))
		hi := uint64(rapid.IntRange(int(lo), int(size)).Draw(t, "hi"))
		sp, free := m.sparse([][2]uint64{{lo, hi}})
		if !bytes.Equal(sp[lo:hi], want[lo:hi]) || len(sp) != int(size) {
			t.Fatalf("sparse range [%d,%d) wrong", lo, hi)
		}
		free()
	})
}

// TestPropertyStreamedWriteEqualsBytes: the file WriteFile streams is byte
// for byte what Bytes returns, for random edits of synthetic files.
func TestPropertyStreamedWriteEqualsBytes(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		s, m := genSynth(t)
		f, err := Parse(s.build())
		if err != nil {
			t.Fatalf("parse synthetic %v: %v", s, err)
		}
		for i, n := 0, rapid.IntRange(1, 6).Draw(t, "nops"); i < n; i++ {
			applyRandomOp(t, f, &m, i)
		}
		want, err := f.Bytes()
		if err != nil {
			t.Fatalf("Bytes: %v", err)
		}
		p := filepath.Join(dir, "out")
		if err := f.WriteFileWith(p, WriteOptions{NoSync: true}); err != nil {
			t.Fatalf("WriteFile: %v", err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("streamed file (%d bytes) differs from Bytes (%d bytes)", len(got), len(want))
		}
	})
}

// TestImageWindowPastEnd: a window past the end is detached and flagged,
// never a panic and never part of the output.
func TestImageWindowPastEnd(t *testing.T) {
	m := newImage([]byte("abcdef"), 6, 6, 8)
	w := m.at(6, 4)
	copy(w, "wxyz")
	if !m.outside {
		t.Fatal("window [6,10) of an 8-byte output not flagged")
	}
	if got := m.bytes(); string(got) != "abcdef\x00\x00" {
		t.Fatalf("output %q changed by a detached window", got)
	}
	m = newImage(nil, 0, 0, 8)
	_ = m.at(^uint64(0), 2)
	if !m.outside {
		t.Fatal("overflowing window not flagged")
	}
}
