package elfwrap

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"pgregory.net/rapid"
)

func readFixture(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInspectFixtures(t *testing.T) {
	so, err := Inspect("testdata/tiny.so")
	if err != nil {
		t.Fatal(err)
	}
	if so.Soname != "libtiny.so.1" || !so.HasRunPath || so.HasRPath || !cmp.Equal(so.RunPath, []string{"$ORIGIN/lib"}) ||
		!so.NoDefaultLib() || so.Kind != KindSharedObject || so.Interp != "" || so.Static() {
		t.Errorf("tiny.so: %+v", so)
	}
	exe, err := Inspect("testdata/tinyexe")
	if err != nil {
		t.Fatal(err)
	}
	if exe.Kind != KindPIE || exe.Interp != "/lib64/ld-linux-x86-64.so.2" || !cmp.Equal(exe.Needed, []string{"libtiny.so.1", "libc.so.6"}) ||
		!exe.HasRPath || !cmp.Equal(exe.RPath, []string{"/opt/x"}) || exe.HasRunPath || exe.Machine != elf.EM_X86_64 || exe.Class != elf.ELFCLASS64 {
		t.Errorf("tinyexe: %+v", exe)
	}
}

var readelfTag = regexp.MustCompile(`\((NEEDED|SONAME|RPATH|RUNPATH)\)\s+.*\[(.*)\]$`)

// TestInspectMatchesReadelf compares the dynamic section with binutils'
// readelf -d on a sample of the machine's files.
func TestInspectMatchesReadelf(t *testing.T) {
	readelf := testenv.RequireTool(t, "readelf")
	for _, f := range sample(t, dynamicELFUnderUsr(t), 30) {
		out, err := exec.Command(readelf, "-dW", f).Output()
		if err != nil {
			t.Fatalf("readelf %s: %v", f, err)
		}
		want := map[string][]string{}
		for _, l := range strings.Split(string(out), "\n") {
			if m := readelfTag.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
				want[m[1]] = append(want[m[1]], m[2])
			}
		}
		info, err := Inspect(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := map[string][]string{}
		if len(info.Needed) > 0 {
			got["NEEDED"] = info.Needed
		}
		if info.Soname != "" {
			got["SONAME"] = []string{info.Soname}
		}
		if info.HasRPath {
			got["RPATH"] = []string{strings.Join(info.RPath, ":")}
		}
		if info.HasRunPath {
			got["RUNPATH"] = []string{strings.Join(info.RunPath, ":")}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-readelf +ours):\n%s", f, d)
		}
	}
}

func TestInspectNotELF(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("#!"), []byte("#!/bin/sh\necho hi\n"), bytes.Repeat([]byte{0}, 100)} {
		_, err := InspectBytes(in)
		if !errors.Is(err, ErrNotELF) && !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: got %v, want ErrNotELF or ErrMalformed", in, err)
		}
	}
	if _, err := InspectBytes([]byte("#!/bin/sh\necho hi\n")); !errors.Is(err, ErrNotELF) {
		t.Errorf("script: %v", err)
	}
}

// TestInspectTruncated cuts a real file at many lengths: a prefix either
// still holds everything the loader reads (same answer) or gives a typed
// error, never a panic or a different answer.
func TestInspectTruncated(t *testing.T) {
	data := readFixture(t, "tinyexe")
	full, err := InspectBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n += 7 {
		info, err := InspectBytes(data[:n])
		if err == nil {
			if !cmp.Equal(info, full) {
				t.Fatalf("cut at %d: a different answer without an error:\n%s", n, cmp.Diff(full, info))
			}
			continue
		}
		var fe *FormatError
		if !errors.As(err, &fe) && !errors.Is(err, ErrNotELF) {
			t.Fatalf("cut at %d: error %v is not a FormatError", n, err)
		}
	}
	_, err = InspectBytes(data[:40])
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Structure != "ELF header" {
		t.Errorf("40-byte prefix: %v, want an ELF header error", err)
	}
}

// patch sets a little-endian field in a copy of data.
func patch(data []byte, off int, v uint64, size int) []byte {
	d := bytes.Clone(data)
	switch size {
	case 2:
		binary.LittleEndian.PutUint16(d[off:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(d[off:], uint32(v))
	case 8:
		binary.LittleEndian.PutUint64(d[off:], v)
	}
	return d
}

func TestInspectHostile(t *testing.T) {
	data := readFixture(t, "tinyexe")
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	phoff := int(binary.LittleEndian.Uint64(data[32:]))
	var dynPh int
	for i, p := range ef.Progs {
		if p.Type == elf.PT_DYNAMIC {
			dynPh = phoff + i*56
		}
	}
	cases := []struct {
		name      string
		data      []byte
		structure string
	}{
		{"huge phnum", patch(data, 56, 0xffff, 2), "e_phnum"},
		{"phoff past end", patch(data, 32, 1<<40, 8), "program header table"},
		{"shoff past end", patch(data, 40, 1<<40, 8), "section header table"},
		{"bad phentsize", patch(data, 54, 12, 2), "e_phentsize"},
		{"dynamic offset past end", patch(data, dynPh+8, 1<<50, 8), "dynamic segment"},
		{"dynamic size huge", patch(data, dynPh+32, 1<<62, 8), "dynamic segment"},
		{"class 7", patch(data, 4, 7, 1+1), "ELF identification"},
	}
	for _, c := range cases {
		_, err := InspectBytes(c.data)
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want a FormatError", c.name, err)
			continue
		}
		if !strings.Contains(fe.Structure, c.structure) {
			t.Errorf("%s: structure %q, want it to mention %q (%v)", c.name, fe.Structure, c.structure, err)
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: not ErrMalformed", c.name)
		}
	}
}

// TestInspectCorruptionProperty flips random bytes of a real file: the
// result is an answer or an error, never a panic, and an answer's strings
// come from the file.
func TestInspectCorruptionProperty(t *testing.T) {
	data := readFixture(t, "tinyexe")
	rapid.Check(t, func(t *rapid.T) {
		d := bytes.Clone(data)
		n := rapid.IntRange(1, 16).Draw(t, "flips")
		for i := 0; i < n; i++ {
			off := rapid.IntRange(0, 4096).Draw(t, "off")
			d[off] = rapid.Byte().Draw(t, "byte")
		}
		cut := rapid.IntRange(0, len(d)).Draw(t, "len")
		info, err := InspectBytes(d[:cut])
		if err != nil {
			return
		}
		for _, s := range append(info.Needed, info.Soname, info.Interp) {
			if s != "" && !bytes.Contains(d, []byte(s)) {
				t.Fatalf("string %q is not in the input", s)
			}
		}
	})
}

func FuzzInspect(f *testing.F) {
	f.Add(readFixture(f, "tinyexe"))
	f.Add(readFixture(f, "tiny.so"))
	f.Add(readFixture(f, "tinyexe")[:64])
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := InspectBytes(data)
		if err == nil && info == nil {
			t.Fatal("nil info without error")
		}
		if err != nil && info != nil {
			t.Fatal("info with error")
		}
	})
}
