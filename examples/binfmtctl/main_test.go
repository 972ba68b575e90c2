package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func TestMain(m *testing.M) {
	// Runs binfmtctl's run() inside a private binfmt_misc.
	binfmt.RegisterSandboxFunc("ctl", func(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
		var script [][]string
		if err := json.Unmarshal([]byte(arg), &script); err != nil {
			return "", err
		}
		var results []ctlResult
		for _, args := range script {
			var out, errb bytes.Buffer
			code := run(ctx, append([]string{"--mount", m.Dir()}, args...), &out, &errb)
			results = append(results, ctlResult{code, out.String(), errb.String()})
		}
		b, err := json.Marshal(results)
		return string(b), err
	})
	binfmttest.Main(m)
}

type ctlResult struct {
	Code           int
	Stdout, Stderr string
}

func ctl(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestConf(t *testing.T) {
	code, out, _ := ctl("conf", "--suffix", "", "--qemu-path", "/opt/qemu", "--flags", "OCF", "aarch64", "mipsn32el")
	if code != 0 {
		t.Fatal(code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%q", out)
	}
	for i, name := range []string{"aarch64", "mipsn32el"} {
		r, err := binfmt.Parse(lines[i])
		tg, _ := binfmt.LookupQEMUTarget(name)
		want := tg.Registration(binfmt.QEMUOptions{Dir: "/opt/qemu", Flags: binfmt.FlagOpenBinary | binfmt.FlagCredentials | binfmt.FlagFixBinary})
		if err != nil || !r.Equal(want) || r.Interpreter != "/opt/qemu/qemu-"+name {
			t.Errorf("line %d: %q %v", i, lines[i], err)
		}
	}
	// all skips the host's family
	_, out, _ = ctl("conf", "all")
	host := binfmt.HostFamily()
	n := 0
	for _, tg := range binfmt.QEMUTargets() {
		has := strings.Contains(out, ":qemu-"+tg.Name+":")
		if has == (tg.Family == host) {
			t.Errorf("conf all: %s (family %s) present=%v on a %s host", tg.Name, tg.Family, has, host)
		}
		if has {
			n++
		}
	}
	if n == 0 {
		t.Error("conf all printed nothing")
	}
	code, out, _ = ctl("--json", "conf", "riscv64")
	var js []entryJSON
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || len(js) != 1 || js[0].Arch != "riscv64" || js[0].Flags != "F" {
		t.Errorf("conf --json: %d %s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"bogus"}, {"conf", "vax"}, {"conf", "--flags", "XYZ", "arm"}, {"install"}, {"uninstall"}, {"match"}, {"why"}, {"sandbox", "aarch64"}, {"--nope"}} {
		if code, _, errs := ctl(args...); code != 2 || errs == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 with a message", args, code, errs)
		}
	}
	if code, out, _ := ctl("status", "--mount", t.TempDir()); code != 1 || !strings.Contains(out, "not mounted") {
		t.Errorf("status of a plain directory: %d %q", code, out)
	}
}

// TestLifecycle drives install, list, match, why, uninstall and status
// against a private kernel instance, with real foreign binaries.
func TestLifecycle(t *testing.T) {
	bb := testenv.ForeignBusybox(t, "arm64")
	ppc := testenv.ForeignBusybox(t, "ppc64el")
	emptyRoot := t.TempDir()
	script := [][]string{
		{"install", "aarch64", "s390x", "x86_64"},
		{"install", "aarch64"},
		{"install", "--flags", "PF", "aarch64"},
		{"install", "--replace", "--flags", "PF", "aarch64"},
		{"--json", "list"},
		{"match", bb, ppc},
		{"why", bb, ppc},
		{"--json", "why", bb},
		{"uninstall", "qemu-s*"},
		{"uninstall", "nonexistent"},
		{"list"},
		{"--json", "status"},
		{"--json", "apply", "/usr/lib/binfmt.d/qemu-aarch64.conf", "/usr/lib/binfmt.d/qemu-riscv64.conf"},
		{"list"},
		{"install", "--replace", "--flags", "", "aarch64"},
		{"why", "--root", emptyRoot, bb},
	}
	raw, _ := json.Marshal(script)
	out := binfmttest.Run(t, &binfmt.Sandbox{}, "ctl", string(raw))
	var res []ctlResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	check := func(i, code int, contains ...string) {
		t.Helper()
		r := res[i]
		if r.Code != code {
			t.Errorf("%q: exit %d, want %d\n%s%s", script[i], r.Code, code, r.Stdout, r.Stderr)
		}
		for _, c := range contains {
			if !strings.Contains(r.Stdout, c) {
				t.Errorf("%q: output lacks %q:\n%s%s", script[i], c, r.Stdout, r.Stderr)
			}
		}
	}
	hostSkip := "qemu-x86_64: skipped"
	if binfmt.HostFamily() != "i386" {
		hostSkip = "qemu-x86_64: installed"
	}
	check(0, 0, "qemu-aarch64: installed", "qemu-s390x: installed", hostSkip)
	check(1, 0, "qemu-aarch64: already installed")
	check(2, 1, "qemu-aarch64: failed", "--replace")
	check(3, 0, "qemu-aarch64: installed")
	var list []entryJSON
	if err := json.Unmarshal([]byte(res[4].Stdout), &list); err != nil || len(list) < 2 || list[0].Name != "qemu-aarch64" || list[0].Flags != "PF" {
		t.Errorf("list --json: %v %s", err, res[4].Stdout)
	}
	check(5, 0, bb+": qemu-aarch64", ppc+": no entry")
	check(6, 1, "runs through binfmt_misc entry qemu-aarch64", "does not run (no-entry)", "binfmtctl install ppc64le")
	var ds []map[string]any
	if err := json.Unmarshal([]byte(res[7].Stdout), &ds); err != nil || ds[0]["runs"] != true {
		t.Errorf("why --json: %v %s", err, res[7].Stdout)
	}
	check(8, 0, "removed qemu-s390x")
	check(9, 1)
	if strings.Contains(res[10].Stdout, "s390x") || !strings.Contains(res[10].Stdout, "qemu-aarch64") {
		t.Errorf("list after uninstall:\n%s", res[10].Stdout)
	}
	check(11, 0, `"enabled": true`)
	check(12, 0, `"applied": 2`)
	check(13, 0, "qemu-riscv64", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P")
	check(14, 0, "qemu-aarch64: installed")
	check(15, 1, "interpreter-missing", "does not exist in "+emptyRoot, "with F")
}

// TestSandboxCommand runs the binfmtctl binary's sandbox command, which
// re-executes binfmtctl itself into the new namespaces.
func TestSandboxCommand(t *testing.T) {
	binfmttest.Require(t)
	bb := testenv.ForeignBusybox(t, "s390x")
	gotool := testenv.RequireTool(t, "go")
	exe := t.TempDir() + "/binfmtctl"
	if out, err := exec.Command(gotool, "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(exe, "sandbox", "s390x", "--", bb, "uname", "-m").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "s390x" {
		t.Fatalf("%v: %q", err, out)
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatal(err)
	}
}

// TestUsageErrorsSayWhy: stray arguments to list and status are bad usage
// (exit 2) and, like every other usage error, say so on stderr.
func TestUsageErrorsSayWhy(t *testing.T) {
	for _, args := range [][]string{{"list", "extra"}, {"status", "extra"}} {
		if code, _, errs := ctl(args...); code != 2 || !strings.Contains(errs, "extra") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message naming the stray argument", args, code, errs)
		}
	}
}

// TestStatusExitCodeSameWithJSON: --json changes the output, not the exit
// status; an unmounted binfmt_misc is exit 1 either way.
func TestStatusExitCodeSameWithJSON(t *testing.T) {
	dir := t.TempDir()
	text, _, _ := ctl("status", "--mount", dir)
	code, out, _ := ctl("--json", "status", "--mount", dir)
	var st struct{ Mounted bool }
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Mounted {
		t.Fatalf("--json status of a plain directory: %q, %v", out, err)
	}
	if text != 1 || code != text {
		t.Errorf("status of a plain directory: exit %d, with --json exit %d; want 1 both", text, code)
	}
}

// TestUninstallLiteralNames: an entry name may hold glob characters or a
// backslash (the kernel allows any byte but '/'); naming it exactly must
// remove it, as the usage "uninstall NAME" says.
func TestUninstallLiteralNames(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "odd.conf")
	if err := os.WriteFile(conf, []byte(":a\\b:E::ab::/bin/true:\n:x[1]:E::x1::/bin/true:\n:x1:E::xx::/bin/true:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := [][]string{{"apply", conf}, {"uninstall", `a\b`, "x[1]"}, {"list"}}
	raw, _ := json.Marshal(script)
	var res []ctlResult
	if err := json.Unmarshal([]byte(binfmttest.Run(t, &binfmt.Sandbox{}, "ctl", string(raw))), &res); err != nil {
		t.Fatal(err)
	}
	if res[0].Code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", res[0].Code, res[0].Stdout, res[0].Stderr)
	}
	if res[1].Code != 0 || !strings.Contains(res[1].Stdout, `removed a\b`) || !strings.Contains(res[1].Stdout, "removed x[1]") {
		t.Errorf(`uninstall 'a\b' 'x[1]': exit %d, stdout %q, stderr %q; want both removed`, res[1].Code, res[1].Stdout, res[1].Stderr)
	}
	if !strings.Contains(res[2].Stdout, "x1 ") {
		t.Errorf("uninstall x[1] must not remove x1 (a literal name is not a pattern):\n%s", res[2].Stdout)
	}
}
