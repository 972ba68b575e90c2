package elfwrap

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/hostkit-dev/hostkit/internal/regfile"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Kind is what an ELF file is for the loader: a fixed-address executable, a
// position-independent executable, a shared object, or something else.
type Kind uint8

// Kinds of ELF files.
const (
	KindOther        Kind = iota // relocatable, core or unknown e_type
	KindExecutable               // ET_EXEC
	KindPIE                      // ET_DYN with PT_INTERP or DF_1_PIE
	KindSharedObject             // ET_DYN without either
)

// String returns "executable", "pie-executable", "shared-object" or "other".
func (k Kind) String() string {
	switch k {
	case KindExecutable:
		return "executable"
	case KindPIE:
		return "pie-executable"
	case KindSharedObject:
		return "shared-object"
	}
	return "other"
}

// Info is what the dynamic loader reads from an ELF file: its identity
// (class, byte order, machine, OS ABI, type) and its dynamic section.
type Info struct {
	// Path is the file's name as given to Inspect ("" for InspectReader).
	Path string
	// Class is 32 or 64 bit, Data the byte order.
	Class elf.Class
	Data  elf.Data
	// Machine is e_machine; OSABI and ABIVersion come from e_ident.
	Machine    elf.Machine
	OSABI      elf.OSABI
	ABIVersion uint8
	// Type is e_type; Kind classifies it for the loader.
	Type elf.Type
	Kind Kind
	// Dynamic reports a PT_DYNAMIC segment: the file takes part in dynamic
	// linking. A file without one is statically linked.
	Dynamic bool
	// DynamicEmpty reports a PT_DYNAMIC segment with no bytes in the file
	// (separate debug-info files look like this). The loader refuses such
	// a file: "object file has no dynamic section".
	DynamicEmpty bool
	// Interp is the PT_INTERP path (the program interpreter), or "".
	Interp string
	// Needed lists DT_NEEDED in file order.
	Needed []string
	// RPath and RunPath are DT_RPATH and DT_RUNPATH split on ':' (an empty
	// element is kept: the loader reads it as the current directory).
	// HasRPath/HasRunPath distinguish an absent tag from an empty string.
	RPath, RunPath       []string
	HasRPath, HasRunPath bool
	// Soname is DT_SONAME, or "".
	Soname string
	// Flags is DT_FLAGS, Flags1 DT_FLAGS_1.
	Flags  elf.DynFlag
	Flags1 elf.DynFlag1
}

// Static reports a program that runs without a dynamic loader: an
// executable (fixed or position-independent) with no PT_INTERP.
func (i *Info) Static() bool {
	return (i.Kind == KindExecutable || i.Kind == KindPIE) && i.Interp == ""
}

// NoDefaultLib reports DF_1_NODEFLIB: the loader must not search the cache
// or default directories for this object's dependencies.
func (i *Info) NoDefaultLib() bool { return i.Flags1&elf.DF_1_NODEFLIB != 0 }

// Compatible reports whether o can be loaded into the same process as i:
// same class, byte order and machine (the check glibc's open_verify makes).
func (i *Info) Compatible(o *Info) bool {
	return i.Class == o.Class && i.Data == o.Data && i.Machine == o.Machine
}

// Limits that keep hostile files from costing time or memory. Real files are
// far below them (the largest DT_NEEDED lists are a few hundred entries).
const (
	maxPhnum       = 1 << 14
	maxDynEntries  = 1 << 16
	maxDynString   = 1 << 16
	headBufferSize = 16 << 10
)

// Inspect reads the ELF identity and dynamic section of the named file.
// A file that is not ELF gives an error matching ErrNotELF; a truncated or
// inconsistent one a *FormatError naming the structure and offset.
func Inspect(path string) (*Info, error) {
	f, st, err := openRegular(path, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return inspect(path, f, st.Size())
}

// openRegular opens path through internal/regfile (never waiting on a
// FIFO, refusing anything but a regular file); a file of another kind is
// reported as errNotRegular named as name (the path inside a root).
func openRegular(path, name string) (*os.File, fs.FileInfo, error) {
	f, st, err := regfile.Open(path)
	if errors.Is(err, regfile.ErrNotRegular) {
		err = fmt.Errorf("%s: %w", name, errNotRegular)
	}
	return f, st, err
}

// InspectReader is Inspect over any io.ReaderAt holding size bytes.
func InspectReader(r io.ReaderAt, size int64) (*Info, error) {
	return inspect("", r, size)
}

// InspectBytes is Inspect over an in-memory file.
func InspectBytes(data []byte) (*Info, error) {
	return inspect("", bytes.NewReader(data), int64(len(data)))
}

// headReader serves reads from a buffered copy of the file's first bytes
// (where headers, PT_INTERP, .dynamic and .dynstr usually are) and passes
// the rest through: one system call for most files.
type headReader struct {
	r    io.ReaderAt
	head []byte
	size int64
}

func (h *headReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off+int64(len(p)) <= int64(len(h.head)) {
		return copy(p, h.head[off:]), nil
	}
	if off >= h.size {
		return 0, io.EOF
	}
	return h.r.ReadAt(p, off)
}

func newHeadReader(r io.ReaderAt, size int64) (*headReader, error) {
	n := max(min(size, headBufferSize), 0)
	head := make([]byte, n)
	got, err := r.ReadAt(head, 0)
	if got < len(head) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return &headReader{r: r, head: head, size: size}, nil
}

// elfHeader is the part of the ELF header that is checked before debug/elf
// sees the file.
type elfHeader struct {
	class                      elf.Class
	bo                         binary.ByteOrder
	phoff, shoff               uint64
	phentsize, phnum           uint64
	shentsize, shnum, shstrndx uint64
}

func readHeader(path string, r io.ReaderAt, size int64) (*elfHeader, error) {
	var ident [elf.EI_NIDENT]byte
	if size < elf.EI_NIDENT {
		n := min(size, 4)
		if _, err := r.ReadAt(ident[:n], 0); err == nil && !strings.HasPrefix(elf.ELFMAG, string(ident[:n])) {
			return nil, notELF(path)
		}
		return nil, formatErr(path, "ELF identification", 0, "file is %d bytes, shorter than the %d-byte e_ident", size, elf.EI_NIDENT)
	}
	if _, err := r.ReadAt(ident[:], 0); err != nil {
		return nil, readErr(path, "ELF identification", 0, err)
	}
	if string(ident[:4]) != elf.ELFMAG {
		return nil, notELF(path)
	}
	h := &elfHeader{class: elf.Class(ident[elf.EI_CLASS])}
	switch elf.Data(ident[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		h.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		h.bo = binary.BigEndian
	default:
		return nil, formatErr(path, "ELF identification", elf.EI_DATA, "byte order %d is neither 1 (LSB) nor 2 (MSB)", ident[elf.EI_DATA])
	}
	var hsize, wantPhent, wantShent int64
	switch h.class {
	case elf.ELFCLASS32:
		hsize, wantPhent, wantShent = 52, 32, 40
	case elf.ELFCLASS64:
		hsize, wantPhent, wantShent = 64, 56, 64
	default:
		return nil, formatErr(path, "ELF identification", elf.EI_CLASS, "class %d is neither 1 (32-bit) nor 2 (64-bit)", ident[elf.EI_CLASS])
	}
	if size < hsize {
		return nil, formatErr(path, "ELF header", 0, "file is %d bytes, shorter than the %d-byte header", size, hsize)
	}
	b := make([]byte, hsize)
	if _, err := r.ReadAt(b, 0); err != nil {
		return nil, readErr(path, "ELF header", 0, err)
	}
	bo := h.bo
	var phoffAt int64
	if h.class == elf.ELFCLASS32 {
		h.phoff, h.shoff = uint64(bo.Uint32(b[28:])), uint64(bo.Uint32(b[32:]))
		phoffAt = 28
	} else {
		h.phoff, h.shoff = bo.Uint64(b[32:]), bo.Uint64(b[40:])
		phoffAt = 32
	}
	t := b[hsize-12:]
	h.phentsize, h.phnum = uint64(bo.Uint16(t[2:])), uint64(bo.Uint16(t[4:]))
	h.shentsize, h.shnum, h.shstrndx = uint64(bo.Uint16(t[6:])), uint64(bo.Uint16(t[8:])), uint64(bo.Uint16(t[10:]))
	if h.phnum > 0 {
		if h.phentsize != uint64(wantPhent) {
			return nil, formatErr(path, "ELF header e_phentsize", hsize-10, "program header entry size %d, want %d", h.phentsize, wantPhent)
		}
		if h.phnum > maxPhnum {
			return nil, formatErr(path, "ELF header e_phnum", hsize-8, "%d program headers is more than the limit %d", h.phnum, maxPhnum)
		}
		if end := h.phoff + h.phnum*h.phentsize; h.phoff > uint64(size) || end > uint64(size) || end < h.phoff {
			return nil, formatErr(path, "program header table", phoffAt, "table of %d entries at offset %#x runs past the end of the %d-byte file", h.phnum, h.phoff, size)
		}
	}
	if h.shoff != 0 && h.shnum > 0 {
		if h.shentsize != uint64(wantShent) {
			return nil, formatErr(path, "ELF header e_shentsize", hsize-6, "section header entry size %d, want %d", h.shentsize, wantShent)
		}
		if end := h.shoff + h.shnum*h.shentsize; h.shoff > uint64(size) || end > uint64(size) || end < h.shoff {
			return nil, formatErr(path, "section header table", phoffAt+int64(h.class)*4, "table of %d entries at offset %#x runs past the end of the %d-byte file", h.shnum, h.shoff, size)
		}
	}
	return h, nil
}

func notELF(path string) error {
	if path == "" {
		return ErrNotELF
	}
	return fmt.Errorf("%s: %w", path, ErrNotELF)
}

func readErr(path, structure string, off int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr(path, structure, off, "unexpected end of file")
	}
	return fmt.Errorf("%s: reading %s at offset %#x: %w", path, structure, off, err)
}

func inspect(path string, r io.ReaderAt, size int64) (info *Info, err error) {
	defer func() {
		if p := recover(); p != nil {
			info, err = nil, formatErr(path, "ELF file", 0, "the ELF reader failed on this input: %v", p)
		}
	}()
	if size < 0 {
		return nil, fmt.Errorf("%s: negative size %d", path, size)
	}
	hr, err := newHeadReader(r, size)
	if err != nil {
		return nil, readErr(path, "file head", 0, err)
	}
	h, err := readHeader(path, hr, size)
	if err != nil {
		return nil, err
	}
	ef, err := elf.NewFile(hr)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return nil, formatErr(path, "ELF file (debug/elf)", 0, "%v", err)
		}
		return nil, readErr(path, "ELF file (debug/elf)", 0, err)
	}
	info = &Info{
		Path:       path,
		Class:      ef.Class,
		Data:       ef.Data,
		Machine:    ef.Machine,
		OSABI:      ef.OSABI,
		ABIVersion: ef.ABIVersion,
		Type:       ef.Type,
	}
	var dyn *elf.Prog
	var dynIndex int
	for i, p := range ef.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			if info.Interp != "" {
				continue
			}
			s, err := readCString(path, hr, size, fmt.Sprintf("PT_INTERP (program header %d)", i), p.Off, p.Filesz)
			if err != nil {
				return nil, err
			}
			if s == "" {
				return nil, formatErr(path, fmt.Sprintf("PT_INTERP (program header %d)", i), int64(p.Off), "empty interpreter path")
			}
			info.Interp = s
		case elf.PT_DYNAMIC:
			if dyn == nil {
				dyn, dynIndex = p, i
			}
		}
	}
	if dyn != nil && dyn.Filesz == 0 {
		info.Dynamic, info.DynamicEmpty = true, true
	} else if dyn != nil {
		info.Dynamic = true
		if err := readDynamic(path, hr, size, h, ef, dyn, dynIndex, info); err != nil {
			return nil, err
		}
	}
	switch ef.Type {
	case elf.ET_EXEC:
		info.Kind = KindExecutable
	case elf.ET_DYN:
		if info.Interp != "" || info.Flags1&elf.DF_1_PIE != 0 {
			info.Kind = KindPIE
		} else {
			info.Kind = KindSharedObject
		}
	}
	return info, nil
}

// readCString reads a NUL-terminated string from a region of the file.
func readCString(path string, r io.ReaderAt, size int64, structure string, off, n uint64) (string, error) {
	if off > uint64(size) || n > uint64(size)-off {
		return "", formatErr(path, structure, int64(min(off, 1<<62)), "%d bytes at offset %#x run past the end of the %d-byte file", n, off, size)
	}
	if n > maxDynString {
		return "", formatErr(path, structure, int64(off), "string region of %d bytes is larger than the limit %d", n, maxDynString)
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, int64(off)); err != nil {
		return "", readErr(path, structure, int64(off), err)
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b), nil
}

// vaddrToOffset maps a virtual address to a file offset through the
// PT_LOAD segments, as the loader sees the file.
func vaddrToOffset(ef *elf.File, addr uint64) (uint64, uint64, bool) {
	for _, p := range ef.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		if addr >= p.Vaddr && addr-p.Vaddr < p.Filesz {
			d := addr - p.Vaddr
			return p.Off + d, p.Filesz - d, true
		}
	}
	return 0, 0, false
}

func readDynamic(path string, r io.ReaderAt, size int64, h *elfHeader, ef *elf.File, dyn *elf.Prog, idx int, info *Info) error {
	structure := fmt.Sprintf("dynamic segment (program header %d)", idx)
	if dyn.Off > uint64(size) || dyn.Filesz > uint64(size)-dyn.Off {
		return formatErr(path, structure, int64(min(dyn.Off, 1<<62)), "%d bytes at offset %#x run past the end of the %d-byte file", dyn.Filesz, dyn.Off, size)
	}
	entSize := uint64(16)
	if h.class == elf.ELFCLASS32 {
		entSize = 8
	}
	n := dyn.Filesz / entSize
	if n > maxDynEntries {
		return formatErr(path, structure, int64(dyn.Off), "%d entries is more than the limit %d", n, maxDynEntries)
	}
	b := make([]byte, n*entSize)
	if _, err := r.ReadAt(b, int64(dyn.Off)); err != nil {
		return readErr(path, structure, int64(dyn.Off), err)
	}
	type strRef struct {
		tag elf.DynTag
		val uint64
		off int64
	}
	var refs []strRef
	var strtab, strsz uint64
	haveStrtab, haveStrsz := false, false
	for i := uint64(0); i < n; i++ {
		e := b[i*entSize:]
		var tag, val uint64
		if entSize == 8 {
			tag, val = uint64(int64(int32(h.bo.Uint32(e)))), uint64(h.bo.Uint32(e[4:]))
		} else {
			tag, val = h.bo.Uint64(e), h.bo.Uint64(e[8:])
		}
		t := elf.DynTag(tag)
		if t == elf.DT_NULL {
			i = n // glibc stops at DT_NULL
			continue
		}
		eoff := int64(dyn.Off + i*entSize)
		switch t {
		case elf.DT_NEEDED, elf.DT_RPATH, elf.DT_RUNPATH, elf.DT_SONAME:
			refs = append(refs, strRef{t, val, eoff})
		case elf.DT_STRTAB:
			strtab, haveStrtab = val, true
		case elf.DT_STRSZ:
			strsz, haveStrsz = val, true
		case elf.DT_FLAGS:
			info.Flags = elf.DynFlag(val)
		case elf.DT_FLAGS_1:
			info.Flags1 = elf.DynFlag1(uint32(val))
		}
	}
	if len(refs) == 0 {
		return nil
	}
	if !haveStrtab {
		return formatErr(path, structure, int64(dyn.Off), "DT_NEEDED/DT_SONAME/DT_RPATH/DT_RUNPATH present but no DT_STRTAB")
	}
	strOff, avail, ok := vaddrToOffset(ef, strtab)
	if !ok {
		// Some tools leave DT_STRTAB as a file offset (or a section at that
		// address outside any PT_LOAD); fall back to the section headers.
		found := false
		for _, s := range ef.Sections {
			if s.Type == elf.SHT_STRTAB && s.Addr == strtab && s.Addr != 0 {
				strOff, avail, found = s.Offset, s.FileSize, true
				break
			}
		}
		if !found {
			return formatErr(path, "DT_STRTAB", int64(dyn.Off), "string table address %#x is not inside any PT_LOAD segment", strtab)
		}
	}
	if haveStrsz && strsz < avail {
		avail = strsz
	}
	if strOff > uint64(size) {
		return formatErr(path, "DT_STRTAB", int64(dyn.Off), "string table offset %#x is past the end of the %d-byte file", strOff, size)
	}
	avail = min(avail, uint64(size)-strOff)
	for _, ref := range refs {
		if ref.val >= avail {
			return formatErr(path, "dynamic entry "+ref.tag.String(), ref.off, "string offset %#x is outside the %d-byte string table", ref.val, avail)
		}
		s, err := readDynString(path, r, strOff+ref.val, avail-ref.val, ref.tag, ref.off)
		if err != nil {
			return err
		}
		switch ref.tag {
		case elf.DT_NEEDED:
			info.Needed = append(info.Needed, s)
		case elf.DT_SONAME:
			if info.Soname == "" {
				info.Soname = s
			}
		case elf.DT_RPATH:
			if !info.HasRPath {
				info.HasRPath, info.RPath = true, strings.Split(s, ":")
			}
		case elf.DT_RUNPATH:
			if !info.HasRunPath {
				info.HasRunPath, info.RunPath = true, strings.Split(s, ":")
			}
		}
	}
	return nil
}

// readDynString reads one NUL-terminated string of at most avail bytes.
func readDynString(path string, r io.ReaderAt, off, avail uint64, tag elf.DynTag, entOff int64) (string, error) {
	var out []byte
	chunk := uint64(128)
	for read := uint64(0); read < avail; {
		n := min(chunk, avail-read, maxDynString-uint64(len(out)))
		if n == 0 {
			break
		}
		b := make([]byte, n)
		if _, err := r.ReadAt(b, int64(off+read)); err != nil {
			return "", readErr(path, "string of dynamic entry "+tag.String(), int64(off+read), err)
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return string(append(out, b[:i]...)), nil
		}
		out = append(out, b...)
		read += n
		chunk *= 4
	}
	return "", formatErr(path, "dynamic entry "+tag.String(), entOff, "string at offset %#x has no terminating NUL within the string table (or the %d-byte limit)", off, maxDynString)
}
