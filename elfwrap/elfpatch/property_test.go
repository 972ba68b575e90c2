package elfpatch

import (
	"debug/elf"
	"errors"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// model is what the file should say after a sequence of operations.
type model struct {
	interp  string
	needed  []string
	path    string
	pathTag elf.DynTag
	soname  string
}

func genSynth(t *rapid.T) (synth, model) {
	s := rapid.SampledFrom(synthKinds).Draw(t, "kind")
	name := rapid.StringMatching(`[a-z0-9]{1,12}`)
	s.interp = "/lib/" + rapid.StringMatching(`[a-z0-9._-]{1,40}`).Draw(t, "interp")
	s.needed = rapid.SliceOfNDistinct(name, 0, 4, func(v string) string { return v }).Draw(t, "needed")
	for i := range s.needed {
		s.needed[i] = "lib" + s.needed[i] + ".so"
	}
	m := model{interp: s.interp, needed: slices.Clone(s.needed), pathTag: elf.DT_NULL}
	switch rapid.IntRange(0, 2).Draw(t, "pathkind") {
	case 1:
		s.runpath = "/" + rapid.StringMatching(`[a-z/]{0,30}`).Draw(t, "runpath")
		m.path, m.pathTag = s.runpath, elf.DT_RUNPATH
	case 2:
		s.rpath = "/" + rapid.StringMatching(`[a-z/]{0,30}`).Draw(t, "rpath")
		m.path, m.pathTag = s.rpath, elf.DT_RPATH
	}
	if s.typ == elf.ET_DYN && rapid.Bool().Draw(t, "hasSoname") {
		s.soname = "lib" + name.Draw(t, "soname") + ".so.1"
		m.soname = s.soname
	}
	s.slack = rapid.IntRange(0, 3).Draw(t, "slack")
	s.noSects = rapid.IntRange(0, 4).Draw(t, "noSects") == 0
	return s, m
}

// applyRandomOp performs one random operation on f and on the model.
func applyRandomOp(t *rapid.T, f *File, m *model, i int) {
	long := rapid.StringMatching(`/[a-zA-Z0-9._$/-]{0,300}`)
	lib := rapid.StringMatching(`lib[a-z0-9]{1,20}\.so(\.[0-9])?`)
	tag := rapid.SampledFrom([]elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH})
	var err error
	switch op := rapid.IntRange(0, 7).Draw(t, "op"); op {
	case 0:
		v := long.Draw(t, "interp")
		err = f.SetInterpreter(v)
		m.interp = v
	case 1:
		v, tg := long.Draw(t, "rpath"), tag.Draw(t, "tag")
		err = f.SetRunpath(v, tg)
		m.path, m.pathTag = v, tg
	case 2:
		v, tg := long.Draw(t, "addrpath"), tag.Draw(t, "tag")
		err = f.AddRunpath(v, tg)
		var parts []string
		if m.path != "" {
			parts = strings.Split(m.path, ":")
		}
		for _, d := range strings.Split(v, ":") {
			if d != "" && !slices.Contains(parts, d) {
				parts = append(parts, d)
			}
		}
		m.path, m.pathTag = strings.Join(parts, ":"), tg
	case 3:
		err = f.RemoveRunpath()
		m.path, m.pathTag = "", elf.DT_NULL
	case 4:
		v := lib.Draw(t, "add")
		err = f.AddNeeded(v)
		if !slices.Contains(m.needed, v) {
			m.needed = append([]string{v}, m.needed...)
		}
	case 5:
		if len(m.needed) == 0 {
			return
		}
		v := rapid.SampledFrom(m.needed).Draw(t, "remove")
		err = f.RemoveNeeded(v)
		m.needed = slices.DeleteFunc(m.needed, func(s string) bool { return s == v })
	case 6:
		if len(m.needed) == 0 {
			return
		}
		old, repl := rapid.SampledFrom(m.needed).Draw(t, "old"), lib.Draw(t, "new")
		err = f.ReplaceNeeded(old, repl)
		for i := range m.needed {
			if m.needed[i] == old {
				m.needed[i] = repl
			}
		}
	case 7:
		v := lib.Draw(t, "soname")
		err = f.SetSoname(v)
		if f.Type() != elf.ET_DYN {
			if !errors.Is(err, ErrNotSharedObject) {
				t.Fatalf("SetSoname on ET_EXEC: got %v, want ErrNotSharedObject", err)
			}
			return
		}
		m.soname = v
	}
	if err != nil {
		t.Fatalf("op %d: %v", i, err)
	}
}

// checkModel compares what f reports with the model.
func checkModel(t tb, f *File, m model) {
	t.Helper()
	if in, _ := f.Interpreter(); in != m.interp {
		t.Fatalf("interpreter %q, want %q", in, m.interp)
	}
	if n, _ := f.Needed(); !slices.Equal(n, m.needed) && !(len(n) == 0 && len(m.needed) == 0) {
		t.Fatalf("needed %q, want %q", n, m.needed)
	}
	p, tag, _ := f.Runpath()
	if p != m.path || tag != m.pathTag {
		t.Fatalf("search path %q (%v), want %q (%v)", p, tag, m.path, m.pathTag)
	}
	so, err := f.Soname()
	if m.soname == "" && !errors.Is(err, ErrNoSoname) || m.soname != "" && so != m.soname {
		t.Fatalf("soname %q (%v), want %q", so, err, m.soname)
	}
}

// TestPropertyRoundTrip: after any sequence of operations the written file
// parses, reads back (with this package and with debug/elf) as set, keeps a
// valid segment layout, and writing the same values again does not grow it.
func TestPropertyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, m := genSynth(t)
		in := s.build()
		f, err := Parse(in)
		if err != nil {
			t.Fatalf("parse synthetic %v: %v", s, err)
		}
		n := rapid.IntRange(1, 6).Draw(t, "nops")
		for i := 0; i < n; i++ {
			applyRandomOp(t, f, &m, i)
		}
		checkModel(t, f, m) // set then print returns the value
		out, err := f.Bytes()
		if err != nil {
			t.Fatalf("Bytes: %v", err)
		}
		g, err := Parse(out)
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		checkModel(t, g, m)
		ef := checkLayout(t, out)
		if !s.noSects {
			if got := dynStrings(t, ef, elf.DT_NEEDED); !slices.Equal(got, m.needed) && len(got)+len(m.needed) > 0 {
				t.Fatalf("debug/elf reads needed %q, want %q", got, m.needed)
			}
		}
		// Same values again: nothing must grow, nothing must change.
		if err := g.SetInterpreter(m.interp); err != nil {
			t.Fatal(err)
		}
		if m.pathTag != elf.DT_NULL {
			if err := g.SetRunpath(m.path, m.pathTag); err != nil {
				t.Fatal(err)
			}
		}
		if err := g.AddNeeded(m.needed...); err != nil {
			t.Fatal(err)
		}
		again, err := g.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != len(out) {
			t.Fatalf("re-applying the same values changed the size from %d to %d", len(out), len(again))
		}
	})
}

// TestPropertyRepeatedGrowthReusesSegment: alternating between two long
// values reuses the appended segment instead of adding one per run.
func TestPropertyRepeatedGrowthReusesSegment(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, _ := genSynth(t)
		a := "/a/" + strings.Repeat("x", rapid.IntRange(100, 2000).Draw(t, "la"))
		b := "/b/" + strings.Repeat("y", rapid.IntRange(100, 2000).Draw(t, "lb"))
		data := s.build()
		var sizes []int
		var nload int
		for i := 0; i < 8; i++ {
			f, err := Parse(data)
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			v := a
			if i%2 == 1 {
				v = b
			}
			if err := f.SetRunpath(v, elf.DT_RUNPATH); err != nil {
				t.Fatal(err)
			}
			if err := f.SetInterpreter(v + "/ld.so"); err != nil {
				t.Fatal(err)
			}
			if data, err = f.Bytes(); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			checkLayout(t, data)
			sizes = append(sizes, len(data))
			loads := 0
			g, _ := Parse(data)
			for _, p := range g.progs {
				if p.typ == elf.PT_LOAD {
					loads++
				}
			}
			if i == 0 {
				nload = loads
			} else if loads != nload {
				t.Fatalf("round %d: %d PT_LOADs, first round had %d", i, loads, nload)
			}
		}
		if sizes[7] != sizes[5] || sizes[6] != sizes[4] {
			t.Fatalf("file keeps growing when alternating two values: %v", sizes)
		}
	})
}

// TestForeignTailSegmentNotReused: a last PT_LOAD that ends the file but
// holds data this package did not put there is never taken for its own
// segment (which would be rebuilt, losing that data).
func TestForeignTailSegmentNotReused(t *testing.T) {
	for _, k := range synthKinds {
		k.interp, k.needed, k.noSects = "/lib/ld.so", []string{"libc.so.6"}, true
		b := k.build()
		f, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		// Make the data segment run to the end of the file, over bytes that
		// nothing else describes, and without .bss.
		for i, p := range f.progs {
			if p.typ == elf.PT_LOAD && p.flags&elf.PF_W != 0 {
				p.filesz = uint64(len(b)) - p.off
				p.memsz = p.filesz
				f.hdr.putProg(b[f.hdr.phoff+uint64(i)*f.hdr.phdrSize():], p)
			}
		}
		copy(b[len(b)-8:], "PRECIOUS")
		f, err = Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if own := f.ownSegment(); own >= 0 {
			t.Fatalf("%v: data segment %d taken for an appended one", k, own)
		}
		if err := f.SetRunpath(strings.Repeat("/long", 100), elf.DT_RUNPATH); err != nil {
			t.Fatal(err)
		}
		out, err := f.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if string(out[len(b)-8:len(b)]) != "PRECIOUS" {
			t.Fatalf("%v: data at the end of the old last segment was lost", k)
		}
		checkLayout(t, out)
		// And the appended segment is then recognised and reused.
		g, _ := Parse(out)
		if g.ownSegment() < 0 {
			t.Fatalf("%v: appended segment not recognised", k)
		}
	}
}

// TestOverwriteNeedsSymbolTable: a file whose section table does not list
// its dynamic symbol table (the loader finds it by DT_SYMTAB alone) may
// name a symbol with the bytes of the SONAME; a shorter SONAME must then
// not be written over them, since the symbols could not be checked.
func TestOverwriteNeedsSymbolTable(t *testing.T) {
	for _, k := range synthKinds {
		if k.noSects || k.typ != elf.ET_DYN {
			continue
		}
		s := k
		s.soname = "synth_symbol" // the same string as the symbol's name
		b := s.build()
		f, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		// The .dynsym section header is blanked (as a tool that
		// rewrites section headers might leave it); DT_SYMTAB stays.
		for i, sc := range f.sects {
			if sc.typ == elf.SHT_DYNSYM {
				f.hdr.putSect(b[f.hdr.shoff+uint64(i)*f.hdr.shdrSize():], sect{})
			}
		}
		if f, err = Parse(b); err != nil {
			t.Fatal(err)
		}
		symtab, _ := f.dynVal(elf.DT_SYMTAB)
		symOff, ok := f.addrToOff(symtab, 2*f.hdr.wordSize())
		if !ok {
			t.Fatal("DT_SYMTAB not in the file")
		}
		var nameAt uint64 // symbol 1's st_name (24 or 16 bytes a symbol)
		if f.hdr.is64() {
			nameAt = symOff + 24
		} else {
			nameAt = symOff + 16
		}
		if err := f.SetSoname("abc"); err != nil {
			t.Fatal(err)
		}
		out, err := f.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		g, err := Parse(out)
		if err != nil {
			t.Fatal(err)
		}
		name := g.hdr.order.Uint32(out[nameAt:])
		if got, err := g.str(uint64(name)); err != nil || got != "synth_symbol" {
			t.Errorf("%v %v %v: the symbol is named %q (%v) after SetSoname, want synth_symbol", k.class, k.order, k.typ, got, err)
		}
	}
}
