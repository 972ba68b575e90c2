package binfmt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// The functions below run inside a private user and mount namespace with
// its own binfmt_misc (the test binary re-executed by binfmt.Sandbox).
func init() {
	binfmt.RegisterSandboxFunc("proof", proofInSandbox)
	binfmt.RegisterSandboxFunc("argv0", argv0InSandbox)
	binfmt.RegisterSandboxFunc("kernel-verdicts", kernelVerdicts)
	binfmt.RegisterSandboxFunc("mount-api", mountAPIInSandbox)
}

type proofArg struct {
	Target, Busybox, Interpreter string
}

type proofResult struct {
	Before      string `json:"before"`
	Listed      []string
	Matched     string
	AfterErr    string `json:"after_err"`
	AfterENOEXE bool
}

// proofInSandbox registers the target with F, runs `busybox uname -m`,
// removes the entry and runs it again.
func proofInSandbox(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
	var a proofArg
	if err := json.Unmarshal([]byte(arg), &a); err != nil {
		return "", err
	}
	tg, ok := binfmt.LookupQEMUTarget(a.Target)
	if !ok {
		return "", fmt.Errorf("no target %s", a.Target)
	}
	r := tg.Registration(binfmt.QEMUOptions{})
	r.Interpreter, r.Flags = a.Interpreter, binfmt.FlagFixBinary
	if err := m.Register(r, binfmt.RegisterOptions{}); err != nil {
		return "", err
	}
	var res proofResult
	res.Listed, _ = m.Names()
	mr, err := m.Match(a.Busybox)
	if err != nil {
		return "", err
	}
	if mr.Entry != nil {
		res.Matched = mr.Entry.Name
	}
	out, err := exec.CommandContext(ctx, a.Busybox, "uname", "-m").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("running %s through %s: %v: %s", a.Busybox, r.Name, err, out)
	}
	res.Before = strings.TrimSpace(string(out))
	if err := m.Remove(r.Name); err != nil {
		return "", err
	}
	_, err = exec.CommandContext(ctx, a.Busybox, "uname", "-m").CombinedOutput()
	if err != nil {
		res.AfterErr = err.Error()
		res.AfterENOEXE = errors.Is(err, syscall.ENOEXEC)
	}
	b, err := json.Marshal(res)
	return string(b), err
}

// argv0InSandbox runs busybox with argv[0] "echo" through an entry without
// and then with P, and reports what each printed.
func argv0InSandbox(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
	var a proofArg
	if err := json.Unmarshal([]byte(arg), &a); err != nil {
		return "", err
	}
	tg, _ := binfmt.LookupQEMUTarget(a.Target)
	r := tg.Registration(binfmt.QEMUOptions{})
	r.Interpreter = a.Interpreter
	var outs []string
	for _, flags := range []binfmt.Flags{binfmt.FlagFixBinary, binfmt.FlagFixBinary | binfmt.FlagPreserveArgv0} {
		r.Flags = flags
		if err := m.Register(r, binfmt.RegisterOptions{Replace: true}); err != nil {
			return "", err
		}
		cmd := exec.CommandContext(ctx, a.Busybox, "hello-from-argv")
		cmd.Args[0] = "echo"
		out, _ := cmd.CombinedOutput()
		outs = append(outs, strings.TrimSpace(string(out)))
	}
	b, err := json.Marshal(outs)
	return string(b), err
}

type verdict struct {
	OK    bool   `json:"ok"`
	Errno string `json:"errno,omitempty"`
	Entry string `json:"entry,omitempty"`
}

// kernelVerdicts writes each register string to the kernel and records
// whether it was accepted, the error, and the entry file it created.
func kernelVerdicts(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
	var lines []string
	if err := json.Unmarshal([]byte(arg), &lines); err != nil {
		return "", err
	}
	out := make([]verdict, len(lines))
	for i, line := range lines {
		f, err := os.OpenFile(m.Dir()+"/register", os.O_WRONLY, 0)
		if err != nil {
			return "", err
		}
		_, err = f.Write([]byte(line))
		f.Close()
		if err != nil {
			var en syscall.Errno
			errors.As(err, &en)
			out[i] = verdict{Errno: en.Error()}
			continue
		}
		out[i].OK = true
		names, err := m.Names()
		if err != nil || len(names) != 1 {
			return "", fmt.Errorf("after %q: entries %v, %v", line, names, err)
		}
		data, err := os.ReadFile(m.Dir() + "/" + names[0])
		if err != nil {
			return "", err
		}
		out[i].Entry = names[0] + "\x00" + string(data)
		if err := m.RemoveAll(); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// mountAPIInSandbox exercises every Mount operation on the private
// instance and returns an error describing the first surprise.
func mountAPIInSandbox(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
	if names, err := m.Names(); err != nil || len(names) != 0 {
		return "", fmt.Errorf("a private instance should start empty: %v %v", names, err)
	}
	on, err := m.Enabled()
	if err != nil || !on {
		return "", fmt.Errorf("status: %v %v", on, err)
	}
	regs, err := binfmt.QEMURegistrations([]string{"aarch64", "s390x", "riscv64"}, binfmt.QEMUOptions{Suffix: "-static"}, "")
	if err != nil {
		return "", err
	}
	ext := binfmt.Registration{Name: "hello-ext", Kind: binfmt.KindExtension, Extension: "hk", Interpreter: "/bin/cat"}
	for _, r := range append(regs, ext) {
		if err := m.Register(r, binfmt.RegisterOptions{}); err != nil {
			return "", err
		}
	}
	if err := m.Register(regs[0], binfmt.RegisterOptions{}); !errors.Is(err, binfmt.ErrExists) {
		return "", fmt.Errorf("registering twice: want ErrExists, got %v", err)
	}
	changed := regs[0]
	changed.Flags = binfmt.FlagPreserveArgv0 | binfmt.FlagCredentials
	if err := m.Register(changed, binfmt.RegisterOptions{Replace: true}); err != nil {
		return "", fmt.Errorf("replace: %v", err)
	}
	entries, err := m.Entries()
	if err != nil {
		return "", err
	}
	var order []string
	for _, e := range entries {
		order = append(order, e.Name)
	}
	want := "qemu-aarch64 hello-ext qemu-riscv64 qemu-s390x"
	if got := strings.Join(order, " "); got != want {
		return "", fmt.Errorf("kernel order %q, want newest first %q", got, want)
	}
	if !entries[0].Registration.Equal(changed) || !entries[0].Enabled || entries[0].Flags != binfmt.FlagPreserveArgv0|binfmt.FlagOpenBinary|binfmt.FlagCredentials {
		return "", fmt.Errorf("read back %+v, want %+v", entries[0], changed)
	}
	if !entries[1].Registration.Equal(ext) {
		return "", fmt.Errorf("extension entry read back %+v", entries[1])
	}
	if err := m.Disable("qemu-s390x"); err != nil {
		return "", err
	}
	if e, err := m.Entry("qemu-s390x"); err != nil || e.Enabled {
		return "", fmt.Errorf("after Disable: %+v %v", e, err)
	}
	if err := m.Enable("qemu-s390x"); err != nil {
		return "", err
	}
	if e, err := m.Entry("qemu-s390x"); err != nil || !e.Enabled {
		return "", fmt.Errorf("after Enable: %+v %v", e, err)
	}
	if err := m.SetEnabled(false); err != nil {
		return "", err
	}
	if on, _ := m.Enabled(); on {
		return "", errors.New("status still enabled after SetEnabled(false)")
	}
	if err := m.SetEnabled(true); err != nil {
		return "", err
	}
	if err := m.Remove("qemu-riscv64"); err != nil {
		return "", err
	}
	if _, err := m.Entry("qemu-riscv64"); !errors.Is(err, binfmt.ErrNotFound) {
		return "", fmt.Errorf("removed entry: want ErrNotFound, got %v", err)
	}
	if err := m.Remove("qemu-riscv64"); !errors.Is(err, binfmt.ErrNotFound) {
		return "", fmt.Errorf("removing twice: want ErrNotFound, got %v", err)
	}
	bad := regs[1]
	bad.Name = "bad/name"
	if err := m.Register(bad, binfmt.RegisterOptions{}); !errors.Is(err, binfmt.ErrInvalid) {
		return "", fmt.Errorf("bad name: want ErrInvalid before the kernel, got %v", err)
	}
	missing := regs[1]
	missing.Name, missing.Interpreter, missing.Flags = "qemu-missing", "/nonexistent/qemu", binfmt.FlagFixBinary
	if err := m.Register(missing, binfmt.RegisterOptions{}); !errors.Is(err, syscall.ENOENT) {
		return "", fmt.Errorf("F with a missing interpreter: want ENOENT, got %v", err)
	}
	if err := m.RemoveAll(); err != nil {
		return "", err
	}
	if names, _ := m.Names(); len(names) != 0 {
		return "", fmt.Errorf("after RemoveAll: %v", names)
	}
	return "ok", nil
}

// globalState describes the machine's own binfmt_misc so a test can check
// it is left exactly as found.
func globalState(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "binfmt_misc") {
			f := strings.Fields(l)
			b.WriteString(f[4] + " ")
		}
	}
	if m, err := binfmt.Open(""); err == nil {
		es, err := m.Entries()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			b.Write(e.Format())
		}
	}
	return b.String()
}

var foreign = []struct {
	deb, target, uname string
}{
	{"arm64", "aarch64", "aarch64"},
	{"s390x", "s390x", "s390x"}, // big-endian
	{"ppc64el", "ppc64le", "ppc64le"},
	{"armhf", "arm", "armv7l"},
}

// TestProofForeignBinariesRun is the proof: in a private binfmt_misc
// a handler from the table, pointed at qemu-<cpu>-static with F, runs a real
// foreign busybox; removing it gives "exec format error". The machine's own
// binfmt_misc is left as found.
func TestProofForeignBinariesRun(t *testing.T) {
	binfmttest.Require(t)
	before := globalState(t)
	for _, f := range foreign {
		t.Run(f.target, func(t *testing.T) {
			bb := testenv.ForeignBusybox(t, f.deb)
			tg, _ := binfmt.LookupQEMUTarget(f.target)
			qemu := testenv.RequireFile(t, tg.Interpreter(binfmt.QEMUOptions{Suffix: "-static"}), "apt-get install qemu-user-static")
			arg, _ := json.Marshal(proofArg{Target: f.target, Busybox: bb, Interpreter: qemu})
			out := binfmttest.Run(t, &binfmt.Sandbox{}, "proof", string(arg))
			var res proofResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: listed %v, matched %s, uname -m: %q; after removal: %s", f.target, res.Listed, res.Matched, res.Before, res.AfterErr)
			if res.Matched != "qemu-"+f.target {
				t.Errorf("Mount.Match chose %q, want qemu-%s", res.Matched, f.target)
			}
			if res.Before != f.uname {
				t.Errorf("uname -m printed %q, want %q", res.Before, f.uname)
			}
			if !res.AfterENOEXE || !strings.Contains(res.AfterErr, "exec format error") {
				t.Errorf("after removal: %q, want exec format error", res.AfterErr)
			}
		})
	}
	if after := globalState(t); after != before {
		t.Errorf("the machine's binfmt_misc changed:\nbefore %q\nafter  %q", before, after)
	}
}

// TestProofPreserveArgv0 shows that P changes what the interpreter
// receives: busybox started as "echo" runs its echo applet only when the
// kernel passes the original argv[0] on.
func TestProofPreserveArgv0(t *testing.T) {
	binfmttest.Require(t)
	bb := testenv.ForeignBusybox(t, "arm64")
	qemu := testenv.RequireFile(t, "/usr/bin/qemu-aarch64-static", "apt-get install qemu-user-static")
	arg, _ := json.Marshal(proofArg{Target: "aarch64", Busybox: bb, Interpreter: qemu})
	out := binfmttest.Run(t, &binfmt.Sandbox{}, "argv0", string(arg))
	var outs []string
	if err := json.Unmarshal([]byte(out), &outs); err != nil {
		t.Fatal(err)
	}
	t.Logf("without P: %q; with P: %q", outs[0], outs[1])
	if strings.Contains(outs[0], "hello-from-argv") && !strings.Contains(outs[0], "applet not found") {
		t.Errorf("without P busybox still saw argv[0] \"echo\": %q", outs[0])
	}
	if outs[1] != "hello-from-argv" {
		t.Errorf("with P: %q, want busybox's echo applet to print hello-from-argv", outs[1])
	}
}

// TestSandboxCommand runs a command (not a function) in a sandbox with a
// registration made up front, at a mount point other than the default.
func TestSandboxCommand(t *testing.T) {
	bb := testenv.ForeignBusybox(t, "s390x")
	tg, _ := binfmt.LookupQEMUTarget("s390x")
	sb := &binfmt.Sandbox{
		Dir:           t.TempDir(),
		Registrations: []binfmt.Registration{tg.Registration(binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary})},
	}
	out, err := binfmttest.Command(t, sb, bb, "uname", "-m").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "s390x" {
		t.Errorf("uname -m = %q, want s390x", got)
	}
	// A registration the kernel refuses makes the setup fail with 125.
	bad := &binfmt.Sandbox{Registrations: []binfmt.Registration{{Name: "x", Kind: binfmt.KindMagic, Magic: []byte{1}, Interpreter: "/nonexistent", Flags: binfmt.FlagFixBinary}}}
	cmd := binfmttest.Command(t, bad, "/bin/true")
	out, err = cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != binfmt.SandboxExitSetup || !strings.Contains(string(out), "/nonexistent") {
		t.Errorf("bad setup: %v %q, want exit %d naming the interpreter", err, out, binfmt.SandboxExitSetup)
	}
}

// TestMountAPI drives every Mount operation against a private kernel
// instance.
func TestMountAPI(t *testing.T) {
	if out := binfmttest.Run(t, &binfmt.Sandbox{}, "mount-api", ""); out != "ok" {
		t.Fatal(out)
	}
}

func TestOpenNotMounted(t *testing.T) {
	_, err := binfmt.Open(t.TempDir())
	if !errors.Is(err, binfmt.ErrNotMounted) {
		t.Fatalf("Open of a plain directory: %v, want ErrNotMounted", err)
	}
}

// TestSandboxReplacedEnv: a caller that replaces the command's environment
// gets a clear failure, not a second run of the program.
func TestSandboxReplacedEnv(t *testing.T) {
	cmd := binfmttest.Command(t, &binfmt.Sandbox{}, "/bin/true")
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != binfmt.SandboxExitSetup || !strings.Contains(string(out), "do not replace it") {
		t.Errorf("%v %q", err, out)
	}
}
