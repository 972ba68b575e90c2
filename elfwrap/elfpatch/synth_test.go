package elfpatch

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
)

// synth describes a small, structurally complete dynamic ELF file built in
// memory for tests: any class, byte order and type, with the tables a
// linker would emit (.interp, .dynsym, .dynstr, .dynamic, section headers).
// It does not run; it exercises layouts no local toolchain can produce
// (32-bit, big-endian) and is read back with the standard debug/elf.
type synth struct {
	class   elf.Class
	order   binary.ByteOrder
	typ     elf.Type
	machine elf.Machine
	interp  string // "" for none
	needed  []string
	runpath string
	rpath   string
	soname  string
	slack   int // spare DT_NULL slots after the terminator
	noSects bool
}

func (s synth) build() []byte {
	h := header{class: s.class, order: s.order}
	w := h.wordSize()
	o := s.order
	base := uint64(0)
	if s.typ == elf.ET_EXEC {
		base = 0x400000
		if s.class == elf.ELFCLASS32 {
			base = 0x10000000
		}
	}
	page := PageSize(s.machine)
	// string table
	str := []byte{0}
	add := func(v string) uint64 {
		if off, ok := findString(str, v); ok {
			return off
		}
		off := uint64(len(str))
		str = append(append(str, v...), 0)
		return off
	}
	symName := add("synth_symbol")
	type dent struct{ tag, val uint64 }
	var dyn []dent
	for _, n := range s.needed {
		dyn = append(dyn, dent{uint64(elf.DT_NEEDED), add(n)})
	}
	if s.soname != "" {
		dyn = append(dyn, dent{uint64(elf.DT_SONAME), add(s.soname)})
	}
	if s.runpath != "" {
		dyn = append(dyn, dent{uint64(elf.DT_RUNPATH), add(s.runpath)})
	}
	if s.rpath != "" {
		dyn = append(dyn, dent{uint64(elf.DT_RPATH), add(s.rpath)})
	}
	shstr := []byte{0}
	shname := func(v string) uint32 {
		off := uint32(len(shstr))
		shstr = append(append(shstr, v...), 0)
		return off
	}
	nph := uint64(5) // PHDR, LOAD, LOAD, DYNAMIC, GNU_STACK
	if s.interp != "" {
		nph++
	}
	pos := h.ehdrSize() + nph*h.phdrSize()
	interpOff := pos
	if s.interp != "" {
		pos += uint64(len(s.interp) + 1)
	}
	pos = roundUp(pos, w)
	symOff := pos
	symSize := uint64(16)
	if w == 8 {
		symSize = 24
	}
	pos += 2 * symSize
	strOff := pos
	dyn = append(dyn,
		dent{uint64(elf.DT_STRTAB), base + strOff},
		dent{uint64(elf.DT_SYMTAB), base + symOff},
		dent{uint64(elf.DT_SYMENT), symSize},
	)
	if s.typ == elf.ET_DYN && s.interp != "" {
		dyn = append(dyn, dent{uint64(elf.DT_FLAGS_1), uint64(elf.DF_1_PIE)})
	}
	pos += uint64(len(str)) // final length known below; strings are complete now
	load0End := pos
	dynOff := roundUp(pos, page)
	dynCount := uint64(len(dyn) + 2 + s.slack) // + DT_STRSZ + DT_NULL
	dynSize := dynCount * 2 * w
	pos = dynOff + dynSize
	shstrOff := pos
	names := []uint32{0, shname(".interp"), shname(".dynsym"), shname(".dynstr"), shname(".dynamic"), shname(".shstrtab")}
	pos += uint64(len(shstr))
	shOff := roundUp(pos, w)
	nsh := uint64(6)
	total := shOff + nsh*h.shdrSize()
	if s.noSects {
		total = shOff
	}
	dyn = append(dyn, dent{uint64(elf.DT_STRSZ), uint64(len(str))})

	b := make([]byte, total)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS] = byte(s.class)
	if s.order == binary.BigEndian {
		b[elf.EI_DATA] = byte(elf.ELFDATA2MSB)
	} else {
		b[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	}
	b[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	o.PutUint16(b[16:], uint16(s.typ))
	o.PutUint16(b[18:], uint16(s.machine))
	o.PutUint32(b[20:], 1)
	entry := base + h.ehdrSize()
	if w == 8 {
		o.PutUint64(b[24:], entry)
		o.PutUint16(b[52:], uint16(h.ehdrSize()))
	} else {
		o.PutUint32(b[24:], uint32(entry))
		o.PutUint16(b[40:], uint16(h.ehdrSize()))
	}
	hh := header{class: s.class, order: o, phoff: h.ehdrSize(), phnum: nph, shoff: shOff, shnum: nsh}
	if s.noSects {
		hh.shoff, hh.shnum = 0, 0
	}
	hh.putHeaderTables(b)
	if w == 8 {
		o.PutUint16(b[54:], uint16(h.phdrSize()))
		o.PutUint16(b[58:], uint16(h.shdrSize()))
		o.PutUint16(b[60:], uint16(nsh))
		o.PutUint16(b[62:], uint16(5))
	} else {
		o.PutUint16(b[48:], uint16(nsh))
		o.PutUint16(b[42:], uint16(h.phdrSize()))
		o.PutUint16(b[46:], uint16(h.shdrSize()))
		o.PutUint16(b[50:], uint16(5))
	}
	if s.noSects {
		if w == 8 {
			o.PutUint16(b[58:], 0)
			o.PutUint16(b[60:], 0)
			o.PutUint16(b[62:], 0)
		} else {
			o.PutUint16(b[46:], 0)
			o.PutUint16(b[48:], 0)
			o.PutUint16(b[50:], 0)
		}
	}
	var progs []prog
	progs = append(progs, prog{typ: elf.PT_PHDR, flags: elf.PF_R, off: h.ehdrSize(), vaddr: base + h.ehdrSize(), paddr: base + h.ehdrSize(), filesz: nph * h.phdrSize(), memsz: nph * h.phdrSize(), align: w})
	if s.interp != "" {
		n := uint64(len(s.interp) + 1)
		progs = append(progs, prog{typ: elf.PT_INTERP, flags: elf.PF_R, off: interpOff, vaddr: base + interpOff, paddr: base + interpOff, filesz: n, memsz: n, align: 1})
	}
	progs = append(progs,
		prog{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, off: 0, vaddr: base, paddr: base, filesz: load0End, memsz: load0End, align: page},
		prog{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, off: dynOff, vaddr: base + dynOff, paddr: base + dynOff, filesz: dynSize, memsz: dynSize + 64, align: page},
		prog{typ: elf.PT_DYNAMIC, flags: elf.PF_R | elf.PF_W, off: dynOff, vaddr: base + dynOff, paddr: base + dynOff, filesz: dynSize, memsz: dynSize, align: w},
		prog{typ: elf.PT_GNU_STACK, flags: elf.PF_R | elf.PF_W, align: 16},
	)
	for i, p := range progs {
		hh.putProg(b[hh.phoff+uint64(i)*h.phdrSize():], p)
	}
	copy(b[interpOff:], s.interp)
	// symbol 1 names synth_symbol
	o.PutUint32(b[symOff+symSize:], uint32(symName))
	copy(b[strOff:], str)
	for i, d := range dyn {
		at := dynOff + uint64(i)*2*w
		hh.putWord(b[at:], d.tag)
		hh.putWord(b[at+w:], d.val)
	}
	copy(b[shstrOff:], shstr)
	if !s.noSects {
		sects := []sect{
			{},
			{name: names[1], typ: elf.SHT_PROGBITS, flags: elf.SHF_ALLOC, addr: base + interpOff, off: interpOff, size: uint64(len(s.interp) + 1), addralign: 1},
			{name: names[2], typ: elf.SHT_DYNSYM, flags: elf.SHF_ALLOC, addr: base + symOff, off: symOff, size: 2 * symSize, link: 3, info: 1, addralign: w, entsize: symSize},
			{name: names[3], typ: elf.SHT_STRTAB, flags: elf.SHF_ALLOC, addr: base + strOff, off: strOff, size: uint64(len(str)), addralign: 1},
			{name: names[4], typ: elf.SHT_DYNAMIC, flags: elf.SHF_ALLOC | elf.SHF_WRITE, addr: base + dynOff, off: dynOff, size: dynSize, link: 3, addralign: w, entsize: 2 * w},
			{name: names[5], typ: elf.SHT_STRTAB, off: shstrOff, size: uint64(len(shstr)), addralign: 1},
		}
		if s.interp == "" {
			sects[1] = sect{name: names[1], typ: elf.SHT_PROGBITS, addralign: 1}
		}
		for i, sc := range sects {
			hh.putSect(b[shOff+uint64(i)*h.shdrSize():], sc)
		}
	}
	return b
}

// synthKinds are the class/order/type/machine combinations tests cover.
var synthKinds = []synth{
	{class: elf.ELFCLASS64, order: binary.LittleEndian, typ: elf.ET_DYN, machine: elf.EM_X86_64},
	{class: elf.ELFCLASS64, order: binary.LittleEndian, typ: elf.ET_EXEC, machine: elf.EM_X86_64},
	{class: elf.ELFCLASS64, order: binary.LittleEndian, typ: elf.ET_DYN, machine: elf.EM_AARCH64},
	{class: elf.ELFCLASS64, order: binary.BigEndian, typ: elf.ET_DYN, machine: elf.EM_S390},
	{class: elf.ELFCLASS64, order: binary.BigEndian, typ: elf.ET_EXEC, machine: elf.EM_PPC64},
	{class: elf.ELFCLASS32, order: binary.LittleEndian, typ: elf.ET_DYN, machine: elf.EM_ARM},
	{class: elf.ELFCLASS32, order: binary.LittleEndian, typ: elf.ET_EXEC, machine: elf.EM_386},
	{class: elf.ELFCLASS32, order: binary.BigEndian, typ: elf.ET_EXEC, machine: elf.EM_PPC},
}

func (s synth) String() string {
	return fmt.Sprintf("%v-%v-%v-%v", s.class, s.order, s.typ, s.machine)
}

// tb is the part of testing.TB that *rapid.T also has.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// checkLayout verifies, with the standard library's reader, the rules the
// kernel and ld.so apply to program headers, and that the dynamic values
// read back as want (nil fields are not checked).
func checkLayout(t tb, b []byte) *elf.File {
	t.Helper()
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("debug/elf cannot read the output: %v", err)
	}
	page := PageSize(ef.Machine)
	var loads []*elf.Prog
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			loads = append(loads, p)
		}
	}
	for i, p := range loads {
		if p.Align > 1 && (p.Vaddr-p.Off)%p.Align != 0 {
			t.Errorf("PT_LOAD %d: vaddr %#x and offset %#x not congruent modulo align %#x", i, p.Vaddr, p.Off, p.Align)
		}
		if p.Off+p.Filesz > uint64(len(b)) {
			t.Errorf("PT_LOAD %d: past the end of the file", i)
		}
		if i > 0 {
			prev := loads[i-1]
			if p.Vaddr < prev.Vaddr {
				t.Errorf("PT_LOAD %d not sorted by address", i)
			}
			if p.Vaddr&^(page-1) < roundUp(prev.Vaddr+prev.Memsz, page) && i == len(loads)-1 && p.Flags == elf.PF_R|elf.PF_W && p.Align >= page {
				t.Errorf("new PT_LOAD at %#x shares a %d-byte page with the previous segment ending at %#x", p.Vaddr, page, prev.Vaddr+prev.Memsz)
			}
		}
	}
	mapped := func(name string, off, vaddr, size uint64) {
		for _, l := range loads {
			if vaddr >= l.Vaddr && vaddr+size <= l.Vaddr+l.Filesz {
				if vaddr-l.Vaddr != off-l.Off {
					t.Errorf("%s: address %#x and offset %#x disagree with PT_LOAD at %#x/%#x", name, vaddr, off, l.Vaddr, l.Off)
				}
				return
			}
		}
		t.Errorf("%s at %#x+%#x is not inside any PT_LOAD", name, vaddr, size)
	}
	for _, p := range ef.Progs {
		switch p.Type {
		case elf.PT_PHDR, elf.PT_INTERP, elf.PT_DYNAMIC:
			mapped(p.Type.String(), p.Off, p.Vaddr, p.Filesz)
		}
	}
	if ds := ef.Section(".dynstr"); ds != nil {
		ptr, _ := dynValue(ef, elf.DT_STRTAB)
		sz, _ := dynValue(ef, elf.DT_STRSZ)
		if ds.Addr != ptr || ds.Size != sz {
			t.Errorf(".dynstr section %#x+%#x disagrees with DT_STRTAB %#x DT_STRSZ %#x", ds.Addr, ds.Size, ptr, sz)
		}
		mapped(".dynstr", ds.Offset, ds.Addr, ds.Size)
	}
	return ef
}

// dynValue reads a dynamic entry through debug/elf.
func dynValue(ef *elf.File, tag elf.DynTag) (uint64, bool) {
	v, err := ef.DynValue(tag)
	if err != nil || len(v) == 0 {
		return 0, false
	}
	return v[0], true
}

// dynStrings reads string entries through debug/elf.
func dynStrings(t tb, ef *elf.File, tag elf.DynTag) []string {
	t.Helper()
	v, err := ef.DynString(tag)
	if err != nil {
		t.Fatalf("debug/elf DynString(%v): %v", tag, err)
	}
	return v
}

func TestSynthParses(t *testing.T) {
	for _, k := range synthKinds {
		k.interp = "/lib/ld.so.1"
		k.needed = []string{"libc.so.6"}
		k.runpath = "/opt/lib"
		b := k.build()
		f, err := Parse(b)
		if err != nil {
			t.Fatalf("%v: %v", k, err)
		}
		ef := checkLayout(t, b)
		if got := dynStrings(t, ef, elf.DT_NEEDED); !slices.Equal(got, k.needed) {
			t.Errorf("%v: debug/elf needed %q", k, got)
		}
		if in, _ := f.Interpreter(); in != k.interp {
			t.Errorf("%v: interpreter %q", k, in)
		}
	}
}
