package binfmttest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func TestMain(m *testing.M) {
	binfmt.RegisterSandboxFunc("names", func(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
		names, err := m.Names()
		return strings.Join(names, " "), err
	})
	binfmttest.Main(m)
}

func TestRunSeesOnlyItsRegistrations(t *testing.T) {
	regs, err := binfmt.QEMURegistrations([]string{"riscv64", "sparc64"}, binfmt.QEMUOptions{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := binfmttest.Run(t, &binfmt.Sandbox{Registrations: regs}, "names", ""); got != "qemu-sparc64 qemu-riscv64" {
		t.Errorf("names in the sandbox: %q", got)
	}
	if got := binfmttest.Run(t, &binfmt.Sandbox{Dir: t.TempDir()}, "names", ""); got != "" {
		t.Errorf("a fresh sandbox has entries: %q", got)
	}
}

func TestCommand(t *testing.T) {
	bb := testenv.ForeignBusybox(t, "armhf")
	tg, _ := binfmt.LookupQEMUTarget("arm")
	sb := &binfmt.Sandbox{Registrations: []binfmt.Registration{tg.Registration(binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary})}}
	out, err := binfmttest.Command(t, sb, bb, "echo", "hello").Output()
	if err != nil || strings.TrimSpace(string(out)) != "hello" {
		t.Errorf("%v %q", err, out)
	}
}
