package elfpatch

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// FuzzPatch feeds malformed ELF files to the parser and the writer: every
// failure is a typed error (never a panic), every success reads back with
// the value that was set, a failed write leaves no output file, and the
// in-place writes give the same bytes (or, failing at a step, the
// original).
func FuzzPatch(f *testing.F) {
	for _, k := range synthKinds {
		k.interp = "/lib/ld-linux.so.2"
		k.needed = []string{"libc.so.6", "libm.so.6"}
		k.runpath = "/opt/lib"
		b := k.build()
		f.Add(b, uint8(0), "/a/much/longer/interpreter/path/than/before/ld.so")
		f.Add(b, uint8(1), "/x")
		f.Add(b[:len(b)/2], uint8(2), "libz.so.1")
		k.noSects = true
		k.soname = "libk.so"
		f.Add(k.build(), uint8(3), "libq.so.2")
	}
	f.Add([]byte("\x7fELF\x02\x01\x01"), uint8(0), "x")
	dir := f.TempDir()
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, data []byte, op uint8, val string) {
		file, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotELF) {
				t.Fatalf("parse error not typed: %v", err)
			}
			return
		}
		switch op % 6 {
		case 0:
			err = file.SetInterpreter(val)
		case 1:
			err = file.SetRunpath(val, elf.DT_RUNPATH)
		case 2:
			err = file.AddNeeded(val)
		case 3:
			err = file.SetSoname(val)
		case 4:
			err = file.ReplaceNeeded("libc.so.6", val)
		case 5:
			err = file.RemoveRunpath()
		}
		if err != nil {
			return
		}
		b, berr := file.Bytes()
		if berr != nil {
			// A failed patch must leave no output file behind.
			out := filepath.Join(dir, "out"+string(rune('a'+n.Add(1)%26)))
			if werr := file.WriteFile(out); werr == nil {
				t.Fatalf("Bytes failed (%v) but WriteFile succeeded", berr)
			}
			if _, serr := os.Stat(out); serr == nil {
				t.Fatalf("write failed but %s exists", out)
			}
			return
		}
		// The streamed output (what WriteFile and PatchFile write) is the
		// same bytes.
		m, err := file.build()
		if err != nil {
			t.Fatalf("Bytes succeeded but build failed: %v", err)
		}
		var streamed bytes.Buffer
		if err := m.writeTo(&streamed, nil); err != nil || !bytes.Equal(streamed.Bytes(), b) {
			t.Fatalf("streamed output (%d bytes, %v) differs from Bytes (%d bytes)", streamed.Len(), err, len(b))
		}
		// Written in place over the original: the same bytes; a failure
		// at a step the input picks leaves the original bytes.
		plan := m.inPlacePlan()
		mf := &memFile{b: bytes.Clone(data)}
		if err := plan.apply(mf, true); err != nil || !bytes.Equal(mf.b, b) {
			t.Fatalf("in-place writes (%v) do not give the Bytes output", err)
		}
		mf = &memFile{b: bytes.Clone(data)}
		err = plan.apply(&faultRW{w: mf, failAt: int(op >> 3), partial: len(val)%2 == 1}, true)
		switch {
		case err == nil && !bytes.Equal(mf.b, b):
			t.Fatal("in-place writes with no fault hit do not give the Bytes output")
		case err != nil && (!errors.Is(err, errRestored) || !bytes.Equal(mf.b, data)):
			t.Fatalf("in-place failure at step %d not undone: %v", op>>3, err)
		}
		g, err := Parse(b)
		if err != nil {
			t.Fatalf("patched file does not parse: %v", err)
		}
		switch op % 6 {
		case 0:
			if in, _ := g.Interpreter(); in != val {
				t.Fatalf("interpreter %q, want %q", in, val)
			}
		case 1:
			if p, _, _ := g.Runpath(); p != val {
				t.Fatalf("runpath %q, want %q", p, val)
			}
		case 3:
			if s, _ := g.Soname(); s != val {
				t.Fatalf("soname %q, want %q", s, val)
			}
		}
	})
}
