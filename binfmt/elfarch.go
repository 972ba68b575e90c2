package binfmt

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
)

// Arch is what an ELF header says about the machine a program is for.
type Arch struct {
	// Class, Data, OSABI, Type and Machine are the ELF header fields.
	Class   elf.Class
	Data    elf.Data
	OSABI   elf.OSABI
	Type    elf.Type
	Machine elf.Machine
	// Flags is e_flags (it tells MIPS n32 from o32, for one).
	Flags uint32
	// Target is the QEMU target that runs it ("aarch64", "mipsn32el"), or
	// "" when the table has none.
	Target string
	// Family is the target's CPU family, or "" without a target.
	Family string
}

// String describes the architecture, e.g. "aarch64 (ELF64 LSB EM_AARCH64)".
func (a Arch) String() string {
	name := a.Target
	if name == "" {
		name = "unknown"
	}
	cls := "ELF32"
	if a.Class == elf.ELFCLASS64 {
		cls = "ELF64"
	}
	d := "LSB"
	if a.Data == elf.ELFDATA2MSB {
		d = "MSB"
	}
	return fmt.Sprintf("%s (%s %s %s)", name, cls, d, a.Machine)
}

// NotELFError reports a file that is not an ELF program.
type NotELFError struct {
	// Reason says what is missing or wrong.
	Reason string
}

// Error implements error.
func (e *NotELFError) Error() string { return "binfmt: not an ELF file: " + e.Reason }

// DetectArch reads an ELF header (the first bytes of a file; 64 are enough)
// and says which architecture the program is for, naming the QEMU target
// whose magic and mask match it. A header that is not ELF gives a
// *NotELFError.
func DetectArch(header []byte) (Arch, error) {
	if len(header) < elf.EI_NIDENT || !bytes.Equal(header[:4], []byte(elf.ELFMAG)) {
		return Arch{}, &NotELFError{Reason: "no \\x7fELF magic in the first bytes"}
	}
	a := Arch{Class: elf.Class(header[elf.EI_CLASS]), Data: elf.Data(header[elf.EI_DATA]), OSABI: elf.OSABI(header[elf.EI_OSABI])}
	var o binary.ByteOrder
	switch a.Data {
	case elf.ELFDATA2LSB:
		o = binary.LittleEndian
	case elf.ELFDATA2MSB:
		o = binary.BigEndian
	default:
		return Arch{}, &NotELFError{Reason: fmt.Sprintf("byte 5 (EI_DATA) is %d, want 1 (LSB) or 2 (MSB)", header[elf.EI_DATA])}
	}
	flagsAt := 36
	switch a.Class {
	case elf.ELFCLASS32:
	case elf.ELFCLASS64:
		flagsAt = 48
	default:
		return Arch{}, &NotELFError{Reason: fmt.Sprintf("byte 4 (EI_CLASS) is %d, want 1 (32-bit) or 2 (64-bit)", header[elf.EI_CLASS])}
	}
	if len(header) < flagsAt+4 {
		return Arch{}, &NotELFError{Reason: fmt.Sprintf("header is %d bytes, an %s header needs %d", len(header), a.Class, flagsAt+4)}
	}
	a.Type = elf.Type(o.Uint16(header[16:]))
	a.Machine = elf.Machine(o.Uint16(header[18:]))
	a.Flags = o.Uint32(header[flagsAt:])
	var buf [BufSize]byte
	copy(buf[:], header)
	for i, t := range qemuTable {
		if maskedEqual(buf[:], 0, qemuBuilt[i][0], qemuBuilt[i][1]) {
			a.Target, a.Family = t.Name, t.Family
			return a, nil
		}
	}
	// No row matched (an object file, an unusual OS ABI): fall back to the
	// class, byte order and machine alone.
	for _, t := range qemuTable {
		if t.Class == a.Class && t.Data == a.Data && t.Machine == a.Machine && a.Flags&t.FlagsMask == t.Flags {
			a.Target, a.Family = t.Name, t.Family
			break
		}
	}
	return a, nil
}

// qemuBuilt holds every table row's magic and mask, built once.
var qemuBuilt = func() [][2][]byte {
	out := make([][2][]byte, len(qemuTable))
	for i, t := range qemuTable {
		out[i][0], out[i][1] = t.build()
	}
	return out
}()

func maskedEqual(buf []byte, off int, magic, mask []byte) bool {
	if off+len(magic) > len(buf) {
		return false
	}
	s := buf[off : off+len(magic)]
	if mask == nil {
		return bytes.Equal(s, magic)
	}
	for j := range magic {
		if (s[j]^magic[j])&mask[j] != 0 {
			return false
		}
	}
	return true
}
