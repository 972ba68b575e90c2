package elfwrap

import (
	"debug/elf"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// TestHostPlatformMatchesLoader compares the host conventions with what the
// loader itself prints for --help: its search directories and the
// glibc-hwcaps subdirectories it supports.
func TestHostPlatformMatchesLoader(t *testing.T) {
	testenv.RequireFile(t, hostLoader, "this test needs glibc's x86_64 loader")
	out, err := exec.Command(hostLoader, "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	var dirs, hw []string
	sys := regexp.MustCompile(`^\s+(/\S+) \(system search path\)$`)
	sup := regexp.MustCompile(`^\s+(x86-64-v\d) \(supported, searched\)$`)
	for _, l := range strings.Split(string(out), "\n") {
		if m := sys.FindStringSubmatch(l); m != nil {
			dirs = append(dirs, m[1])
		}
		if m := sup.FindStringSubmatch(l); m != nil {
			hw = append(hw, m[1])
		}
	}
	p := HostPlatform()
	if d := cmp.Diff(dirs, p.DefaultDirs); d != "" {
		t.Errorf("default dirs (-ld.so +ours):\n%s", d)
	}
	if d := cmp.Diff(hw, p.HWCaps, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") })); d != "" {
		t.Errorf("glibc-hwcaps (-ld.so +ours):\n%s", d)
	}
	if !strings.Contains(string(out), "self-identifies as: "+p.Loader) {
		t.Errorf("loader %s not in --help", p.Loader)
	}
}

func TestX86Levels(t *testing.T) {
	v2 := "flags : fpu cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3\n"
	v3 := strings.TrimSpace(v2) + " avx avx2 bmi1 bmi2 f16c fma abm movbe xsave\n"
	v4 := strings.TrimSpace(v3) + " avx512f avx512bw avx512cd avx512dq avx512vl\n"
	for in, want := range map[string][]string{
		"flags : fpu sse2\n": nil,
		v2:                   {"x86-64-v2"},
		v3:                   {"x86-64-v3", "x86-64-v2"},
		v4:                   {"x86-64-v4", "x86-64-v3", "x86-64-v2"},
		"processor : 0\n" + v4 + "flags : none\n": {"x86-64-v4", "x86-64-v3", "x86-64-v2"},
	} {
		if got := x86Levels(in); !cmp.Equal(got, want) {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
	if p := PlatformFor(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_AARCH64); p.Loader != "/lib/ld-linux-aarch64.so.1" || p.Lib != "lib/aarch64-linux-gnu" || !p.CacheFlagsOK(0x0a03) || p.CacheFlagsOK(0x0303) {
		t.Errorf("aarch64: %+v", p)
	}
}
