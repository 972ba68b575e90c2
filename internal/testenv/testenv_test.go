package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of stopping
// the goroutine, so the gating decisions can be checked.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

func TestUnavailableSkipsOnALaptop(t *testing.T) {
	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	Unavailable(r, "frobnicator missing; %s", "apt-get install frob")
	if !r.skipped || r.failed {
		t.Fatalf("skipped=%v failed=%v, want a skip", r.skipped, r.failed)
	}
	if !strings.Contains(r.msg, "apt-get install frob") || !strings.Contains(r.msg, RequireEnv) {
		t.Errorf("skip message %q lacks the hint or the variable", r.msg)
	}
}

func TestUnavailableFailsWhenRequired(t *testing.T) {
	for _, v := range []string{"1", "true", "YES"} {
		t.Setenv(RequireEnv, v)
		r := &recorder{TB: t}
		Unavailable(r, "frobnicator missing")
		if !r.failed || r.skipped {
			t.Fatalf("%s=%s: skipped=%v failed=%v, want a failure", RequireEnv, v, r.skipped, r.failed)
		}
		if !strings.Contains(r.msg, "frobnicator missing") {
			t.Errorf("failure message %q lacks the reason", r.msg)
		}
	}
}

func TestRequireToolMissing(t *testing.T) {
	t.Setenv(RequireEnv, "1")
	r := &recorder{TB: t}
	if p := RequireTool(r, "hostkit-no-such-tool-xyz"); p != "" {
		t.Fatalf("RequireTool returned %q for a missing tool", p)
	}
	if !r.failed || !strings.Contains(r.msg, "hostkit-no-such-tool-xyz not found") {
		t.Fatalf("failed=%v msg=%q", r.failed, r.msg)
	}
}

func TestRequireToolFound(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "hostkit-fake-tool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	t.Setenv(RequireEnv, "1")
	r := &recorder{TB: t}
	if p := RequireTool(r, "hostkit-fake-tool"); p != tool {
		t.Fatalf("RequireTool = %q, want %q", p, tool)
	}
	if r.failed || r.skipped {
		t.Fatalf("a present tool was gated: %q", r.msg)
	}
}

func TestInstallHint(t *testing.T) {
	for tool, want := range map[string]string{
		"patchelf":    "apt-get install patchelf",
		"ninja":       "apt-get install ninja-build",
		"pebble":      "go install github.com/letsencrypt/pebble/v2/cmd/pebble@",
		"hostkit-xyz": "install hostkit-xyz",
	} {
		if got := InstallHint(tool); !strings.HasPrefix(got, want) {
			t.Errorf("InstallHint(%q) = %q, want prefix %q", tool, got, want)
		}
	}
}

func TestRequireRoot(t *testing.T) {
	t.Setenv(RequireEnv, "1")
	r := &recorder{TB: t}
	RequireRoot(r)
	if isRoot := os.Geteuid() == 0; r.failed == isRoot {
		t.Fatalf("euid=%d but failed=%v", os.Geteuid(), r.failed)
	}
}

func TestRequireFile(t *testing.T) {
	t.Setenv(RequireEnv, "1")
	r := &recorder{TB: t}
	RequireFile(r, filepath.Join(t.TempDir(), "absent"), "make it")
	if !r.failed || !strings.Contains(r.msg, "make it") {
		t.Fatalf("failed=%v msg=%q", r.failed, r.msg)
	}
	r = &recorder{TB: t}
	RequireFile(r, t.TempDir(), "make it")
	if r.failed || r.skipped {
		t.Fatalf("an existing path was gated: %q", r.msg)
	}
}

func TestForeignDir(t *testing.T) {
	t.Setenv(ForeignEnv, "")
	if got := ForeignDir(); got != DefaultForeignDir {
		t.Errorf("ForeignDir() = %q, want the default %q", got, DefaultForeignDir)
	}
	t.Setenv(ForeignEnv, "/x/y")
	if got := ForeignDir(); got != "/x/y" {
		t.Errorf("ForeignDir() = %q, want /x/y", got)
	}
	t.Setenv(RequireEnv, "1")
	r := &recorder{TB: t}
	ForeignBusybox(r, "arm64")
	if !r.failed || !strings.Contains(r.msg, "busybox-static:arm64") {
		t.Fatalf("failed=%v msg=%q", r.failed, r.msg)
	}
}

func TestParseKernelVersion(t *testing.T) {
	for in, want := range map[string][2]int{
		"6.18.44-fc-v669":     {6, 18},
		"5.10.0-28-amd64":     {5, 10},
		"6.7":                 {6, 7},
		"4.19.0+deb10-custom": {4, 19},
	} {
		maj, min, err := parseKernelVersion(in)
		if err != nil || maj != want[0] || min != want[1] {
			t.Errorf("parseKernelVersion(%q) = %d, %d, %v; want %v", in, maj, min, err, want)
		}
	}
	if _, _, err := parseKernelVersion("garbage"); err == nil {
		t.Error("parseKernelVersion(garbage) succeeded")
	}
}

// TestKernelAndUserNamespace exercises the real checks on this machine: the
// kernel version is readable, and on a CI machine user namespaces work.
func TestKernelAndUserNamespace(t *testing.T) {
	RequireLinux(t)
	maj, _, err := KernelVersion()
	if err != nil || maj < 3 {
		t.Fatalf("KernelVersion() = %d, %v", maj, err)
	}
	if runtime.GOOS == "linux" {
		RequireUserNamespace(t)
	}
}

// DebianPackageInstalled asks the real dpkg-query, here of a private status
// database (DPKG_ADMINDIR): a package on hold or with triggers pending is
// installed; one only unpacked, or removed with its configuration kept, is not.
func TestDebianPackageInstalledStates(t *testing.T) {
	RequireTool(t, "dpkg-query")
	admin := t.TempDir()
	for _, d := range []string{"info", "updates"} {
		if err := os.Mkdir(filepath.Join(admin, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{
		"hk-installed":        true,
		"hk-held":             true,
		"hk-triggers-pending": true,
		"hk-triggers-awaited": true,
		"hk-deinstall":        true, // selected for removal, still installed
		"hk-unpacked":         false,
		"hk-half-configured":  false,
		"hk-config-files":     false,
		"hk-multiarch":        true, // installed for one architecture
		"hk-absent":           false,
	}
	stanzas := [][2]string{
		{"hk-installed", "install ok installed"},
		{"hk-held", "hold ok installed"},
		{"hk-triggers-pending", "install ok triggers-pending"},
		{"hk-triggers-awaited", "install ok triggers-awaited"},
		{"hk-deinstall", "deinstall ok installed"},
		{"hk-unpacked", "install ok unpacked"},
		{"hk-half-configured", "install ok half-configured"},
		{"hk-config-files", "deinstall ok config-files"},
	}
	var b strings.Builder
	for _, s := range stanzas {
		fmt.Fprintf(&b, "Package: %s\nStatus: %s\nArchitecture: all\nVersion: 1\nMaintainer: x <x@example.org>\nDescription: test\n", s[0], s[1])
		switch s[1] {
		case "install ok triggers-pending":
			b.WriteString("Triggers-Pending: hk-trigger\n")
		case "install ok triggers-awaited":
			b.WriteString("Triggers-Awaited: hk-installed\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("Package: hk-multiarch\nStatus: deinstall ok config-files\nArchitecture: arm64\nMulti-Arch: same\nVersion: 1\nMaintainer: x <x@example.org>\nDescription: test\n\n")
	b.WriteString("Package: hk-multiarch\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 1\nMaintainer: x <x@example.org>\nDescription: test\n\n")
	if err := os.WriteFile(filepath.Join(admin, "status"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DPKG_ADMINDIR", admin)
	for pkg, w := range want {
		if got := DebianPackageInstalled(pkg); got != w {
			t.Errorf("DebianPackageInstalled(%q) = %v, want %v", pkg, got, w)
		}
	}
}
