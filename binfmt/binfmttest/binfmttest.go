// Package binfmttest helps tests that need binfmt_misc: it runs commands and
// functions against a private binfmt_misc instance in a new user and mount
// namespace, so a test can register handlers and run foreign binaries
// without touching the machine's own binfmt_misc.
//
// Use Main as the test binary's TestMain (it re-executes the test binary
// inside the namespaces), then Command or Run in the tests:
//
//	func TestMain(m *testing.M) { binfmttest.Main(m) }
//
//	func TestRunsArm64(t *testing.T) {
//		tg, _ := binfmt.LookupQEMUTarget("aarch64")
//		sb := &binfmt.Sandbox{Registrations: []binfmt.Registration{
//			tg.Registration(binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary}),
//		}}
//		out, err := binfmttest.Command(t, sb, "/path/to/arm64/busybox", "uname", "-m").Output()
//		...
//	}
//
// Where the kernel cannot give a namespace its own binfmt_misc (before Linux
// 6.7, or with user namespaces disabled) the tests are skipped with the
// reason, or fail when HOSTKIT_REQUIRE_INTEGRATION=1.
package binfmttest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// Main is a TestMain: it lets the test binary serve as the sandbox's helper
// (binfmt.SandboxMain), then runs the tests.
func Main(m *testing.M) {
	binfmt.SandboxMain()
	os.Exit(m.Run())
}

// Require marks the test unavailable unless a private binfmt_misc can be
// made here, naming the reason.
func Require(t testing.TB) {
	t.Helper()
	testenv.RequireLinux(t)
	if err := binfmt.CheckSandbox(); err != nil {
		testenv.Unavailable(t, "a private binfmt_misc needs Linux 6.7+ and user namespaces: %v", err)
		return
	}
	if err := testenv.UserNamespaceError(); err != nil {
		testenv.Unavailable(t, "cannot create a user namespace: %v", err)
	}
}

// Command returns a command that runs name with args in sb (see
// binfmt.Sandbox.Command), killed when the test ends.
func Command(t testing.TB, sb *binfmt.Sandbox, name string, args ...string) *exec.Cmd {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd, err := sb.Command(ctx, name, args...)
	if err != nil {
		t.Fatalf("binfmttest: %v", err)
	}
	return cmd
}

// Run runs the function registered as fn (binfmt.RegisterSandboxFunc) in
// sb and returns its result; an error fails the test.
func Run(t testing.TB, sb *binfmt.Sandbox, fn, arg string) string {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := sb.Run(ctx, fn, arg)
	if err != nil {
		t.Fatalf("binfmttest: sandbox function %s: %v", fn, err)
	}
	return out
}
