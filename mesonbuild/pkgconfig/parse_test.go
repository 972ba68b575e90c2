package pkgconfig

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestParse(t *testing.T) {
	src := "# comment\n" +
		"prefix=/usr # trailing comment\n" +
		"cont=a \\\n    b\\\n c\n" +
		"esc=x\\#y\\\\z\\q\n" +
		"  lead=1\n" +
		"Name : spaced\n" +
		"Libs:-lx\r\n" +
		"9bad=x\n" +
		"Version: 1\r" +
		"last=no newline # c"
	f := Parse("t.pc", []byte(src))
	var got []string
	for _, e := range f.Entries {
		got = append(got, string(rune(e.Op))+" "+e.Key+"="+e.Value)
	}
	want := []string{
		"= prefix=/usr",
		"= cont=a bc", // the continuation swallows the next line's blanks
		`= esc=x#y\\z\q`,
		"= lead=1",
		": Name=spaced",
		": Libs=-lx",
		": Version=1",
		"= last=no newline \xff", // pkgconf stores EOF (0xff) when a comment runs to the end
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	var warns []string
	for _, w := range f.Warnings {
		warns = append(warns, w.String())
	}
	wantWarn := []string{
		"t.pc:2: warning: trailing whitespace encountered while parsing value section",
		"t.pc:5: warning: whitespace encountered while parsing key section",
		"t.pc:6: warning: whitespace encountered while parsing key section",
	}
	if d := cmp.Diff(wantWarn, warns); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
	last := f.Entries[len(f.Entries)-1]
	if last.Line != 10 {
		t.Errorf("last entry on line %d, want 10", last.Line)
	}
}

func TestParseNUL(t *testing.T) {
	f := Parse("n.pc", []byte("Name: a\x00b\nVersion: 1\n"))
	if f.Entries[0].Value != "a" {
		t.Errorf("value after NUL kept: %q", f.Entries[0].Value)
	}
}

func TestParseLongLine(t *testing.T) {
	long := "x=" + strings.Repeat("a", maxLine+10) + "\n"
	f := Parse("l.pc", []byte(long))
	// the rest of the line is read as a line of its own, as in pkgconf
	if len(f.Entries) != 2 || len(f.Entries[0].Value) != maxLine-2 {
		t.Fatalf("long line: %d entries, first value %d bytes", len(f.Entries), len(f.Entries[0].Value))
	}
}

// TestParseLongLineCut pins where pkgconf 1.8.1 cuts a long line: after
// 65533 bytes (its fgetline stops two bytes before the end of its
// 65535-byte buffer), so "f=1" glued after "e=" and 65531 bytes is a
// definition of its own (examples/pkgconf TestDifferentialLongLines
// checks the same against pkgconf).
func TestParseLongLineCut(t *testing.T) {
	for _, slow := range []bool{false, true} {
		f := parse("l.pc", []byte("e="+strings.Repeat("x", 65531)+"f=1\n"), slow)
		if len(f.Entries) != 2 || len(f.Entries[0].Value) != 65531 || f.Entries[1].Key != "f" || f.Entries[1].Value != "1" {
			var got []string
			for _, e := range f.Entries {
				got = append(got, fmt.Sprintf("%s%c(%d bytes)", e.Key, e.Op, len(e.Value)))
			}
			t.Errorf("slow path %v: entries %v, want e=(65531 bytes) and f=1", slow, got)
		}
	}
}

func TestDequote(t *testing.T) {
	for in, want := range map[string]string{
		`"/a b"`: "/a b", `'it''s'`: "its", `"a\"b"`: `a"b`, `plain"x"`: `plain"x"`, ``: ``, `"`: ``,
	} {
		if got := dequote(in); got != want {
			t.Errorf("dequote(%q) = %q, want %q", in, got, want)
		}
	}
}

// Parsing never loses a well-formed variable: generated files of
// "key=value" lines come back entry for entry.
func TestParseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 20).Draw(t, "n")
		var b strings.Builder
		var want []Entry
		for i := 0; i < n; i++ {
			key := rapid.StringMatching(`[A-Za-z][A-Za-z0-9_.]{0,8}`).Draw(t, "key")
			val := rapid.StringMatching(`[A-Za-z0-9/${}._ -]{0,20}`).Draw(t, "val")
			val = strings.TrimSpace(val)
			op := rapid.SampledFrom([]byte{'=', ':'}).Draw(t, "op")
			b.WriteString(key + string(op) + val + "\n")
			want = append(want, Entry{Line: i + 1, Key: key, Op: op, Value: val})
		}
		f := Parse("r.pc", []byte(b.String()))
		if d := cmp.Diff(want, f.Entries); d != "" && !(len(want) == 0 && len(f.Entries) == 0) {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("prefix=/usr\nName: x\nDescription: d\nVersion: 1\nLibs: -L${prefix}/lib -lx\nCflags: -I${prefix}/include\n"))
	f.Add([]byte("a=$${b}\nb={a}\nc=${a}${b}\nName: y\nVersion: 1 2\nDescription: \\\n x\r\nRequires: a >= 1, b\n"))
	f.Add([]byte("x={y}\ny=$${x}\nz=${y}\nName: s\nDescription: d\nVersion: 1\n"))
	f.Add([]byte("Cflags: \"unterminated\nLibs: -framework A B -Wl,x /p\n#"))
	c, err := New(Options{Env: []string{"PKG_CONFIG_SYSROOT_DIR=/sr"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pf := Parse("/fuzz/f.pc", data)
		// the fast path for plain lines must read what fgetline's
		// byte-by-byte rules read
		if slow := parse("/fuzz/f.pc", data, true); !reflect.DeepEqual(pf, slow) {
			t.Fatalf("fast path %+v, byte by byte %+v", pf, slow)
		}
		lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") + 1
		for _, e := range pf.Entries {
			if e.Line < 1 || e.Line > lines {
				t.Fatalf("entry line %d outside 1..%d", e.Line, lines)
			}
		}
		p, err := c.evaluate(pf, false)
		if (p == nil) == (err == nil) {
			t.Fatalf("evaluate returned %v and %v", p, err)
		}
		if p != nil {
			_ = p.Cflags.String() + p.Libs.String()
		}
	})
}
