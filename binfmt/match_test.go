package binfmt_test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"pgregory.net/rapid"
)

func qemuEntry(t testing.TB, name string, opts binfmt.QEMUOptions) binfmt.Entry {
	tg, ok := binfmt.LookupQEMUTarget(name)
	if !ok {
		t.Fatalf("no target %s", name)
	}
	return binfmt.Entry{Registration: tg.Registration(opts), Enabled: true}
}

// headerOf is a 64-byte ELF header whose first bytes are the target's magic.
func headerOf(tg binfmt.Target) []byte {
	h := make([]byte, 64)
	copy(h, tg.Magic())
	return h
}

// TestTableIsDisjoint: a header built from a target's magic is recognised
// as that target by DetectArch and matched by its entry and no other.
func TestTableIsDisjoint(t *testing.T) {
	for _, tg := range binfmt.QEMUTargets() {
		h := headerOf(tg)
		a, err := binfmt.DetectArch(h)
		if err != nil || a.Target != tg.Name || a.Family != tg.Family {
			t.Errorf("%s: DetectArch = %+v, %v", tg.Name, a, err)
		}
		if a.Class != tg.Class || a.Data != tg.Data || a.Machine != tg.Machine {
			t.Errorf("%s: fields %v %v %v", tg.Name, a.Class, a.Data, a.Machine)
		}
		for _, other := range binfmt.QEMUTargets() {
			if got := other.Registration(binfmt.QEMUOptions{}).Matches(h, "/x"); got != (other.Name == tg.Name) {
				t.Errorf("entry of %s matches a %s header: %v", other.Name, tg.Name, got)
			}
		}
		// ET_DYN (3) matches too: e_type is masked with 0xfffe.
		dyn := bytes.Clone(h)
		if tg.Data == elf.ELFDATA2LSB {
			dyn[16] = 3
		} else {
			dyn[17] = 3
		}
		if !tg.Registration(binfmt.QEMUOptions{}).Matches(dyn, "/x") {
			t.Errorf("%s: a position-independent executable does not match", tg.Name)
		}
	}
}

func TestDetectArchRealBinaries(t *testing.T) {
	for _, f := range foreign {
		bb := testenv.ForeignBusybox(t, f.deb)
		h, err := binfmt.ReadHeader(bb)
		if err != nil {
			t.Fatal(err)
		}
		a, err := binfmt.DetectArch(h)
		if err != nil || a.Target != f.target {
			t.Errorf("%s: %+v %v, want %s", bb, a, err, f.target)
		}
	}
	h, err := binfmt.ReadHeader("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	a, err := binfmt.DetectArch(h)
	if err != nil || a.Family != binfmt.HostFamily() {
		t.Errorf("/bin/true: %+v %v, want the host family %s", a, err, binfmt.HostFamily())
	}
	var ne *binfmt.NotELFError
	if _, err := binfmt.DetectArch([]byte("#!/bin/sh\n")); !errors.As(err, &ne) {
		t.Errorf("script: %v", err)
	}
}

func TestMatchOrderAndReasons(t *testing.T) {
	aarch := qemuEntry(t, "aarch64", binfmt.QEMUOptions{})
	h := headerOf(func() binfmt.Target { tg, _ := binfmt.LookupQEMUTarget("aarch64"); return tg }())
	older := aarch
	older.Name = "older-aarch64"
	disabled := aarch
	disabled.Name, disabled.Enabled = "disabled-aarch64", false
	ext := binfmt.Entry{Registration: binfmt.Registration{Name: "ext", Kind: binfmt.KindExtension, Extension: "exe", Interpreter: "/bin/wine"}, Enabled: true}
	riscv := qemuEntry(t, "riscv64", binfmt.QEMUOptions{})
	// kernel order: newest first
	entries := []binfmt.Entry{disabled, ext, riscv, aarch, older}
	res := binfmt.Match(entries, h, "/opt/tool.v2/prog")
	if res.Entry == nil || res.Entry.Name != "qemu-aarch64" {
		t.Fatalf("Match = %+v, want qemu-aarch64 (first enabled match)", res)
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.Name+": "+s.Reason)
	}
	want := "disabled-aarch64: disabled|ext: extension .v2/prog, entry wants .exe|qemu-riscv64: byte 18 is 0xb7, entry wants 0xf3 under mask 0xff"
	if got := strings.Join(skipped, "|"); got != want {
		t.Errorf("skipped:\n%s\nwant\n%s", got, want)
	}
	if res := binfmt.Match(entries, []byte("MZ"), "C:/x/setup.exe"); res.Entry == nil || res.Entry.Name != "ext" {
		t.Errorf("extension: %+v", res)
	}
	if res := binfmt.Match(entries, []byte("MZ"), "setup.EXE"); res.Entry != nil {
		t.Errorf("extensions compare case-sensitively: %+v", res)
	}
	if res := binfmt.Match(nil, h, "/x"); res.Entry != nil || res.Reason != "no entries are registered" {
		t.Errorf("no entries: %+v", res)
	}
	// offset: the magic is compared at its offset, the rest zero-filled
	off := binfmt.Entry{Registration: binfmt.Registration{Name: "off", Kind: binfmt.KindMagic, Offset: 250, Magic: []byte{0, 0, 0, 0, 0, 0}, Interpreter: "/i"}, Enabled: true}
	if res := binfmt.Match([]binfmt.Entry{off}, []byte("short"), "/x"); res.Entry == nil {
		t.Errorf("the kernel zero-fills the 256-byte buffer: %+v", res)
	}
}

// TestMatchAgreesWithMask: Match applies the kernel's masked compare
// ((buf ^ magic) & mask == 0) byte by byte.
func TestMatchAgreesWithMask(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 8).Draw(t, "n")
		magic := rapid.SliceOfN(rapid.Byte(), n, n).Draw(t, "magic")
		mask := rapid.SliceOfN(rapid.SampledFrom([]byte{0, 0xff, 0xfe, 0x0f}), n, n).Draw(t, "mask")
		off := rapid.IntRange(0, 16).Draw(t, "off")
		buf := rapid.SliceOfN(rapid.Byte(), 0, 32).Draw(t, "buf")
		want := true
		for j := 0; j < n; j++ {
			var b byte
			if off+j < len(buf) {
				b = buf[off+j]
			}
			if (b^magic[j])&mask[j] != 0 {
				want = false
			}
		}
		r := binfmt.Registration{Name: "r", Kind: binfmt.KindMagic, Offset: off, Magic: magic, Mask: mask, Interpreter: "/i"}
		if got := r.Matches(buf, "/x"); got != want {
			t.Fatalf("Matches = %v, want %v", got, want)
		}
	})
}

func TestParseEntry(t *testing.T) {
	e := qemuEntry(t, "aarch64", binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary | binfmt.FlagCredentials})
	e.Enabled = false
	text := e.Format()
	if !bytes.Contains(text, []byte("flags: OCF\n")) || !bytes.HasPrefix(text, []byte("disabled\ninterpreter /usr/bin/qemu-aarch64-static\n")) {
		t.Errorf("Format:\n%s", text)
	}
	back, err := binfmt.ParseEntry(e.Name, text)
	if err != nil || !back.Registration.Equal(e.Registration) || back.Enabled {
		t.Errorf("ParseEntry: %+v %v", back, err)
	}
	bad := map[string]int{
		"enabled\n": 1,
		"on\ninterpreter /x\nflags: \noffset 0\nmagic 41\n":               1,
		"enabled\ninterp /x\nflags: \noffset 0\nmagic 41\n":               2,
		"enabled\ninterpreter /x\nflags: Q\noffset 0\nmagic 41\n":         3,
		"enabled\ninterpreter /x\nflags: \noffset -1\nmagic 41\n":         4,
		"enabled\ninterpreter /x\nflags: \noffset 0\nmagic 4\n":           5,
		"enabled\ninterpreter /x\nflags: \noffset 0\nmagic 41\nmask zz\n": 6,
		"enabled\ninterpreter /x\nflags: \noffset 0\n":                    5,
	}
	for in, line := range bad {
		_, err := binfmt.ParseEntry("e", []byte(in))
		var se *binfmt.SyntaxError
		if !errors.As(err, &se) || se.Line != line {
			t.Errorf("%q: %v, want a syntax error at line %d", in, err, line)
		}
	}
	if on, err := binfmt.ParseStatus([]byte("enabled\n")); !on || err != nil {
		t.Error("status enabled")
	}
	if _, err := binfmt.ParseStatus([]byte("maybe\n")); !errors.Is(err, binfmt.ErrSyntax) {
		t.Error("bad status accepted")
	}
}

func FuzzParseEntry(f *testing.F) {
	f.Add("enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OCF\noffset 0\nmagic 7f454c46\nmask ffffffff\n")
	f.Add("disabled\ninterpreter /bin/wine\nflags: \nextension .exe\n")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := binfmt.ParseEntry("n", []byte(s))
		if err != nil {
			return
		}
		back, err := binfmt.ParseEntry("n", e.Format())
		if err != nil || !back.Registration.Equal(e.Registration) || back.Enabled != e.Enabled {
			t.Fatalf("re-parse of %q: %+v %v", e.Format(), back, err)
		}
	})
}

func FuzzDetectArch(f *testing.F) {
	for _, tg := range binfmt.QEMUTargets() {
		f.Add(headerOf(tg))
	}
	f.Fuzz(func(t *testing.T, h []byte) {
		a, err := binfmt.DetectArch(h)
		if err == nil && a.Target != "" {
			tg, _ := binfmt.LookupQEMUTarget(a.Target)
			if tg.Family != a.Family {
				t.Fatal("family mismatch")
			}
		}
	})
}

func TestExplain(t *testing.T) {
	aarch, _ := binfmt.LookupQEMUTarget("aarch64")
	h := headerOf(aarch)
	static := func(p string, fromHost bool) binfmt.InterpreterInfo {
		return binfmt.InterpreterInfo{Exists: p != "/missing", Loader: map[bool]string{true: "/lib/ld-linux.so.2"}[strings.Contains(p, "dyn")]}
	}
	base := binfmt.Facts{Path: "/x", Header: h, Mode: 0o755, Mounted: true, Enabled: true, MountDir: binfmt.DefaultDir, HostFamily: "i386", Interpreter: static}
	entry := func(interp string, flags binfmt.Flags, enabled bool) []binfmt.Entry {
		e := qemuEntry(t, "aarch64", binfmt.QEMUOptions{})
		e.Interpreter, e.Flags, e.Enabled = interp, flags, enabled
		return []binfmt.Entry{e}
	}
	tests := []struct {
		name string
		mod  func(*binfmt.Facts)
		runs bool
		code binfmt.ProblemCode
	}{
		{"runs", func(f *binfmt.Facts) { f.Entries = entry("/usr/bin/qemu-aarch64-static", binfmt.FlagFixBinary, true) }, true, ""},
		{"not mounted", func(f *binfmt.Facts) { f.Mounted = false }, false, binfmt.ProblemNotMounted},
		{"disabled", func(f *binfmt.Facts) { f.Enabled = false; f.Entries = entry("/q", 0, true) }, false, binfmt.ProblemDisabled},
		{"no entry", func(f *binfmt.Facts) {}, false, binfmt.ProblemNoEntry},
		{"entry disabled", func(f *binfmt.Facts) { f.Entries = entry("/q", 0, false) }, false, binfmt.ProblemEntryDisabled},
		{"interpreter missing", func(f *binfmt.Facts) { f.Entries = entry("/missing", 0, true) }, false, binfmt.ProblemInterpreterAbsent},
		{"dynamic in container", func(f *binfmt.Facts) {
			f.Root = "/srv/c"
			f.Entries = entry("/usr/bin/qemu-dyn", binfmt.FlagFixBinary, true)
			f.Interpreter = func(p string, fromHost bool) binfmt.InterpreterInfo {
				if fromHost {
					return binfmt.InterpreterInfo{Exists: true, Loader: "/lib/ld.so"}
				}
				return binfmt.InterpreterInfo{}
			}
		}, false, binfmt.ProblemInterpreterDyn},
		{"not fixed in container", func(f *binfmt.Facts) { f.Root = "/srv/c"; f.Entries = entry("/q", 0, true) }, true, binfmt.ProblemInterpreterNotF},
		{"absent from container, no F", func(f *binfmt.Facts) {
			f.Root = "/srv/c"
			f.Entries = entry("/usr/bin/qemu-aarch64-static", 0, true)
			f.Interpreter = func(p string, fromHost bool) binfmt.InterpreterInfo { return binfmt.InterpreterInfo{Exists: fromHost} }
		}, false, binfmt.ProblemInterpreterAbsent},
		{"absent from container, with F", func(f *binfmt.Facts) {
			f.Root = "/srv/c"
			f.Entries = entry("/usr/bin/qemu-aarch64-static", binfmt.FlagFixBinary, true)
			f.Interpreter = func(p string, fromHost bool) binfmt.InterpreterInfo { return binfmt.InterpreterInfo{Exists: fromHost} }
		}, true, ""},
		{"needs P", func(f *binfmt.Facts) {
			f.Entries = entry("/usr/libexec/qemu-binfmt/aarch64-binfmt-P", binfmt.FlagFixBinary, true)
		}, false, binfmt.ProblemNeedsP},
		{"not executable", func(f *binfmt.Facts) { f.Mode = 0o644; f.Entries = entry("/q", binfmt.FlagFixBinary, true) }, false, binfmt.ProblemNotExecutable},
		{"setuid", func(f *binfmt.Facts) { f.Mode |= 0o4000 | 1<<23; f.Entries = entry("/q", binfmt.FlagFixBinary, true) }, true, ""},
		{"native taken over", func(f *binfmt.Facts) { f.HostFamily = "arm"; f.Entries = entry("/q", binfmt.FlagFixBinary, true) }, true, binfmt.ProblemNativeTakenOver},
		{"native", func(f *binfmt.Facts) { f.HostFamily = "arm"; f.Mounted = false }, true, ""},
	}
	for _, tc := range tests {
		f := base
		tc.mod(&f)
		d := binfmt.Explain(f)
		if d.Runs != tc.runs {
			t.Errorf("%s: Runs = %v, want %v: %s %+v", tc.name, d.Runs, tc.runs, d.Summary(), d.Problems)
		}
		if tc.code != "" && (len(d.Problems) == 0 || d.Problems[0].Code != tc.code) {
			t.Errorf("%s: problems %+v, want first %s", tc.name, d.Problems, tc.code)
		}
		if tc.code == "" && tc.name != "setuid" && len(d.Problems) != 0 {
			t.Errorf("%s: unexpected problems %+v", tc.name, d.Problems)
		}
	}
}

// TestDiagnoseLive diagnoses real foreign binaries against a private
// kernel instance, in the states users meet.
func TestDiagnoseLive(t *testing.T) {
	bb := testenv.ForeignBusybox(t, "arm64")
	out := runDiag(t, bb, nil)
	if !strings.Contains(out, string(binfmt.ProblemNoEntry)) {
		t.Errorf("empty instance: %s", out)
	}
	tg, _ := binfmt.LookupQEMUTarget("aarch64")
	deb := tg.Registration(binfmt.DebianQEMUOptions())
	deb.Flags &^= binfmt.FlagPreserveArgv0
	if out := runDiag(t, bb, []binfmt.Registration{deb}); !strings.Contains(out, string(binfmt.ProblemNeedsP)) {
		t.Errorf("Debian wrapper without P: %s", out)
	}
	ok := tg.Registration(binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary})
	if out := runDiag(t, bb, []binfmt.Registration{ok}); !strings.HasPrefix(out, "runs") {
		t.Errorf("good entry: %s", out)
	}
	// not mounted: a plain directory
	d, err := binfmt.Diagnose(context.Background(), bb, binfmt.DiagnoseOptions{MountDir: t.TempDir()})
	if err != nil || d.Runs || d.Problems[0].Code != binfmt.ProblemNotMounted {
		t.Errorf("not mounted: %+v %v", d, err)
	}
}

func init() {
	binfmt.RegisterSandboxFunc("diagnose", func(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
		d, err := binfmt.Diagnose(ctx, arg, binfmt.DiagnoseOptions{MountDir: m.Dir()})
		if err != nil {
			return "", err
		}
		var codes []string
		for _, p := range d.Problems {
			codes = append(codes, string(p.Code))
		}
		verdict := "fails"
		if d.Runs {
			verdict = "runs"
		}
		return verdict + " " + strings.Join(codes, ",") + " | " + d.Summary(), nil
	})
}

func runDiag(t *testing.T, file string, regs []binfmt.Registration) string {
	t.Helper()
	return runIn(t, &binfmt.Sandbox{Registrations: regs}, "diagnose", file)
}

func runIn(t *testing.T, sb *binfmt.Sandbox, fn, arg string) string {
	t.Helper()
	if _, err := os.Stat(arg); err != nil {
		t.Fatal(err)
	}
	return binfmtRun(t, sb, fn, arg)
}

// TestFindAgreesWithMatch: the fast path picks the same entry.
func TestFindAgreesWithMatch(t *testing.T) {
	es := allEntries()
	es[3].Enabled = false
	for _, tg := range binfmt.QEMUTargets() {
		h := headerOf(tg)
		m := binfmt.Match(es, h, "/a.b")
		f := binfmt.Find(es, h, "/a.b")
		if (m.Entry == nil) != (f == nil) || f != nil && f.Name != m.Entry.Name {
			t.Errorf("%s: Match %v, Find %v", tg.Name, m.Entry, f)
		}
	}
}

// TestMatchInvalidEntriesDoNotPanic: Match, Find and Matches take entries
// built by hand, which may break the kernel's rules (an offset past the
// 256 bytes read, a negative offset, a mask of another length). They must
// pass over such an entry with a reason, never index out of range.
func TestMatchInvalidEntriesDoNotPanic(t *testing.T) {
	good := binfmt.Registration{Name: "good", Kind: binfmt.KindMagic, Magic: []byte{0x7f}, Interpreter: "/i"}
	for _, r := range []binfmt.Registration{
		{Name: "far", Kind: binfmt.KindMagic, Offset: 300, Magic: []byte{1}, Interpreter: "/i"},
		{Name: "edge", Kind: binfmt.KindMagic, Offset: 255, Magic: []byte{0, 0}, Interpreter: "/i"},
		{Name: "neg", Kind: binfmt.KindMagic, Offset: -1, Magic: []byte{1}, Interpreter: "/i"},
		{Name: "mask", Kind: binfmt.KindMagic, Magic: []byte{0x7f, 0}, Mask: []byte{0xff}, Interpreter: "/i"},
		{Name: "empty", Kind: binfmt.KindMagic, Interpreter: "/i"},
	} {
		entries := []binfmt.Entry{{Registration: r, Enabled: true}, {Registration: good, Enabled: true}}
		res := binfmt.Match(entries, []byte{0x7f, 0}, "/p")
		if res.Entry == nil || res.Entry.Name != "good" || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "invalid entry") {
			t.Errorf("%s: Match = %+v", r.Name, res)
		}
		if e := binfmt.Find(entries, []byte{0x7f, 0}, "/p"); e == nil || e.Name != "good" {
			t.Errorf("%s: Find = %v", r.Name, e)
		}
		if r.Matches([]byte{0x7f, 0}, "/p") {
			t.Errorf("%s: Matches = true for a registration the kernel refuses", r.Name)
		}
	}
}

// TestInspectInterpreterHostileInterpSize: an interpreter file whose
// PT_INTERP header claims an absurd size (a corrupt or hostile file) must
// not make InspectInterpreter allocate that much or panic.
func TestInspectInterpreterHostileInterpSize(t *testing.T) {
	data, err := os.ReadFile("/bin/true") // dynamically linked: has PT_INTERP
	if err != nil {
		t.Skipf("no /bin/true: %v", err)
	}
	if got := binfmt.InspectInterpreter("/bin/true"); !got.Exists || got.Loader == "" {
		t.Fatalf("/bin/true: %+v, want an existing dynamically linked file", got)
	}
	le := binary.LittleEndian
	if data[4] != 2 || data[5] != 1 {
		t.Skip("/bin/true is not ELF64 little-endian")
	}
	phoff, phentsize, phnum := le.Uint64(data[0x20:]), uint64(le.Uint16(data[0x36:])), uint64(le.Uint16(data[0x38:]))
	patched := false
	for i := uint64(0); i < phnum; i++ {
		ph := data[phoff+i*phentsize:]
		if le.Uint32(ph) == uint32(elf.PT_INTERP) {
			le.PutUint64(ph[0x20:], 1<<62) // p_filesz
			patched = true
		}
	}
	if !patched {
		t.Fatal("no PT_INTERP in /bin/true")
	}
	p := t.TempDir() + "/interp"
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := binfmt.InspectInterpreter(p); !got.Exists || got.Loader != "" {
		t.Errorf("patched interpreter: %+v, want Exists and no loader", got)
	}
}
