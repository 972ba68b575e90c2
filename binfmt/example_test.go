package binfmt_test

import (
	"context"
	"fmt"

	"github.com/hostkit-dev/hostkit/binfmt"
)

// The register string for QEMU's aarch64 emulator, as Debian's
// qemu-user-static would use it with F.
func ExampleTarget_Registration() {
	tg, _ := binfmt.LookupQEMUTarget("aarch64")
	r := tg.Registration(binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary})
	s, _ := r.Encode()
	fmt.Println(s)
	fmt.Println("family:", tg.Family)
	// Output:
	// :qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F
	// family: arm
}

// A registration the kernel would refuse is refused, with the field and
// the reason.
func ExampleParse() {
	_, err := binfmt.Parse(`:qemu-arm:M:250:\x7fELF\x01\x01\x01\x00::/usr/bin/qemu-arm-static:F`)
	fmt.Println(err)
	r, err := binfmt.Parse("|wine|E||exe||/usr/bin/wine|P\n")
	fmt.Println(r.Name, r.Kind, r.Extension, r.Interpreter, r.Flags, err)
	// Output:
	// binfmt: magic (byte 16): offset 250 + magic length 8 exceeds the 256 bytes the kernel reads
	// wine E exe /usr/bin/wine P <nil>
}

// Which entry the kernel would pick for an aarch64 program, and why not the
// others.
func ExampleMatch() {
	var entries []binfmt.Entry // newest first, as Mount.Entries returns them
	for _, name := range []string{"riscv64", "aarch64"} {
		tg, _ := binfmt.LookupQEMUTarget(name)
		entries = append(entries, binfmt.Entry{Registration: tg.Registration(binfmt.QEMUOptions{}), Enabled: true})
	}
	header := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\xb7\x00") // an aarch64 PIE
	res := binfmt.Match(entries, header, "/usr/bin/tool")
	fmt.Println(res.Entry.Name, "-", res.Reason)
	for _, s := range res.Skipped {
		fmt.Println("skipped", s.Name, "-", s.Reason)
	}
	// Output:
	// qemu-aarch64 - bytes 0-19 match its magic under its mask
	// skipped qemu-riscv64 - byte 18 is 0xb7, entry wants 0xf3 under mask 0xff
}

// The registrations qemu-binfmt-conf.sh would make on an x86-64 host.
func ExampleQEMURegistrations() {
	regs, _ := binfmt.QEMURegistrations([]string{"all"}, binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary}, binfmt.FamilyOf("x86_64"))
	fmt.Println(len(regs), "registrations, first", regs[0].Name, regs[0].Interpreter)
	// Output:
	// 32 registrations, first qemu-alpha /usr/bin/qemu-alpha-static
}

// Running a foreign program with a private binfmt_misc, in a new user and
// mount namespace: the machine's own handlers are untouched. The program
// must call binfmt.SandboxMain() first thing in main (or use
// binfmttest.Main as TestMain in tests).
func ExampleSandbox() {
	tg, _ := binfmt.LookupQEMUTarget("aarch64")
	sb := &binfmt.Sandbox{Registrations: []binfmt.Registration{
		tg.Registration(binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary}),
	}}
	cmd, err := sb.Command(context.Background(), "/srv/arm64/bin/busybox", "uname", "-m")
	if err != nil {
		fmt.Println(err) // for example an ErrKernelTooOld before Linux 6.7
		return
	}
	out, err := cmd.Output()
	fmt.Printf("%s %v\n", out, err) // aarch64 <nil>
}
