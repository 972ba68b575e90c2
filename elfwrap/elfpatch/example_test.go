package elfpatch_test

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hostkit-dev/hostkit/elfwrap/elfpatch"
)

// Patch a program of this machine: copy it, give the copy a RUNPATH and an
// extra NEEDED entry, and read the values back.
func Example() {
	dir, _ := os.MkdirTemp("", "elfpatch-example")
	defer os.RemoveAll(dir)
	data, err := os.ReadFile("/usr/bin/true")
	if err != nil {
		fmt.Println(err)
		return
	}
	prog := filepath.Join(dir, "true")
	os.WriteFile(prog, data, 0o755)

	err = elfpatch.PatchFile(context.Background(), prog, "", func(f *elfpatch.File) error {
		if err := f.SetRunpath("$ORIGIN/../lib", elf.DT_RUNPATH); err != nil {
			return err
		}
		return f.AddNeeded("libm.so.6")
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := elfpatch.Open(prog)
	rp, tag, _ := f.Runpath()
	needed, _ := f.Needed()
	fmt.Println(tag, rp)
	fmt.Println(needed[0])
	// Output:
	// DT_RUNPATH $ORIGIN/../lib
	// libm.so.6
}

// Errors are typed: a static program has no dynamic section to patch.
func ExampleFile_SetRunpath_static() {
	// The smallest valid static ELF: a header and one PT_LOAD.
	b := make([]byte, 64+56)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), 1
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint64(b[32:], 64) // e_phoff
	le.PutUint16(b[54:], 56) // e_phentsize
	le.PutUint16(b[56:], 1)  // e_phnum
	le.PutUint32(b[64:], uint32(elf.PT_LOAD))

	f, err := elfpatch.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = f.SetRunpath("/opt/lib", elf.DT_RUNPATH)
	fmt.Println(err)
	// Output:
	// set rpath: statically linked: the file has no dynamic section (PT_DYNAMIC)
}
