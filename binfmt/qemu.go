package binfmt

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"path"
	"runtime"
	"strings"
)

// Target is one architecture QEMU's user-mode emulator runs, with the ELF
// header fields its binfmt_misc magic and mask are built from.
//
// The magic covers e_ident, e_type and e_machine (20 bytes): the ELF magic,
// class, data and version compared, the OS ABI byte masked by OSABIMask, the
// ABI version by ABIVersionMask, the padding compared as zero, e_type masked
// with 0xfffe so that ET_EXEC (2) and ET_DYN (3) both match, and e_machine
// under MachineMask. When FlagsMask is not zero the magic extends over
// e_flags (up to its last masked byte), which is how the MIPS n32 targets
// (EF_MIPS_ABI2, 0x20) are told apart from o32.
type Target struct {
	// Name is the target as qemu-binfmt-conf.sh names it; the entry is
	// called "qemu-" + Name.
	Name string
	// Family is the CPU family; a host skips the targets of its own family.
	Family string
	// Program is the emulator's name without "qemu-" (Name, except i486
	// which runs on qemu-i386).
	Program string
	// Class, Data and Machine are EI_CLASS, EI_DATA and e_machine.
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	// ClassDataMask masks EI_CLASS and EI_DATA (0xfe on the x86 rows,
	// which then also take the other class).
	ClassDataMask byte
	// OSABIMask masks EI_OSABI (0x00 ignores it, 0xfc accepts SYSV, HPUX,
	// NetBSD and GNU/Linux).
	OSABIMask byte
	// ABIVersionMask masks EI_ABIVERSION.
	ABIVersionMask byte
	// MachineMask masks e_machine (0x00ff on ppc64le).
	MachineMask uint16
	// Flags and FlagsMask are compared against e_flags when FlagsMask is
	// not zero.
	Flags, FlagsMask uint32
}

// Machine numbers debug/elf does not name the way QEMU uses them.
const (
	emAlphaUnofficial      elf.Machine = 0x9026
	emMicroblazeUnofficial elf.Machine = 0xbaab
	emLoongArch            elf.Machine = 258
	emCris                 elf.Machine = 76
	emHexagon              elf.Machine = 164
	emOpenRISC             elf.Machine = 92
	emXtensa               elf.Machine = 94
	em486                  elf.Machine = 6

	efMIPSABI2 uint32 = 0x20 // EF_MIPS_ABI2: the n32 ABI
)

func tgt(name, family string, class elf.Class, data elf.Data, m elf.Machine, osabi, abiver byte) Target {
	return Target{Name: name, Family: family, Program: name, Class: class, Data: data, Machine: m,
		ClassDataMask: 0xff, OSABIMask: osabi, ABIVersionMask: abiver, MachineMask: 0xffff}
}

const (
	c32 = elf.ELFCLASS32
	c64 = elf.ELFCLASS64
	le  = elf.ELFDATA2LSB
	be  = elf.ELFDATA2MSB
)

func x86(t Target) Target { t.ClassDataMask = 0xfe; return t }
func program(t Target, p string) Target {
	t.Program = p
	return t
}
func eflags(t Target, v, m uint32) Target { t.Flags, t.FlagsMask = v, m; return t }
func machMask(t Target, m uint16) Target  { t.MachineMask = m; return t }

// qemuTable is every target of QEMU's qemu-binfmt-conf.sh in the script's
// order, plus cris (dropped from QEMU's script, still shipped by Debian
// bookworm's qemu-user-static). The masks are Debian's (bookworm, QEMU 7.2):
// for every target Debian ships, magic and mask equal the bytes of
// /usr/lib/binfmt.d/qemu-<name>.conf, which the tests check; the targets
// Debian does not ship on amd64 (the x86 family, aarch64_be, microblazeel,
// or1k) follow QEMU's script.
var qemuTable = []Target{
	x86(tgt("i386", "i386", c32, le, elf.EM_386, 0x00, 0xff)),
	program(x86(tgt("i486", "i386", c32, le, em486, 0x00, 0xff)), "i386"),
	tgt("alpha", "alpha", c64, le, emAlphaUnofficial, 0x00, 0xff),
	tgt("arm", "arm", c32, le, elf.EM_ARM, 0x00, 0xff),
	tgt("armeb", "armeb", c32, be, elf.EM_ARM, 0x00, 0xff),
	tgt("sparc", "sparc", c32, be, elf.EM_SPARC, 0xfc, 0xff),
	tgt("sparc32plus", "sparc", c32, be, elf.EM_SPARC32PLUS, 0xfc, 0xff),
	tgt("sparc64", "sparc", c64, be, elf.EM_SPARCV9, 0xfc, 0xff),
	tgt("ppc", "ppc", c32, be, elf.EM_PPC, 0xfc, 0xff),
	tgt("ppc64", "ppc", c64, be, elf.EM_PPC64, 0xfc, 0xff),
	machMask(tgt("ppc64le", "ppcle", c64, le, elf.EM_PPC64, 0xfc, 0xff), 0x00ff),
	tgt("m68k", "m68k", c32, be, elf.EM_68K, 0x00, 0xff),
	eflags(tgt("mips", "mips", c32, be, elf.EM_MIPS, 0x00, 0xfe), 0, efMIPSABI2),
	eflags(tgt("mipsel", "mips", c32, le, elf.EM_MIPS, 0x00, 0xfe), 0, efMIPSABI2),
	eflags(tgt("mipsn32", "mips", c32, be, elf.EM_MIPS, 0x00, 0xfe), efMIPSABI2, efMIPSABI2),
	eflags(tgt("mipsn32el", "mips", c32, le, elf.EM_MIPS, 0x00, 0xfe), efMIPSABI2, efMIPSABI2),
	tgt("mips64", "mips", c64, be, elf.EM_MIPS, 0x00, 0xfe),
	tgt("mips64el", "mips", c64, le, elf.EM_MIPS, 0x00, 0xfe),
	tgt("sh4", "sh4", c32, le, elf.EM_SH, 0xfc, 0xff),
	tgt("sh4eb", "sh4", c32, be, elf.EM_SH, 0xfc, 0xff),
	tgt("s390x", "s390x", c64, be, elf.EM_S390, 0xfc, 0xff),
	tgt("aarch64", "arm", c64, le, elf.EM_AARCH64, 0x00, 0xff),
	tgt("aarch64_be", "armeb", c64, be, elf.EM_AARCH64, 0x00, 0xff),
	tgt("hppa", "hppa", c32, be, elf.EM_PARISC, 0x00, 0xff),
	tgt("riscv32", "riscv32", c32, le, elf.EM_RISCV, 0x00, 0xff),
	tgt("riscv64", "riscv64", c64, le, elf.EM_RISCV, 0x00, 0xff),
	tgt("xtensa", "xtensa", c32, le, emXtensa, 0x00, 0xff),
	tgt("xtensaeb", "xtensaeb", c32, be, emXtensa, 0x00, 0xff),
	tgt("microblaze", "microblaze", c32, be, emMicroblazeUnofficial, 0x00, 0xff),
	tgt("microblazeel", "microblazeel", c32, le, emMicroblazeUnofficial, 0x00, 0xff),
	tgt("or1k", "or1k", c32, be, emOpenRISC, 0x00, 0xff),
	x86(tgt("x86_64", "i386", c64, le, elf.EM_X86_64, 0x00, 0xff)),
	tgt("hexagon", "hexagon", c32, le, emHexagon, 0x00, 0xff),
	tgt("loongarch64", "loongarch", c64, le, emLoongArch, 0xfc, 0x00),
	tgt("cris", "cris", c32, le, emCris, 0x00, 0xff),
}

// QEMUTargets returns the QEMU table in qemu-binfmt-conf.sh's order.
func QEMUTargets() []Target { return append([]Target(nil), qemuTable...) }

// LookupQEMUTarget returns the target of that name ("aarch64", "mipsn32el").
func LookupQEMUTarget(name string) (Target, bool) {
	for _, t := range qemuTable {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

func (t Target) order() binary.ByteOrder {
	if t.Data == elf.ELFDATA2MSB {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// Magic returns the magic bytes built from the target's ELF header fields.
func (t Target) Magic() []byte {
	m, _ := t.build()
	return m
}

// Mask returns the mask built from the target's ELF header fields.
func (t Target) Mask() []byte {
	_, k := t.build()
	return k
}

func (t Target) build() (magic, mask []byte) {
	magic = make([]byte, 20, 52)
	mask = make([]byte, 20, 52)
	copy(magic, elf.ELFMAG)
	copy(mask, "\xff\xff\xff\xff")
	magic[elf.EI_CLASS], mask[elf.EI_CLASS] = byte(t.Class), t.ClassDataMask
	magic[elf.EI_DATA], mask[elf.EI_DATA] = byte(t.Data), t.ClassDataMask
	magic[elf.EI_VERSION], mask[elf.EI_VERSION] = byte(elf.EV_CURRENT), 0xff
	mask[elf.EI_OSABI] = t.OSABIMask
	mask[elf.EI_ABIVERSION] = t.ABIVersionMask
	for i := elf.EI_ABIVERSION + 1; i < elf.EI_NIDENT; i++ {
		mask[i] = 0xff
	}
	o := t.order()
	o.PutUint16(magic[16:], uint16(elf.ET_EXEC))
	o.PutUint16(mask[16:], 0xfffe)
	o.PutUint16(magic[18:], uint16(t.Machine))
	o.PutUint16(mask[18:], t.MachineMask)
	if t.FlagsMask != 0 {
		at := 36 // e_flags in Elf32_Ehdr
		if t.Class == elf.ELFCLASS64 {
			at = 48
		}
		magic = magic[:at+4]
		mask = mask[:at+4]
		o.PutUint32(magic[at:], t.Flags)
		o.PutUint32(mask[at:], t.FlagsMask)
		// Stop at the last byte the mask looks at, as Debian's rows do.
		for len(mask) > 20 && mask[len(mask)-1] == 0 {
			mask = mask[:len(mask)-1]
			magic = magic[:len(magic)-1]
		}
	}
	return magic, mask
}

// DefaultQEMUDir is where Debian's qemu-user-static installs the emulators.
const DefaultQEMUDir = "/usr/bin"

// QEMUOptions are qemu-binfmt-conf.sh's options for the registrations it
// makes: where the emulators are, how they are named, and the flags.
type QEMUOptions struct {
	// Dir is the emulators' directory ("" means DefaultQEMUDir).
	Dir string
	// Pattern is the emulator's file name with %s for the target's program
	// ("" means "qemu-%s"; Debian's wrappers use "%s").
	Pattern string
	// Suffix is appended to the file name: "-static" for Debian's
	// qemu-user-static binaries, "-binfmt-P" for its wrappers.
	Suffix string
	// Flags are the registration's flags: C (credential), F
	// (persistent), P (preserve-argv0), O.
	Flags Flags
}

// DebianQEMUOptions returns the options that reproduce Debian's
// /usr/lib/binfmt.d/qemu-*.conf: the /usr/libexec/qemu-binfmt/<cpu>-binfmt-P
// wrappers with flags O, P and F.
func DebianQEMUOptions() QEMUOptions {
	return QEMUOptions{Dir: "/usr/libexec/qemu-binfmt", Pattern: "%s", Suffix: "-binfmt-P",
		Flags: FlagOpenBinary | FlagPreserveArgv0 | FlagFixBinary}
}

// Interpreter returns the emulator's path for this target under opts.
func (t Target) Interpreter(opts QEMUOptions) string {
	dir := opts.Dir
	if dir == "" {
		dir = DefaultQEMUDir
	}
	pat := opts.Pattern
	if pat == "" {
		pat = "qemu-%s"
	}
	return path.Join(dir, fmt.Sprintf(pat, t.Program)+opts.Suffix)
}

// Registration returns the target's binfmt_misc registration, named
// "qemu-" + Name like the script's.
func (t Target) Registration(opts QEMUOptions) Registration {
	magic, mask := t.build()
	return Registration{Name: "qemu-" + t.Name, Kind: KindMagic, Magic: magic, Mask: mask,
		Interpreter: t.Interpreter(opts), Flags: opts.Flags.Normalize()}
}

// QEMURegistrations returns the registrations for the named targets ("all"
// or no names means every target), skipping the targets of the family
// skipFamily (pass HostFamily() to skip the host's own, as the script does;
// "" skips none). An unknown name is an error wrapping ErrUnknownTarget.
func QEMURegistrations(names []string, opts QEMUOptions, skipFamily string) ([]Registration, error) {
	var ts []Target
	if len(names) == 0 || len(names) == 1 && names[0] == "all" {
		ts = qemuTable
	} else {
		for _, n := range names {
			t, ok := LookupQEMUTarget(n)
			if !ok {
				return nil, fmt.Errorf("binfmt: %w %q (known: %s)", ErrUnknownTarget, n, strings.Join(QEMUTargetNames(), " "))
			}
			ts = append(ts, t)
		}
	}
	var out []Registration
	for _, t := range ts {
		if skipFamily != "" && t.Family == skipFamily {
			continue
		}
		out = append(out, t.Registration(opts))
	}
	return out, nil
}

// QEMUTargetNames lists the table's target names in order.
func QEMUTargetNames() []string {
	out := make([]string, len(qemuTable))
	for i, t := range qemuTable {
		out[i] = t.Name
	}
	return out
}

// FamilyOf returns the QEMU CPU family of a machine name as `uname -m`,
// Debian (dpkg --print-architecture) or Go (GOARCH) spell it, the way
// qemu-binfmt-conf.sh's qemu_get_family does.
func FamilyOf(machine string) string {
	switch m := machine; {
	case m == "amd64" || m == "386" || m == "i386" || m == "i486" || m == "i586" || m == "i686" || m == "i86pc" || m == "BePC" || m == "x86_64":
		return "i386"
	case strings.HasPrefix(m, "mips"):
		return "mips"
	case m == "Power Macintosh" || m == "ppc64" || m == "powerpc" || m == "ppc":
		return "ppc"
	case m == "ppc64el" || m == "ppc64le":
		return "ppcle"
	case m == "arm" || m == "armel" || m == "armhf" || m == "arm64" || m == "aarch64" || armVersion(m, 'l'):
		return "arm"
	case m == "armeb" || m == "aarch64_be" || m == "arm64be" || armVersion(m, 'b'):
		return "armeb"
	case strings.HasPrefix(m, "sparc"):
		return "sparc"
	case strings.HasPrefix(m, "loongarch") || m == "loong64":
		return "loongarch"
	case m == "s390x":
		return "s390x"
	}
	return machine
}

// armVersion matches armv[4-9]*<end>, e.g. armv7l.
func armVersion(m string, end byte) bool {
	return len(m) >= 6 && strings.HasPrefix(m, "armv") && m[4] >= '4' && m[4] <= '9' && m[len(m)-1] == end
}

// HostFamily returns the QEMU CPU family of the machine this program runs
// on (from uname, falling back to GOARCH).
func HostFamily() string {
	if m := unameMachine(); m != "" {
		return FamilyOf(m)
	}
	return FamilyOf(runtime.GOARCH)
}
