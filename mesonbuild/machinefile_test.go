package mesonbuild

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestMachineFileEncode(t *testing.T) {
	m := &MachineFile{
		Binaries:       map[string]any{"pkg-config": "/usr/bin/pkgconf", "c": []string{"ccache", "gcc"}},
		Properties:     map[string]any{"pkg_config_libdir": []string{"/opt/a b/lib/pkgconfig"}, "needs_exe_wrapper": true},
		BuiltinOptions: map[string]any{"c_args": []string{"-DNAME='it''s'"}, "default_library": "static"},
		ProjectOptions: map[string]any{"jobs": 4, "sub:flag": false},
		HostMachine:    &HostMachine{System: "linux", CPUFamily: "aarch64", CPU: "cortex-a72", Endian: "little"},
	}
	got, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `# Written by hostkit mesonbuild from Go values; edits are overwritten.

[binaries]
c = ['ccache', 'gcc']
pkg-config = '/usr/bin/pkgconf'

[properties]
needs_exe_wrapper = true
pkg_config_libdir = ['/opt/a b/lib/pkgconfig']

[built-in options]
c_args = ['-DNAME=\'it\'\'s\'']
default_library = 'static'

[project options]
jobs = 4
sub:flag = false

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'cortex-a72'
endian = 'little'
`
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestMachineFileErrors(t *testing.T) {
	for _, m := range []*MachineFile{
		{Binaries: map[string]any{"c": 1.5}},
		{Properties: map[string]any{"bad key": "x"}},
		{Properties: map[string]any{"x": "a\nb"}},
		{Constants: map[string]any{"x": []string{"ok", "no\x00"}}},
		// meson 1.0 dies with "Unhandled python exception" on bytes that
		// are not UTF-8 in a machine file.
		{Properties: map[string]any{"x": "a\xffb"}},
		{Binaries: map[string]any{"pkg-config": "/opt/\xfe/pkg-config"}},
		{HostMachine: &HostMachine{System: "linux"}},
		// An unquotable host_machine value is an error, not an empty value.
		{HostMachine: &HostMachine{System: "linux", CPUFamily: "x86_64", CPU: "x86_64\n[binaries]", Endian: "little"}},
	} {
		if _, err := m.Encode(); err == nil {
			t.Errorf("%+v encoded without error", m)
		}
	}
	var nilFile *MachineFile
	if !nilFile.IsZero() || !(&MachineFile{}).IsZero() || (&MachineFile{HostMachine: &HostMachine{}}).IsZero() {
		t.Error("IsZero")
	}
}

func TestParseMesonList(t *testing.T) {
	got, err := ParseMesonList(`['-Wl,-rpath,/tmp/x y', 'it\'s', '\\back',]`)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"-Wl,-rpath,/tmp/x y", "it's", `\back`}, got); d != "" {
		t.Error(d)
	}
	if got, err := ParseMesonList("[]"); err != nil || len(got) != 0 {
		t.Errorf("empty list: %v %v", got, err)
	}
	for _, bad := range []string{"", "x", "[", "['a'", "['a' 'b']", "[a]", "['a'] x", "['a"} {
		if _, err := ParseMesonList(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Every list of strings meson could hold survives MesonLiteral then
// ParseMesonList.
func TestMesonListRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := rapid.SliceOf(rapid.StringMatching(`[^\n\r\x00]{0,20}`)).Draw(t, "list")
		lit, err := MesonLiteral(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := ParseMesonList(lit)
		if err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		if len(in) == 0 && len(out) == 0 {
			return
		}
		if d := cmp.Diff(in, out); d != "" {
			t.Fatalf("%s: %s", lit, d)
		}
	})
}

func FuzzParseMesonList(f *testing.F) {
	f.Add(`['a', 'b']`)
	f.Add(`['it\'s', '\\']`)
	f.Add(`[]`)
	f.Add(`['\n\t\q']`)
	f.Fuzz(func(t *testing.T, s string) {
		list, err := ParseMesonList(s)
		if err != nil {
			if !strings.Contains(err.Error(), "meson list") {
				t.Fatalf("error does not say what it parsed: %v", err)
			}
			return
		}
		// Re-encoding and parsing again is stable for strings a machine
		// file can hold.
		for _, e := range list {
			if strings.ContainsAny(e, "\n\r\x00") || !utf8.ValidString(e) {
				return
			}
		}
		lit, err := MesonLiteral(list)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseMesonList(lit)
		if err != nil || len(again) != len(list) {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, list, lit, again, err)
		}
		for i := range list {
			if again[i] != list[i] {
				t.Fatalf("element %d: %q became %q", i, list[i], again[i])
			}
		}
	})
}
