package elfpatch

import (
	"bytes"
	"cmp"
	"debug/elf"
	"fmt"
	"slices"
)

// PageSize returns the largest page size the kernel may use for the
// machine; a new PT_LOAD is aligned to at least this so that the file also
// loads on 64 KiB-page kernels (aarch64, ppc64, loongarch...).
func PageSize(m elf.Machine) uint64 {
	switch m {
	case elf.EM_AARCH64, elf.EM_PPC, elf.EM_PPC64, elf.EM_MIPS, elf.EM_MIPS_RS3_LE,
		elf.EM_ALPHA, elf.EM_IA_64, elf.EM_LOONGARCH, elf.EM_TILEGX:
		return 64 << 10
	case elf.EM_SPARC, elf.EM_SPARCV9, elf.EM_SPARC32PLUS:
		return 8 << 10
	}
	return 4 << 10
}

func roundUp(v, a uint64) uint64 {
	if a <= 1 {
		return v
	}
	return (v + a - 1) / a * a
}

func isPow2(v uint64) bool { return v != 0 && v&(v-1) == 0 }

// findString returns an offset at which s followed by NUL sits in table.
// Any match works, including the tail of a longer string.
func findString(table []byte, s string) (uint64, bool) {
	needle := make([]byte, len(s)+1)
	copy(needle, s)
	i := bytes.Index(table, needle)
	if i < 0 {
		return 0, false
	}
	return uint64(i), true
}

// externalRefs lists the string-table offsets used by structures other
// than the dynamic section (symbol names, version records). complete is
// false when some user of the table could not be enumerated; then no string
// is overwritten in place.
func (f *File) externalRefs() (refs []uint64, complete bool) {
	h := &f.hdr
	o := h.order
	// Symbol names: via the section table, the only place that sizes .dynsym.
	strSec := -1
	for i, s := range f.sects {
		if s.typ == elf.SHT_STRTAB && s.flags&elf.SHF_ALLOC != 0 && s.addr == f.strAddr {
			strSec = i
		}
	}
	symtab, hasSym := f.dynVal(elf.DT_SYMTAB)
	if hasSym && strSec < 0 {
		return nil, false
	}
	symListed := false // the table DT_SYMTAB points at was read
	for _, s := range f.sects {
		if strSec < 0 || s.link != uint32(strSec) || s.typ == elf.SHT_NULL {
			continue
		}
		switch s.typ {
		case elf.SHT_DYNSYM:
			es := uint64(16)
			if h.is64() {
				es = 24
			}
			if s.entsize != es || !inFile(s.off, s.size, len(f.data)) {
				return nil, false
			}
			for p := s.off; p+es <= s.off+s.size; p += es {
				refs = append(refs, uint64(o.Uint32(f.data[p:])))
			}
			symListed = symListed || s.addr == symtab
		case elf.SHT_DYNAMIC, elf.SHT_GNU_VERNEED, elf.SHT_GNU_VERDEF:
			// handled through the dynamic section below
		default:
			return nil, false // an unknown user of the string table
		}
	}
	if hasSym && !symListed {
		// The loader's symbol table is not the one the section table
		// describes (or none is described): its names are unknown.
		return nil, false
	}
	// Version needs: vn_file and each vna_name.
	for _, vo := range f.verneedOff {
		refs = append(refs, uint64(o.Uint32(f.data[vo+4:])))
		cnt := uint64(o.Uint16(f.data[vo+2:]))
		aux := vo + uint64(o.Uint32(f.data[vo+8:]))
		for j := uint64(0); j < cnt; j++ {
			if !inFile(aux, 16, len(f.data)) {
				return nil, false
			}
			refs = append(refs, uint64(o.Uint32(f.data[aux+8:])))
			next := uint64(o.Uint32(f.data[aux+12:]))
			if next == 0 {
				break
			}
			aux += next
		}
	}
	// Version definitions: each vda_name.
	if vd, ok := f.dynVal(elf.DT_VERDEF); ok {
		cnt, _ := f.dynVal(elf.DT_VERDEFNUM)
		addr := vd
		for i := uint64(0); i < cnt && i < 4096; i++ {
			off, ok := f.addrToOff(addr, 20)
			if !ok {
				return nil, false
			}
			n := uint64(o.Uint16(f.data[off+6:]))
			aux := off + uint64(o.Uint32(f.data[off+12:]))
			for j := uint64(0); j < n && j < 4096; j++ {
				if !inFile(aux, 8, len(f.data)) {
					return nil, false
				}
				refs = append(refs, uint64(o.Uint32(f.data[aux:])))
				next := uint64(o.Uint32(f.data[aux+4:]))
				if next == 0 {
					break
				}
				aux += next
			}
			next := uint64(o.Uint32(f.data[off+16:]))
			if next == 0 {
				break
			}
			addr += next
		}
	}
	return refs, true
}

// exclusive reports whether the string at [off, off+n] (NUL included) is
// used by nobody in refs.
func exclusive(table []byte, refs []uint64, off, n uint64) bool {
	if off > 0 && table[off-1] != 0 {
		return false // it may be the tail of a longer string
	}
	for _, r := range refs {
		if r >= off && r <= off+n {
			return false
		}
	}
	return true
}

// Bytes returns the patched file. The original data is never modified.
// When every new value fits in place the file keeps its size and layout;
// otherwise the interpreter, dynamic string table and dynamic section that
// must grow move to a load segment at the end of the file (see the package
// documentation for the layout).
func (f *File) Bytes() ([]byte, error) {
	if !f.edited {
		return slices.Clone(f.data), nil
	}
	m, err := f.build()
	if err != nil {
		return nil, err
	}
	return m.bytes(), nil
}

// build lays out the patched file and checks it; the result describes the
// output without copying the unchanged parts of the original.
func (f *File) build() (*image, error) {
	if !f.edited {
		n := uint64(len(f.data))
		return newImage(f.data, n, n, n), nil
	}
	h := f.hdr
	o := h.order

	// 1. Assign string-table offsets to changed entries.
	// The new table: the old one plus room for every string that may be
	// appended, so that appending never copies it again.
	extra := 0
	for _, d := range f.dyn {
		if d.pending {
			extra += len(d.str) + 1
		}
	}
	for _, r := range f.renames {
		extra += len(r) + 1
	}
	ds := append(make([]byte, 0, len(f.dynstr)+extra), f.dynstr...)
	dyn := slices.Clone(f.dyn)
	var ext []uint64
	complete, extRead := false, false
	for i := range dyn {
		if !dyn[i].pending {
			continue
		}
		s := dyn[i].str
		if off, ok := findString(ds, s); ok {
			dyn[i].val = off
			continue
		}
		if dyn[i].fromFile {
			switch dyn[i].tag {
			case elf.DT_RPATH, elf.DT_RUNPATH, elf.DT_SONAME:
				old := dyn[i].val
				oldLen := uint64(bytes.IndexByte(ds[old:], 0))
				// The references from symbols and version records are
				// read (they can be large) only when the new string
				// fits where the old one is.
				if uint64(len(s)) <= oldLen && !extRead {
					ext, complete = f.externalRefs()
					extRead = true
				}
				if uint64(len(s)) <= oldLen && complete {
					refs := slices.Clone(ext)
					for j := range dyn {
						if j != i && stringTag(dyn[j].tag) {
							refs = append(refs, dyn[j].val)
						}
					}
					if exclusive(ds, refs, old, oldLen) {
						clear(ds[old : old+oldLen])
						copy(ds[old:], s)
						continue
					}
				}
			}
		}
		dyn[i].val = uint64(len(ds))
		ds = append(ds, s...)
		ds = append(ds, 0)
	}
	// Version needs that name a renamed library.
	var vnFixes []vnFix
	for _, vo := range f.verneedOff {
		cur := uint64(o.Uint32(f.data[vo+4:]))
		name, err := f.str(cur)
		if err != nil {
			return nil, &FormatError{Off: int64(vo + 4), Field: "vn_file", Msg: err.Error()}
		}
		repl, ok := f.renames[name]
		if !ok {
			continue
		}
		off, found := findString(ds, repl)
		if !found {
			off = uint64(len(ds))
			ds = append(ds, repl...)
			ds = append(ds, 0)
		}
		vnFixes = append(vnFixes, vnFix{vo + 4, off})
	}
	if uint64(len(ds)) > 0xffffffff {
		return nil, fmt.Errorf("%w: dynamic string table would exceed 4 GiB", ErrUnsupported)
	}

	// 2. Decide what must move.
	growStr := len(ds) > len(f.dynstr)
	growDyn := f.dynIdx >= 0 && uint64(len(dyn)+1) > f.dynCap
	var interpRaw []byte
	growInterp := false
	if f.interpSet {
		interpRaw = append([]byte(f.interp), 0)
		growInterp = uint64(len(interpRaw)) > f.progs[f.interpIdx].filesz
	}
	if !growStr && !growDyn && !growInterp {
		return f.assemble(ds, dyn, interpRaw, vnFixes, nil)
	}
	if h.phnum == 0 {
		return nil, fmt.Errorf("%w: no program headers", ErrUnsupported)
	}
	lay := &layout{own: f.ownSegment()}
	inOwn := func(off uint64) bool {
		if lay.own < 0 {
			return false
		}
		L := f.progs[lay.own]
		return off >= L.off && off < L.off+L.filesz
	}
	if growStr && f.dynstr != nil && !inOwn(f.strOff) {
		lay.strInPlace = f.makeStrRoom(lay, uint64(len(ds)-len(f.dynstr)))
	}
	lay.moveStr = f.dynstr != nil && ((growStr && !lay.strInPlace) || inOwn(f.strOff))
	lay.moveDyn = f.dynIdx >= 0 && (growDyn || inOwn(f.progs[f.dynIdx].off))
	lay.moveInterp = f.interpIdx >= 0 && (growInterp || inOwn(f.progs[f.interpIdx].off))
	if lay.own >= 0 {
		L := f.progs[lay.own]
		lay.phInSeg = h.phoff == L.off
		for _, p := range f.progs {
			if (p.typ == elf.PT_NOTE || p.typ == elf.PT_GNU_PROPERTY) && p.filesz > 0 && inOwn(p.off) {
				lay.addCarry(p)
			}
		}
		for _, sc := range f.sects {
			if tag := versionTag(sc.typ); tag != 0 && sc.size > 0 && inOwn(sc.off) {
				lay.carries = append(lay.carries, carry{off: sc.off, size: sc.size, align: max(sc.addralign, 1), tag: tag})
			}
		}
	} else if !f.makePhdrRoom(lay) {
		lay.phInSeg = true
	}
	if lay.moveDyn && (h.machine == elf.EM_MIPS || h.machine == elf.EM_MIPS_RS3_LE) {
		return nil, fmt.Errorf("%w: moving the dynamic section of a MIPS file (DT_MIPS_RLD_MAP_REL is relative to it)", ErrUnsupported)
	}
	if lay.moveInterp && interpRaw == nil {
		interpRaw = append([]byte(f.interp), 0)
	}
	if err := f.place(lay, ds, dyn, interpRaw); err != nil {
		return nil, err
	}
	return f.assemble(ds, dyn, interpRaw, vnFixes, lay)
}

// layout describes the load segment that receives moved tables.
type layout struct {
	own                              int  // index of a reused PT_LOAD, or -1
	phInSeg                          bool // the program header table moves into the segment
	moveStr, moveDyn, moveInterp     bool
	strInPlace                       bool    // the string table grows in place
	carries                          []carry // note segments moved out of the program headers' way
	phnum                            uint64
	off, addr, align, size           uint64
	phPos, interpPos, strPos, dynPos uint64
}

// carry is a byte range of the input (a note segment) copied into the new
// segment at pos.
type carry struct {
	off, size, align, pos uint64
	tag                   elf.DynTag // the dynamic entry that points at it, if any
}

// versionTag returns the dynamic tag that locates a GNU version section,
// or 0 for other section types.
func versionTag(t elf.SectionType) elf.DynTag {
	switch t {
	case elf.SHT_GNU_VERSYM:
		return elf.DT_VERSYM
	case elf.SHT_GNU_VERNEED:
		return elf.DT_VERNEED
	case elf.SHT_GNU_VERDEF:
		return elf.DT_VERDEF
	}
	return 0
}

// makeStrRoom tries to let the dynamic string table grow in place by need
// bytes: the bytes after it, inside the same load segment, must be free or
// hold only GNU version sections (located by DT_VERSYM, DT_VERNEED,
// DT_VERDEF alone), which then move to the new segment. This keeps the
// file small when the table is large (copying a big .dynstr would add its
// whole size). It needs section headers to know what follows the table.
func (f *File) makeStrRoom(lay *layout, need uint64) bool {
	if len(f.sects) == 0 {
		return false
	}
	strEnd := f.strOff + uint64(len(f.dynstr))
	want := strEnd + need
	var load *prog
	for i, p := range f.progs {
		if p.typ == elf.PT_LOAD && f.strOff >= p.off && strEnd <= p.off+p.filesz {
			load = &f.progs[i]
		}
	}
	if load == nil || want > load.off+load.filesz {
		return false
	}
	for i, p := range f.progs {
		if p.typ == elf.PT_LOAD || p.typ == elf.PT_GNU_RELRO || p.filesz == 0 || i == lay.own {
			continue
		}
		if p.off < want && p.off+p.filesz > strEnd {
			return false
		}
	}
	if f.hdr.phoff < want && f.hdr.phoff+f.hdr.phnum*f.hdr.phdrSize() > strEnd {
		return false
	}
	if f.hdr.shnum > 0 && f.hdr.shoff < want && f.hdr.shoff+f.hdr.shnum*f.hdr.shdrSize() > strEnd {
		return false
	}
	var moved []carry
	for _, sc := range f.sects {
		if sc.size == 0 || sc.typ == elf.SHT_NULL || sc.typ == elf.SHT_NOBITS {
			continue
		}
		if sc.off >= want || sc.off+sc.size <= strEnd {
			continue
		}
		tag := versionTag(sc.typ)
		if tag == 0 || sc.off < strEnd || sc.flags&elf.SHF_ALLOC == 0 {
			return false
		}
		if v, ok := f.dynVal(tag); !ok || v != sc.addr || sc.addr-load.vaddr != sc.off-load.off {
			return false
		}
		moved = append(moved, carry{off: sc.off, size: sc.size, align: max(sc.addralign, 1), tag: tag})
	}
	// Nothing else may point into the range.
	lo, hi := load.vaddr+(strEnd-load.off), load.vaddr+(want-load.off)
	for _, d := range f.dyn {
		if stringTag(d.tag) || d.val < lo || d.val >= hi {
			continue
		}
		if !slices.ContainsFunc(moved, func(c carry) bool { return c.tag == d.tag }) {
			return false
		}
	}
	if f.hdr.entry >= lo && f.hdr.entry < hi {
		return false
	}
	lay.carries = append(lay.carries, moved...)
	return true
}

func (l *layout) addCarry(p prog) bool {
	for _, c := range l.carries {
		if c.off == p.off && c.size == p.filesz {
			return true
		}
		if p.off < c.off+c.size && c.off < p.off+p.filesz {
			return false // partial overlap of two note segments
		}
	}
	l.carries = append(l.carries, carry{off: p.off, size: p.filesz, align: max(p.align, 1)})
	return true
}

// carried returns the carry holding file offset off.
func (l *layout) carried(off uint64) (carry, bool) {
	for _, c := range l.carries {
		if off >= c.off && off < c.off+c.size {
			return c, true
		}
	}
	return carry{}, false
}

// makePhdrRoom tries to grow the program header table in place by one
// entry: the bytes after it may only hold the interpreter string and note
// segments, which then move to the new segment (patchelf does the same). It
// reports false when something else is in the way.
func (f *File) makePhdrRoom(lay *layout) bool {
	h := &f.hdr
	oldEnd := h.phoff + h.phnum*h.phdrSize()
	newEnd := oldEnd + h.phdrSize()
	covered := false
	for _, p := range f.progs {
		if p.typ == elf.PT_LOAD && p.off <= h.phoff && newEnd <= p.off+p.filesz {
			covered = true
		}
	}
	if !covered {
		return false
	}
	// What follows the table is known from the section headers only:
	// without them (stripped, as sstrip does) nothing may be overwritten.
	if h.shnum == 0 {
		return false
	}
	overlaps := func(off, size uint64) bool { return size > 0 && off < newEnd && oldEnd < off+size }
	// Tables the loader reaches through the dynamic section, whether or
	// not a section header describes them (a table starting in the room
	// would be overwritten).
	for _, d := range f.dyn {
		if !addressTag(d.tag) {
			continue
		}
		if off, ok := f.addrToOff(d.val, 1); ok && off >= oldEnd && off < newEnd {
			return false
		}
	}
	saved := *lay
	saved.carries = slices.Clone(lay.carries)
	ok := f.evictAfterPhdrs(lay, overlaps)
	if !ok {
		*lay = saved
	}
	return ok
}

// addressTag reports whether a dynamic tag's value is the address of a
// table in the file.
func addressTag(t elf.DynTag) bool {
	switch t {
	case elf.DT_HASH, elf.DT_GNU_HASH, elf.DT_SYMTAB, elf.DT_STRTAB, elf.DT_RELA, elf.DT_REL,
		elf.DynTag(36) /* DT_RELR */, elf.DT_JMPREL, elf.DT_INIT_ARRAY, elf.DT_FINI_ARRAY, elf.DT_PREINIT_ARRAY,
		elf.DT_VERSYM, elf.DT_VERNEED, elf.DT_VERDEF, elf.DT_PLTGOT, elf.DT_INIT, elf.DT_FINI:
		return true
	}
	return false
}

// evictAfterPhdrs marks what follows the program header table for moving;
// see makePhdrRoom.
func (f *File) evictAfterPhdrs(lay *layout, overlaps func(off, size uint64) bool) bool {
	for i, p := range f.progs {
		if p.typ == elf.PT_LOAD || p.typ == elf.PT_PHDR || !overlaps(p.off, p.filesz) {
			continue
		}
		switch {
		case i == f.interpIdx:
			lay.moveInterp = true
		case p.typ == elf.PT_NOTE || p.typ == elf.PT_GNU_PROPERTY:
			if !lay.addCarry(p) {
				return false
			}
		default:
			return false
		}
	}
	// Notes overlapping a carried range must be that same range.
	for _, p := range f.progs {
		if (p.typ == elf.PT_NOTE || p.typ == elf.PT_GNU_PROPERTY) && p.filesz > 0 {
			for _, c := range lay.carries {
				if p.off < c.off+c.size && c.off < p.off+p.filesz && (p.off != c.off || p.filesz != c.size) {
					return false
				}
			}
		}
	}
	var ip prog
	if f.interpIdx >= 0 {
		ip = f.progs[f.interpIdx]
	}
	for _, s := range f.sects {
		if s.typ == elf.SHT_NOBITS || s.size == 0 || s.typ == elf.SHT_NULL {
			continue
		}
		inInterp := lay.moveInterp && s.off >= ip.off && s.off+s.size <= ip.off+ip.filesz
		c, inCarry := lay.carried(s.off)
		inCarry = inCarry && s.off+s.size <= c.off+c.size
		if overlaps(s.off, s.size) && !inInterp && !inCarry {
			return false
		}
		// a section straddling the edge of a carried range cannot move
		for _, c := range lay.carries {
			if s.off < c.off+c.size && c.off < s.off+s.size && !(s.off >= c.off && s.off+s.size <= c.off+c.size) {
				return false
			}
		}
	}
	return true
}

// place chooses the segment's file offset and address and the position of
// each table in it.
func (f *File) place(lay *layout, ds []byte, dyn []dynEntry, interpRaw []byte) error {
	h := &f.hdr
	lay.phnum = h.phnum
	if lay.own < 0 {
		lay.phnum++
	}
	pos := uint64(0)
	if lay.phInSeg {
		lay.phPos = 0
		pos = lay.phnum * h.phdrSize()
	}
	if lay.moveInterp {
		lay.interpPos = pos
		pos += uint64(len(interpRaw))
	}
	for i := range lay.carries {
		pos = roundUp(pos, min(lay.carries[i].align, 64))
		lay.carries[i].pos = pos
		pos += lay.carries[i].size
	}
	if lay.moveStr {
		lay.strPos = pos
		pos += uint64(len(ds))
	}
	if lay.moveDyn {
		pos = roundUp(pos, h.wordSize())
		lay.dynPos = pos
		pos += uint64(len(dyn)+1) * h.dynEntSize()
	}
	lay.size = pos
	if lay.own >= 0 {
		L := f.progs[lay.own]
		lay.off, lay.addr, lay.align = L.off, L.vaddr, L.align
	} else {
		page := PageSize(h.machine)
		lay.align = page
		var maxEnd uint64
		first := -1
		for i, p := range f.progs {
			if p.typ != elf.PT_LOAD {
				continue
			}
			if first < 0 {
				first = i
			}
			if isPow2(p.align) && p.align > lay.align && p.align <= 1<<22 {
				lay.align = p.align
			}
			maxEnd = max(maxEnd, p.vaddr+p.memsz)
		}
		if first < 0 {
			return fmt.Errorf("%w: no PT_LOAD segment", ErrUnsupported)
		}
		base := roundUp(maxEnd, lay.align)
		if base < maxEnd {
			return fmt.Errorf("%w: segments reach the top of the address space", ErrUnsupported)
		}
		off0 := roundUp(uint64(len(f.data)), 64)
		if lay.phInSeg {
			// ld.so looks for the program headers of an object without
			// PT_PHDR in the page-rounded file range of each PT_LOAD, in
			// order: a table sharing a file page with the previous
			// segment's tail would be found there, in the wrong place.
			off0 = roundUp(uint64(len(f.data)), page)
		}
		lay.off, lay.addr = off0, base+off0%lay.align
		if lay.phInSeg && f.interpIdx >= 0 {
			// Kernels before 5.18 compute AT_PHDR of a program as the first
			// segment's address minus offset plus e_phoff: keep that
			// difference when a page of padding is enough. (Libraries are
			// mapped by ld.so, which has no such rule.)
			f0 := f.progs[first]
			if f0.vaddr >= f0.off {
				d0 := f0.vaddr - f0.off
				if d0%lay.align == 0 && base >= d0 {
					off1 := max(off0, base-d0)
					if off1-off0 <= page {
						lay.off, lay.addr = off1, off1+d0
					}
				}
			}
		}
	}
	if end, ok := checkedAdd(lay.addr, lay.size); !ok || end > h.maxAddr() {
		return fmt.Errorf("%w: new segment at %#x does not fit in the address space", ErrUnsupported, lay.addr)
	}
	return nil
}

// assemble builds the output file. lay is nil when everything fits in place.
func (f *File) assemble(ds []byte, dyn []dynEntry, interpRaw []byte, vnFixes []vnFix, lay *layout) (*image, error) {
	h := f.hdr
	ws := h.wordSize()
	progs := slices.Clone(f.progs)
	sects := slices.Clone(f.sects)
	moving := lay != nil
	if !moving {
		lay = &layout{own: -1}
	}
	// Dynamic entries that locate the string table.
	for i := range dyn {
		switch dyn[i].tag {
		case elf.DT_STRTAB:
			if lay.moveStr {
				dyn[i].val = lay.addr + lay.strPos
			}
		case elf.DT_STRSZ:
			dyn[i].val = uint64(len(ds))
		}
		for _, c := range lay.carries {
			if c.tag != 0 && dyn[i].tag == c.tag {
				dyn[i].val = lay.addr + c.pos
			}
		}
	}
	cut := uint64(len(f.data))
	shtAfter := false
	if lay.own >= 0 {
		L := f.progs[lay.own]
		cut = L.off
		shtAfter = h.shnum > 0 && h.shoff >= L.off
	}
	dynBytes := uint64(len(dyn)+1) * h.dynEntSize()
	if moving {
		phSize := lay.phnum * h.phdrSize()
		for i := range progs {
			p := &progs[i]
			setAt := func(pos, n uint64) {
				p.off, p.vaddr, p.paddr, p.filesz, p.memsz = lay.off+pos, lay.addr+pos, lay.addr+pos, n, n
			}
			switch {
			case p.typ == elf.PT_PHDR && lay.phInSeg:
				setAt(lay.phPos, phSize)
			case p.typ == elf.PT_PHDR:
				p.filesz, p.memsz = phSize, phSize
			case i == f.interpIdx && lay.moveInterp:
				setAt(lay.interpPos, uint64(len(interpRaw)))
			case i == f.dynIdx && lay.moveDyn:
				setAt(lay.dynPos, dynBytes)
			case i == lay.own:
				p.filesz, p.memsz = lay.size, lay.size
			case p.typ == elf.PT_NOTE || p.typ == elf.PT_GNU_PROPERTY:
				if c, ok := lay.carried(p.off); ok && p.filesz > 0 {
					setAt(c.pos+(p.off-c.off), p.filesz)
				}
			}
		}
		if lay.own < 0 {
			last := 0
			for i, p := range progs {
				if p.typ == elf.PT_LOAD {
					last = i
				}
			}
			progs = slices.Insert(progs, last+1, prog{
				typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W,
				off: lay.off, vaddr: lay.addr, paddr: lay.addr,
				filesz: lay.size, memsz: lay.size, align: lay.align,
			})
		}
		var interpAddr uint64
		if f.interpIdx >= 0 {
			interpAddr = f.progs[f.interpIdx].vaddr
		}
		for i := range sects {
			s := &sects[i]
			if s.flags&elf.SHF_ALLOC == 0 || s.typ == elf.SHT_NULL {
				continue
			}
			c, inCarry := lay.carried(s.off)
			switch {
			case lay.moveInterp && s.addr == interpAddr && s.typ == elf.SHT_PROGBITS:
				s.off, s.addr, s.size = lay.off+lay.interpPos, lay.addr+lay.interpPos, uint64(len(interpRaw))
			case lay.strInPlace && s.addr == f.strAddr && s.typ == elf.SHT_STRTAB:
				s.size = uint64(len(ds))
			case lay.moveStr && s.addr == f.strAddr && s.typ == elf.SHT_STRTAB:
				s.off, s.addr, s.size = lay.off+lay.strPos, lay.addr+lay.strPos, uint64(len(ds))
			case lay.moveDyn && s.typ == elf.SHT_DYNAMIC:
				s.off, s.addr, s.size = lay.off+lay.dynPos, lay.addr+lay.dynPos, dynBytes
			case inCarry && s.size > 0 && s.typ != elf.SHT_NOBITS:
				pos := c.pos + (s.off - c.off)
				s.off, s.addr = lay.off+pos, lay.addr+pos
			}
		}
	}

	size := cut
	if moving {
		size = lay.off + lay.size
	}
	shoff := h.shoff
	if shtAfter {
		shoff = roundUp(size, ws)
		size = shoff + h.shnum*h.shdrSize()
	}
	tailOff := cut // zeros between the kept prefix and the new segment
	if moving {
		tailOff = max(cut, min(lay.off, size))
	}
	m := newImage(f.data, cut, tailOff, size)
	// Version records renamed by ReplaceNeeded: fixed where they stay, and
	// in the copies of carried ranges (.gnu.version_r may itself be carried
	// to the new segment).
	fix := func(b []byte, at uint64) {
		for _, fx := range vnFixes {
			if fx.off >= at && fx.off+4 <= at+uint64(len(b)) {
				h.order.PutUint32(b[fx.off-at:], uint32(fx.val))
			}
		}
	}
	for _, fx := range vnFixes {
		if fx.off+4 <= cut {
			h.order.PutUint32(m.at(fx.off, 4), uint32(fx.val))
		}
	}
	seg := func(pos, n uint64) []byte { return m.at(lay.off+pos, n) }
	// Carried notes first: their source may lie in a reused segment that is
	// not part of the output's kept prefix, so read them from the input.
	for _, c := range lay.carries {
		b := seg(c.pos, c.size)
		copy(b, f.data[c.off:c.off+c.size])
		fix(b, c.off)
	}
	if lay.moveStr {
		copy(seg(lay.strPos, uint64(len(ds))), ds)
	} else if f.dynstr != nil {
		// Same length, or grown into room makeStrRoom made. Only what
		// changed is written: strings overwritten in place and the
		// appended ones (the table of a large library is 100 KiB or more,
		// a patch changes a few bytes of it).
		old := f.dynstr
		if lo := diffStart(old, ds); lo < len(old) {
			hi := len(old) - diffEnd(old[lo:], ds[lo:len(old)])
			copy(m.at(f.strOff+uint64(lo), uint64(hi-lo)), ds[lo:hi])
		}
		if len(ds) > len(old) {
			copy(m.at(f.strOff+uint64(len(old)), uint64(len(ds)-len(old))), ds[len(old):])
		}
	}
	if lay.moveInterp {
		copy(seg(lay.interpPos, uint64(len(interpRaw))), interpRaw)
	} else if f.interpSet {
		p := f.progs[f.interpIdx]
		b := m.at(p.off, p.filesz)
		clear(b)
		copy(b, interpRaw)
	}
	var dynAt, dynLen uint64
	if f.dynIdx >= 0 {
		var slots uint64
		if lay.moveDyn {
			dynAt, slots = lay.off+lay.dynPos, uint64(len(dyn)+1)
		} else {
			dynAt, slots = f.progs[f.dynIdx].off, f.dynCap
		}
		es := h.dynEntSize()
		dynLen = slots * es
		b := m.at(dynAt, dynLen)
		clear(b)
		for i, d := range dyn {
			e := b[uint64(i)*es:]
			h.putWord(e, uint64(d.tag))
			h.putWord(e[ws:], d.val)
		}
	}
	nh := h
	if moving {
		nh.phnum = lay.phnum
		if lay.phInSeg {
			nh.phoff = lay.off + lay.phPos
		}
	}
	phLen := uint64(len(progs)) * h.phdrSize()
	b := m.at(nh.phoff, phLen)
	for i, p := range progs {
		h.putProg(b[uint64(i)*h.phdrSize():], p)
	}
	nh.shoff = shoff
	shLen := uint64(len(sects)) * h.shdrSize()
	if shLen > 0 {
		b = m.at(shoff, shLen)
		for i, s := range sects {
			h.putSect(b[uint64(i)*h.shdrSize():], s)
		}
	}
	nh.putHeaderTables(m.at(0, h.ehdrSize()))
	if m.outside {
		return nil, fmt.Errorf("%w: internal check: the layout writes past the end of the %d-byte output", ErrUnsupported, size)
	}

	// The self-check parses the output as a loader would see it. Only the
	// structures the parser reads are filled in (headers, tables, the
	// interpreter, the dynamic section, the string table, version needs);
	// a range left out reads as zeros and fails the check, never passes it.
	ranges := [][2]uint64{
		{0, h.ehdrSize()},
		{nh.phoff, nh.phoff + phLen},
		{shoff, shoff + shLen},
		{dynAt, dynAt + dynLen},
	}
	// The string table where the output's own DT_STRTAB/DT_STRSZ and
	// program headers put it, found as the parser will find it.
	var strtab, strsz uint64
	hasT, hasS := false, false
	for _, d := range dyn {
		switch {
		case d.tag == elf.DT_STRTAB && !hasT:
			strtab, hasT = d.val, true
		case d.tag == elf.DT_STRSZ && !hasS:
			strsz, hasS = d.val, true
		}
	}
	if end, ok := checkedAdd(strtab, strsz); hasT && hasS && ok {
		for _, p := range progs {
			if p.typ == elf.PT_LOAD && strtab >= p.vaddr && end <= p.vaddr+p.filesz {
				// The parser reads the strings of the dynamic entries
				// (each up to its NUL), nothing else of the table.
				base := p.off + (strtab - p.vaddr)
				for _, d := range dyn {
					if stringTag(d.tag) && d.val < strsz {
						ranges = append(ranges, [2]uint64{base + d.val, base + min(d.val+uint64(len(d.str))+1, strsz)})
					}
				}
				break
			}
		}
	}
	for _, p := range progs {
		if p.typ == elf.PT_INTERP || p.typ == elf.PT_DYNAMIC {
			ranges = append(ranges, [2]uint64{p.off, p.off + p.filesz})
		}
	}
	for _, s := range sects {
		if s.typ == elf.SHT_GNU_VERNEED {
			ranges = append(ranges, [2]uint64{s.off, s.off + s.size})
		}
	}
	for _, vo := range f.verneedOff {
		ranges = append(ranges, [2]uint64{vo, vo + 16})
	}
	check, free := m.sparse(ranges)
	err := f.verify(check, dyn)
	free() // verify keeps nothing of the buffer: Parse copies the strings
	if err != nil {
		return nil, err
	}
	return m, nil
}

// diffStart returns the length of the common prefix of a and b.
func diffStart(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+8 <= n && string(a[i:i+8]) == string(b[i:i+8]) {
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// diffEnd returns the length of the common suffix of a and b.
func diffEnd(a, b []byte) int {
	n := min(len(a), len(b))
	a, b = a[len(a)-n:], b[len(b)-n:]
	i := 0
	for i+8 <= n && string(a[n-i-8:n-i]) == string(b[n-i-8:n-i]) {
		i += 8
	}
	for i < n && a[n-i-1] == b[n-i-1] {
		i++
	}
	return i
}

// vnFix rewrites the vn_file field at off (a file offset) to val.
type vnFix struct{ off, val uint64 }

// verify re-parses the output and checks that it says what was asked.
func (f *File) verify(out []byte, dyn []dynEntry) error {
	g, err := Parse(out)
	if err != nil {
		return fmt.Errorf("%w: internal check: the patched file does not parse: %v", ErrUnsupported, err)
	}
	if f.interpIdx >= 0 && g.interp != f.interp {
		return fmt.Errorf("%w: internal check: interpreter reads back as %q, want %q", ErrUnsupported, g.interp, f.interp)
	}
	if len(g.dyn) != len(dyn) {
		return fmt.Errorf("%w: internal check: %d dynamic entries read back, want %d", ErrUnsupported, len(g.dyn), len(dyn))
	}
	// Tables the loader reaches by address must be mapped where the file
	// has them (unless the input already was not).
	mappedOK := func(x *File, t elf.ProgType) bool {
		for _, p := range x.progs {
			if p.typ == t {
				off, ok := x.addrToOff(p.vaddr, p.filesz)
				return ok && off == p.off
			}
		}
		return true
	}
	for _, t := range []elf.ProgType{elf.PT_PHDR, elf.PT_INTERP, elf.PT_DYNAMIC} {
		if mappedOK(f, t) && !mappedOK(g, t) {
			return fmt.Errorf("%w: internal check: %v is not mapped at its file offset", ErrUnsupported, t)
		}
	}
	var prev *prog
	for i := range g.progs {
		p := &g.progs[i]
		if p.typ != elf.PT_LOAD {
			continue
		}
		if prev != nil && p.vaddr < prev.vaddr {
			return fmt.Errorf("%w: internal check: PT_LOAD entries not sorted by address", ErrUnsupported)
		}
		prev = p
	}
	if last := prev; last != nil && len(g.progs) > len(f.progs) {
		if !isPow2(last.align) || (last.vaddr-last.off)%last.align != 0 {
			return fmt.Errorf("%w: internal check: new PT_LOAD misaligned", ErrUnsupported)
		}
	}
	for i, d := range dyn {
		e := g.dyn[i]
		if e.tag != d.tag || (stringTag(d.tag) && e.str != d.str) || (!stringTag(d.tag) && e.val != d.val) {
			return fmt.Errorf("%w: internal check: dynamic entry %d (%v) reads back wrong", ErrUnsupported, i, d.tag)
		}
	}
	return nil
}

// ownSegment finds a load segment appended by an earlier run of this
// patcher (or one laid out the same way): the last PT_LOAD, highest in
// memory, read-write and not executable, at the end of the file (only the
// section header table may follow it), holding nothing but the program
// header table (at its start), the interpreter, note segments, the dynamic
// string table and the dynamic section. Reusing it keeps repeated patching
// from growing the file each time. It returns the index of that PT_LOAD or
// -1.
func (f *File) ownSegment() int {
	h := &f.hdr
	li := -1
	for i, p := range f.progs {
		if p.typ == elf.PT_LOAD {
			li = i
		}
	}
	if li < 0 {
		return -1
	}
	L := f.progs[li]
	for i, p := range f.progs {
		if p.typ == elf.PT_LOAD && i != li && p.vaddr+p.memsz > L.vaddr {
			return -1
		}
	}
	end := L.off + L.filesz
	shSize := h.shnum * h.shdrSize()
	trailerOK := end == uint64(len(f.data)) ||
		(h.shnum > 0 && h.shoff >= end && h.shoff-end < 16 && h.shoff+shSize == uint64(len(f.data)))
	if L.filesz != L.memsz || !trailerOK || L.flags&elf.PF_X != 0 || L.vaddr-L.off != L.paddr-L.off {
		return -1
	}
	phEnd := h.phoff + h.phnum*h.phdrSize()
	if h.phoff != L.off && phEnd > L.off && h.phoff < end {
		return -1 // the table straddles the segment
	}
	lo, hi := L.vaddr, L.vaddr+L.memsz
	in := func(a uint64) bool { return a >= lo && a < hi }
	fileIn := func(off, size uint64) bool { return off >= L.off && off+size <= end }
	if in(h.entry) {
		return -1
	}
	var interpAddr, dynAddr uint64 = ^uint64(0), ^uint64(0)
	if f.interpIdx >= 0 {
		interpAddr = f.progs[f.interpIdx].vaddr
	}
	if f.dynIdx >= 0 {
		dynAddr = f.progs[f.dynIdx].vaddr
	}
	var notes []prog
	for i, p := range f.progs {
		if i == li || (p.memsz == 0 && p.filesz == 0) {
			continue
		}
		overlapMem := p.vaddr < hi && p.vaddr+p.memsz > lo
		overlapFile := p.filesz > 0 && p.off < end && p.off+p.filesz > L.off
		if !overlapMem && !overlapFile {
			continue
		}
		if !fileIn(p.off, p.filesz) || p.vaddr-lo != p.off-L.off {
			return -1
		}
		switch {
		case p.typ == elf.PT_PHDR && p.off == L.off:
		case i == f.interpIdx, i == f.dynIdx:
		case p.typ == elf.PT_NOTE || p.typ == elf.PT_GNU_PROPERTY:
			notes = append(notes, p)
		default:
			return -1
		}
	}
	for _, s := range f.sects {
		if s.size == 0 || s.typ == elf.SHT_NULL {
			continue
		}
		if s.flags&elf.SHF_ALLOC != 0 && s.addr < hi && s.addr+s.size > lo {
			switch {
			case s.addr == interpAddr, s.addr == dynAddr, s.addr == f.strAddr:
			case versionTag(s.typ) != 0 && s.off >= L.off && s.off+s.size <= end:
			case s.typ == elf.SHT_NOTE && slices.ContainsFunc(notes, func(p prog) bool {
				return s.off >= p.off && s.off+s.size <= p.off+p.filesz
			}):
			default:
				return -1
			}
		} else if s.flags&elf.SHF_ALLOC == 0 && s.typ != elf.SHT_NOBITS && s.off < end && s.off+s.size > L.off {
			return -1
		}
	}
	if h.shnum > 0 && h.shoff < end && h.shoff+shSize > L.off {
		return -1
	}
	// The known tables must fill the segment exactly, up to alignment
	// padding, as this writer lays it out: anything else would be lost.
	type span struct{ off, end, align uint64 }
	var spans []span
	addSpan := func(off, size, align uint64) {
		if size > 0 && off >= L.off && off+size <= end {
			spans = append(spans, span{off, off + size, min(max(align, 1), 64)})
		}
	}
	if h.phoff == L.off {
		addSpan(h.phoff, h.phnum*h.phdrSize(), 1)
	}
	if f.interpIdx >= 0 {
		addSpan(f.progs[f.interpIdx].off, f.progs[f.interpIdx].filesz, 1)
	}
	if f.dynIdx >= 0 {
		addSpan(f.progs[f.dynIdx].off, f.progs[f.dynIdx].filesz, h.wordSize())
	}
	addSpan(f.strOff, uint64(len(f.dynstr)), 1)
	for _, p := range notes {
		addSpan(p.off, p.filesz, p.align)
	}
	for _, sc := range f.sects {
		if versionTag(sc.typ) != 0 {
			addSpan(sc.off, sc.size, sc.addralign)
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	cur := L.off
	for _, sp := range spans {
		if sp.off > cur && sp.off-cur >= sp.align {
			return -1 // a gap larger than alignment padding
		}
		cur = max(cur, sp.end)
	}
	if end != cur {
		return -1
	}
	for _, d := range f.dyn {
		if stringTag(d.tag) || d.tag == elf.DT_STRTAB {
			continue
		}
		if in(d.val) && d.tag != elf.DT_VERSYM && d.tag != elf.DT_VERNEED && d.tag != elf.DT_VERDEF {
			return -1
		}
	}
	return li
}
