package elfpatch

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
)

// dynEntry is one entry of the dynamic section. For string-valued tags
// whose value was changed, str holds the new string and pending is set; the
// string-table offset is assigned when the file is written.
type dynEntry struct {
	tag     elf.DynTag
	val     uint64
	str     string
	pending bool
	// fromFile is set when val is an offset into the original string table.
	fromFile bool
}

// File is an ELF executable or shared object loaded for patching. The
// accessors report the current (possibly edited) values; Bytes and
// WriteFile produce the patched file. A File is not safe for concurrent use.
type File struct {
	name string      // path it was read from, for messages ("" when parsed from bytes)
	mode os.FileMode // mode of the file it was read from
	data []byte      // the original file

	hdr   header
	progs []prog
	sects []sect

	interpIdx  int // index of PT_INTERP in progs, -1 if none
	interp     string
	interpSet  bool
	dynIdx     int // index of PT_DYNAMIC in progs, -1 if none
	dynCap     uint64
	dyn        []dynEntry
	dynstr     []byte // the original dynamic string table
	strOff     uint64 // file offset of the dynamic string table
	strAddr    uint64 // its address (DT_STRTAB)
	verneedOff []uint64
	renames    map[string]string // DT_NEEDED renames, applied to .gnu.version_r
	edited     bool
}

// stringTag reports whether a dynamic tag's value is an offset into the
// dynamic string table.
func stringTag(t elf.DynTag) bool {
	switch t {
	case elf.DT_NEEDED, elf.DT_SONAME, elf.DT_RPATH, elf.DT_RUNPATH,
		elf.DT_AUXILIARY, elf.DT_FILTER, elf.DT_CONFIG, elf.DT_DEPAUDIT, elf.DT_AUDIT:
		return true
	}
	return false
}

// Parse reads an ELF executable or shared object from memory. The File
// keeps data and never modifies it; Bytes returns a new slice.
func Parse(data []byte) (*File, error) {
	h, err := parseHeader(data)
	if err != nil {
		return nil, err
	}
	f := &File{data: data, hdr: h, interpIdx: -1, dynIdx: -1, mode: 0o755}
	f.progs = make([]prog, h.phnum)
	for i := range f.progs {
		p := h.readProg(data, uint64(i))
		at := int64(h.phoff + uint64(i)*h.phdrSize())
		if p.typ == elf.PT_LOAD || p.typ == elf.PT_INTERP || p.typ == elf.PT_DYNAMIC || p.typ == elf.PT_PHDR {
			if !inFile(p.off, p.filesz, len(data)) {
				return nil, &FormatError{Off: at, Field: fmt.Sprintf("program header %d (%v)", i, p.typ), Msg: fmt.Sprintf("file range %#x+%#x lies past the end of the %d-byte file", p.off, p.filesz, len(data))}
			}
			if _, ok := checkedAdd(p.vaddr, p.memsz); !ok || p.vaddr+p.memsz > h.maxAddr() {
				return nil, &FormatError{Off: at, Field: fmt.Sprintf("program header %d (%v)", i, p.typ), Msg: "address range overflows"}
			}
		}
		if p.typ == elf.PT_LOAD && p.filesz > p.memsz {
			return nil, &FormatError{Off: at, Field: fmt.Sprintf("program header %d (PT_LOAD)", i), Msg: fmt.Sprintf("p_filesz %#x is larger than p_memsz %#x", p.filesz, p.memsz)}
		}
		switch p.typ {
		case elf.PT_INTERP:
			if f.interpIdx >= 0 {
				return nil, &FormatError{Off: at, Field: "PT_INTERP", Msg: "more than one"}
			}
			f.interpIdx = i
		case elf.PT_DYNAMIC:
			if f.dynIdx >= 0 {
				return nil, &FormatError{Off: at, Field: "PT_DYNAMIC", Msg: "more than one"}
			}
			f.dynIdx = i
		}
		f.progs[i] = p
	}
	f.sects = make([]sect, h.shnum)
	for i := range f.sects {
		f.sects[i] = h.readSect(data, uint64(i))
	}
	if f.interpIdx >= 0 {
		p := f.progs[f.interpIdx]
		raw := data[p.off : p.off+p.filesz]
		n := bytes.IndexByte(raw, 0)
		if n < 0 {
			return nil, &FormatError{Off: int64(p.off), Field: "PT_INTERP", Msg: "interpreter path is not NUL-terminated"}
		}
		f.interp = string(raw[:n])
	}
	if f.dynIdx >= 0 {
		if err := f.parseDynamic(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Open reads and parses the ELF file at path.
func Open(path string) (*File, error) {
	in, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer in.close()
	data, err := in.readAll()
	if err != nil {
		return nil, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.name = path
	f.mode = in.mode
	return f, nil
}

// addrToOff maps a virtual address range to a file offset through the
// PT_LOAD segments; ok is false when no segment holds it in file.
func (f *File) addrToOff(addr, size uint64) (uint64, bool) {
	for _, p := range f.progs {
		if p.typ != elf.PT_LOAD {
			continue
		}
		end, ok := checkedAdd(addr, size)
		if !ok {
			return 0, false
		}
		if addr >= p.vaddr && end <= p.vaddr+p.filesz {
			return p.off + (addr - p.vaddr), true
		}
	}
	return 0, false
}

func (f *File) parseDynamic() error {
	h := &f.hdr
	p := f.progs[f.dynIdx]
	es := h.dynEntSize()
	f.dynCap = p.filesz / es
	terminated := false
	for i := uint64(0); i < f.dynCap; i++ {
		b := f.data[p.off+i*es:]
		tag := elf.DynTag(int64(h.readWord(b)))
		if !h.is64() {
			tag = elf.DynTag(int32(h.order.Uint32(b)))
		}
		val := h.readWord(b[h.wordSize():])
		if tag == elf.DT_NULL {
			terminated = true
			break
		}
		f.dyn = append(f.dyn, dynEntry{tag: tag, val: val})
	}
	if !terminated {
		return &FormatError{Off: int64(p.off), Field: "PT_DYNAMIC", Msg: "dynamic section has no DT_NULL terminator"}
	}
	strtab, okT := f.dynVal(elf.DT_STRTAB)
	strsz, okS := f.dynVal(elf.DT_STRSZ)
	if !okT || !okS {
		if f.hasStringEntries() {
			return &FormatError{Off: int64(p.off), Field: "PT_DYNAMIC", Msg: "string entries present but DT_STRTAB or DT_STRSZ missing"}
		}
		return nil
	}
	off, ok := f.addrToOff(strtab, strsz)
	if !ok {
		return &FormatError{Off: int64(p.off), Field: "DT_STRTAB/DT_STRSZ", Msg: fmt.Sprintf("string table %#x+%#x is not inside a loaded segment of the file", strtab, strsz)}
	}
	f.strOff, f.strAddr = off, strtab
	f.dynstr = f.data[off : off+strsz]
	for i, d := range f.dyn {
		if !stringTag(d.tag) {
			continue
		}
		s, err := f.str(d.val)
		if err != nil {
			return &FormatError{Off: int64(p.off + uint64(i)*es), Field: fmt.Sprintf("dynamic entry %d (%v)", i, d.tag), Msg: err.Error()}
		}
		f.dyn[i].str, f.dyn[i].fromFile = s, true
	}
	// Version needs reference library names in the string table; their
	// vn_file fields follow a DT_NEEDED that is replaced.
	if vn, ok := f.dynVal(elf.DT_VERNEED); ok {
		cnt, _ := f.dynVal(elf.DT_VERNEEDNUM)
		if cnt > 4096 {
			return &FormatError{Off: int64(p.off), Field: "DT_VERNEEDNUM", Msg: fmt.Sprintf("%d version needs is implausible", cnt)}
		}
		addr := vn
		for i := uint64(0); i < cnt; i++ {
			o, ok := f.addrToOff(addr, 16)
			if !ok {
				return &FormatError{Off: int64(p.off), Field: fmt.Sprintf("DT_VERNEED entry %d", i), Msg: fmt.Sprintf("address %#x is not inside a loaded segment", addr)}
			}
			f.verneedOff = append(f.verneedOff, o)
			next := uint64(h.order.Uint32(f.data[o+12:]))
			if next == 0 {
				break
			}
			addr += next
		}
	}
	return nil
}

func (f *File) hasStringEntries() bool {
	for _, d := range f.dyn {
		if stringTag(d.tag) {
			return true
		}
	}
	return false
}

// str reads the NUL-terminated string at offset off of the original table.
func (f *File) str(off uint64) (string, error) {
	if off >= uint64(len(f.dynstr)) {
		return "", fmt.Errorf("string offset %#x is outside the %d-byte string table", off, len(f.dynstr))
	}
	n := bytes.IndexByte(f.dynstr[off:], 0)
	if n < 0 {
		return "", fmt.Errorf("string at offset %#x is not NUL-terminated", off)
	}
	return string(f.dynstr[off : off+uint64(n)]), nil
}

// dynVal returns the value of the first entry with the tag.
func (f *File) dynVal(t elf.DynTag) (uint64, bool) {
	for _, d := range f.dyn {
		if d.tag == t {
			return d.val, true
		}
	}
	return 0, false
}

// Class is the file's ELF class (32 or 64 bit).
func (f *File) Class() elf.Class { return f.hdr.class }

// Machine is the file's e_machine.
func (f *File) Machine() elf.Machine { return f.hdr.machine }

// Type is ET_EXEC or ET_DYN.
func (f *File) Type() elf.Type { return f.hdr.typ }

// Data is the file's data encoding (little or big endian).
func (f *File) Data() elf.Data {
	if f.hdr.order == binary.BigEndian {
		return elf.ELFDATA2MSB
	}
	return elf.ELFDATA2LSB
}

// IsStatic reports whether the file has no dynamic section at all.
func (f *File) IsStatic() bool { return f.dynIdx < 0 }

// IsStaticPIE reports whether the file is a static-pie: ET_DYN with a
// dynamic section (for self-relocation) and DF_1_PIE but no interpreter.
func (f *File) IsStaticPIE() bool {
	if f.hdr.typ != elf.ET_DYN || f.dynIdx < 0 || f.interpIdx >= 0 {
		return false
	}
	fl, ok := f.dynVal(elf.DT_FLAGS_1)
	return ok && fl&uint64(elf.DF_1_PIE) != 0
}

// Size is the length of the original file in bytes.
func (f *File) Size() int { return len(f.data) }
