package elfpatch

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
)

// header is the part of the ELF file header the patcher reads and rewrites.
type header struct {
	class     elf.Class
	order     binary.ByteOrder
	typ       elf.Type
	machine   elf.Machine
	entry     uint64
	phoff     uint64
	shoff     uint64
	phentsize uint64
	phnum     uint64
	shentsize uint64
	shnum     uint64
	shstrndx  uint64
}

// prog is one program header, widened to 64 bits.
type prog struct {
	typ    elf.ProgType
	flags  elf.ProgFlag
	off    uint64
	vaddr  uint64
	paddr  uint64
	filesz uint64
	memsz  uint64
	align  uint64
}

// sect is one section header, widened to 64 bits.
type sect struct {
	name      uint32
	typ       elf.SectionType
	flags     elf.SectionFlag
	addr      uint64
	off       uint64
	size      uint64
	link      uint32
	info      uint32
	addralign uint64
	entsize   uint64
}

func (h *header) is64() bool { return h.class == elf.ELFCLASS64 }

// wordSize is the size of an address in the file's class.
func (h *header) wordSize() uint64 {
	if h.is64() {
		return 8
	}
	return 4
}

// dynEntSize is the size of one Elf_Dyn.
func (h *header) dynEntSize() uint64 { return 2 * h.wordSize() }

func (h *header) ehdrSize() uint64 {
	if h.is64() {
		return 64
	}
	return 52
}

func (h *header) phdrSize() uint64 {
	if h.is64() {
		return 56
	}
	return 32
}

func (h *header) shdrSize() uint64 {
	if h.is64() {
		return 64
	}
	return 40
}

// checkedAdd returns a+b and whether it did not overflow.
func checkedAdd(a, b uint64) (uint64, bool) {
	s := a + b
	return s, s >= a
}

// inFile reports whether [off, off+size) lies inside a file of length n.
func inFile(off, size uint64, n int) bool {
	end, ok := checkedAdd(off, size)
	return ok && end <= uint64(n)
}

// parseHeader decodes and validates the ELF header.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < 16 || string(b[:4]) != elf.ELFMAG {
		return h, &FormatError{Off: 0, Field: "e_ident", Msg: "not an ELF file (bad magic)", notELF: true}
	}
	h.class = elf.Class(b[elf.EI_CLASS])
	switch h.class {
	case elf.ELFCLASS32, elf.ELFCLASS64:
	default:
		return h, &FormatError{Off: elf.EI_CLASS, Field: "e_ident[EI_CLASS]", Msg: fmt.Sprintf("unknown class %d", b[elf.EI_CLASS])}
	}
	switch elf.Data(b[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		h.order = binary.LittleEndian
	case elf.ELFDATA2MSB:
		h.order = binary.BigEndian
	default:
		return h, &FormatError{Off: elf.EI_DATA, Field: "e_ident[EI_DATA]", Msg: fmt.Sprintf("unknown data encoding %d", b[elf.EI_DATA])}
	}
	if b[elf.EI_VERSION] != byte(elf.EV_CURRENT) {
		return h, &FormatError{Off: elf.EI_VERSION, Field: "e_ident[EI_VERSION]", Msg: fmt.Sprintf("unknown version %d", b[elf.EI_VERSION])}
	}
	if uint64(len(b)) < h.ehdrSize() {
		return h, &FormatError{Off: int64(len(b)), Field: "ELF header", Msg: fmt.Sprintf("file is %d bytes, header needs %d", len(b), h.ehdrSize())}
	}
	o := h.order
	h.typ = elf.Type(o.Uint16(b[16:]))
	h.machine = elf.Machine(o.Uint16(b[18:]))
	if h.is64() {
		h.entry = o.Uint64(b[24:])
		h.phoff = o.Uint64(b[32:])
		h.shoff = o.Uint64(b[40:])
		h.phentsize = uint64(o.Uint16(b[54:]))
		h.phnum = uint64(o.Uint16(b[56:]))
		h.shentsize = uint64(o.Uint16(b[58:]))
		h.shnum = uint64(o.Uint16(b[60:]))
		h.shstrndx = uint64(o.Uint16(b[62:]))
	} else {
		h.entry = uint64(o.Uint32(b[24:]))
		h.phoff = uint64(o.Uint32(b[28:]))
		h.shoff = uint64(o.Uint32(b[32:]))
		h.phentsize = uint64(o.Uint16(b[42:]))
		h.phnum = uint64(o.Uint16(b[44:]))
		h.shentsize = uint64(o.Uint16(b[46:]))
		h.shnum = uint64(o.Uint16(b[48:]))
		h.shstrndx = uint64(o.Uint16(b[50:]))
	}
	if h.typ != elf.ET_EXEC && h.typ != elf.ET_DYN {
		return h, &FormatError{Off: 16, Field: "e_type", Msg: fmt.Sprintf("%v: only executables (ET_EXEC) and shared objects/PIE (ET_DYN) can be patched", h.typ)}
	}
	if h.phnum == 0xffff {
		return h, &FormatError{Off: 0, Field: "e_phnum", Msg: "extended program header numbering (PN_XNUM) is not supported"}
	}
	if h.phnum > 0 && h.phentsize != h.phdrSize() {
		return h, &FormatError{Off: 0, Field: "e_phentsize", Msg: fmt.Sprintf("is %d, want %d for %v", h.phentsize, h.phdrSize(), h.class)}
	}
	if !inFile(h.phoff, h.phnum*h.phdrSize(), len(b)) {
		return h, &FormatError{Off: int64(h.phoff), Field: "program header table", Msg: fmt.Sprintf("%d entries at offset %#x run past the end of the %d-byte file", h.phnum, h.phoff, len(b))}
	}
	if h.shoff != 0 {
		if h.shentsize != h.shdrSize() {
			return h, &FormatError{Off: 0, Field: "e_shentsize", Msg: fmt.Sprintf("is %d, want %d for %v", h.shentsize, h.shdrSize(), h.class)}
		}
		if h.shnum == 0 {
			// Extended numbering: the count is in section 0's sh_size.
			if !inFile(h.shoff, h.shdrSize(), len(b)) {
				return h, &FormatError{Off: int64(h.shoff), Field: "section header 0", Msg: "past the end of the file"}
			}
			s0 := h.readSect(b, 0)
			if s0.size > uint64(len(b))/h.shdrSize() {
				return h, &FormatError{Off: int64(h.shoff), Field: "section header 0 sh_size", Msg: fmt.Sprintf("extended section count %d is larger than the file allows", s0.size)}
			}
			h.shnum = s0.size
		}
		if !inFile(h.shoff, h.shnum*h.shdrSize(), len(b)) {
			return h, &FormatError{Off: int64(h.shoff), Field: "section header table", Msg: fmt.Sprintf("%d entries at offset %#x run past the end of the %d-byte file", h.shnum, h.shoff, len(b))}
		}
	} else {
		h.shnum = 0
	}
	return h, nil
}

// readProg decodes program header i (bounds checked by parseHeader).
func (h *header) readProg(b []byte, i uint64) prog {
	p := b[h.phoff+i*h.phdrSize():]
	o := h.order
	if h.is64() {
		return prog{
			typ: elf.ProgType(o.Uint32(p[0:])), flags: elf.ProgFlag(o.Uint32(p[4:])),
			off: o.Uint64(p[8:]), vaddr: o.Uint64(p[16:]), paddr: o.Uint64(p[24:]),
			filesz: o.Uint64(p[32:]), memsz: o.Uint64(p[40:]), align: o.Uint64(p[48:]),
		}
	}
	return prog{
		typ: elf.ProgType(o.Uint32(p[0:])), off: uint64(o.Uint32(p[4:])),
		vaddr: uint64(o.Uint32(p[8:])), paddr: uint64(o.Uint32(p[12:])),
		filesz: uint64(o.Uint32(p[16:])), memsz: uint64(o.Uint32(p[20:])),
		flags: elf.ProgFlag(o.Uint32(p[24:])), align: uint64(o.Uint32(p[28:])),
	}
}

// putProg encodes p into dst (at least phdrSize bytes).
func (h *header) putProg(dst []byte, p prog) {
	o := h.order
	if h.is64() {
		o.PutUint32(dst[0:], uint32(p.typ))
		o.PutUint32(dst[4:], uint32(p.flags))
		o.PutUint64(dst[8:], p.off)
		o.PutUint64(dst[16:], p.vaddr)
		o.PutUint64(dst[24:], p.paddr)
		o.PutUint64(dst[32:], p.filesz)
		o.PutUint64(dst[40:], p.memsz)
		o.PutUint64(dst[48:], p.align)
		return
	}
	o.PutUint32(dst[0:], uint32(p.typ))
	o.PutUint32(dst[4:], uint32(p.off))
	o.PutUint32(dst[8:], uint32(p.vaddr))
	o.PutUint32(dst[12:], uint32(p.paddr))
	o.PutUint32(dst[16:], uint32(p.filesz))
	o.PutUint32(dst[20:], uint32(p.memsz))
	o.PutUint32(dst[24:], uint32(p.flags))
	o.PutUint32(dst[28:], uint32(p.align))
}

// readSect decodes section header i at shoff (bounds checked by the caller).
func (h *header) readSect(b []byte, i uint64) sect {
	s := b[h.shoff+i*h.shdrSize():]
	o := h.order
	if h.is64() {
		return sect{
			name: o.Uint32(s[0:]), typ: elf.SectionType(o.Uint32(s[4:])),
			flags: elf.SectionFlag(o.Uint64(s[8:])), addr: o.Uint64(s[16:]),
			off: o.Uint64(s[24:]), size: o.Uint64(s[32:]),
			link: o.Uint32(s[40:]), info: o.Uint32(s[44:]),
			addralign: o.Uint64(s[48:]), entsize: o.Uint64(s[56:]),
		}
	}
	return sect{
		name: o.Uint32(s[0:]), typ: elf.SectionType(o.Uint32(s[4:])),
		flags: elf.SectionFlag(o.Uint32(s[8:])), addr: uint64(o.Uint32(s[12:])),
		off: uint64(o.Uint32(s[16:])), size: uint64(o.Uint32(s[20:])),
		link: o.Uint32(s[24:]), info: o.Uint32(s[28:]),
		addralign: uint64(o.Uint32(s[32:])), entsize: uint64(o.Uint32(s[36:])),
	}
}

// putSect encodes s into dst (at least shdrSize bytes).
func (h *header) putSect(dst []byte, s sect) {
	o := h.order
	if h.is64() {
		o.PutUint32(dst[0:], s.name)
		o.PutUint32(dst[4:], uint32(s.typ))
		o.PutUint64(dst[8:], uint64(s.flags))
		o.PutUint64(dst[16:], s.addr)
		o.PutUint64(dst[24:], s.off)
		o.PutUint64(dst[32:], s.size)
		o.PutUint32(dst[40:], s.link)
		o.PutUint32(dst[44:], s.info)
		o.PutUint64(dst[48:], s.addralign)
		o.PutUint64(dst[56:], s.entsize)
		return
	}
	o.PutUint32(dst[0:], s.name)
	o.PutUint32(dst[4:], uint32(s.typ))
	o.PutUint32(dst[8:], uint32(s.flags))
	o.PutUint32(dst[12:], uint32(s.addr))
	o.PutUint32(dst[16:], uint32(s.off))
	o.PutUint32(dst[20:], uint32(s.size))
	o.PutUint32(dst[24:], s.link)
	o.PutUint32(dst[28:], s.info)
	o.PutUint32(dst[32:], uint32(s.addralign))
	o.PutUint32(dst[36:], uint32(s.entsize))
}

// putHeaderTables writes e_phoff, e_phnum and e_shoff into the ELF header.
func (h *header) putHeaderTables(b []byte) {
	o := h.order
	if h.is64() {
		o.PutUint64(b[32:], h.phoff)
		o.PutUint64(b[40:], h.shoff)
		o.PutUint16(b[56:], uint16(h.phnum))
		return
	}
	o.PutUint32(b[28:], uint32(h.phoff))
	o.PutUint32(b[32:], uint32(h.shoff))
	o.PutUint16(b[44:], uint16(h.phnum))
}

// readWord reads an address-sized value.
func (h *header) readWord(b []byte) uint64 {
	if h.is64() {
		return h.order.Uint64(b)
	}
	return uint64(h.order.Uint32(b))
}

// putWord writes an address-sized value.
func (h *header) putWord(b []byte, v uint64) {
	if h.is64() {
		h.order.PutUint64(b, v)
		return
	}
	h.order.PutUint32(b, uint32(v))
}

// maxAddr is the largest address the class can hold.
func (h *header) maxAddr() uint64 {
	if h.is64() {
		return ^uint64(0)
	}
	return 0xffffffff
}
