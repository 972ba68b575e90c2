package binfmt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
	"pgregory.net/rapid"
)

const aarch64Line = `:qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F`

func TestParseAarch64(t *testing.T) {
	r, err := binfmt.Parse(aarch64Line)
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := binfmt.LookupQEMUTarget("aarch64")
	want := tg.Registration(binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary})
	if !r.Equal(want) {
		t.Fatalf("got %+v\nwant %+v", r, want)
	}
	if s, _ := r.Encode(); s != aarch64Line {
		t.Errorf("Encode:\n got %s\nwant %s", s, aarch64Line)
	}
}

// TestParseFieldRules checks every rule of the kernel's create_entry, each
// failure naming its field and wrapping the right sentinel.
func TestParseFieldRules(t *testing.T) {
	long := strings.Repeat("n", 256)
	tests := []struct {
		in, field string
		sentinel  error
	}{
		{":a:M::A::/x", "flags", binfmt.ErrInvalid}, // no last delimiter
		{":a:M", "length", binfmt.ErrInvalid},
		{":" + strings.Repeat("a", 1920), "length", binfmt.ErrInvalid},
		{"::M::A::/bin/true:", "name", binfmt.ErrInvalid},
		{":.:M::A::/bin/true:", "name", binfmt.ErrInvalid},
		{":..:M::A::/bin/true:", "name", binfmt.ErrInvalid},
		{":a/b:M::A::/bin/true:", "name", binfmt.ErrInvalid},
		{":a\x00b:M::A::/bin/true:", "name", binfmt.ErrInvalid},
		{":" + long + ":M::A::/bin/true:", "name", binfmt.ErrNameTooLong},
		{":register:M::A::/bin/true:", "name", binfmt.ErrReservedName},
		{":status:E::x::/bin/true:", "name", binfmt.ErrReservedName},
		{":a:X::A::/bin/true:", "type", binfmt.ErrInvalid},
		{":a:MM::A::/bin/true:", "type", binfmt.ErrInvalid},
		{":a:M:-1:A::/bin/true:", "offset", binfmt.ErrInvalid},
		{":a:M: 5:A::/bin/true:", "offset", binfmt.ErrInvalid},
		{":a:M:0x5:A::/bin/true:", "offset", binfmt.ErrInvalid},
		{":a:M:2147483648:A::/bin/true:", "offset", binfmt.ErrInvalid},
		{":a:M:256:A::/bin/true:", "magic", binfmt.ErrInvalid},
		{":a:M:0:" + strings.Repeat(`\x41`, 257) + "::/bin/true:", "magic", binfmt.ErrInvalid},
		{":a:M:::::/bin/true:", "magic", binfmt.ErrInvalid},
		{`:a:M::\x4::/bin/true:`, "magic", binfmt.ErrInvalid},
		{`:a:M::\xg1::/bin/true:`, "magic", binfmt.ErrInvalid},
		{`:a:M::A:\xff\xff:/bin/true:`, "mask", binfmt.ErrInvalid},
		{`:a:M::A:\x4:/bin/true:`, "mask", binfmt.ErrInvalid},
		{":a:E::a/b::/bin/true:", "extension", binfmt.ErrInvalid},
		{":a:E::::/bin/true:", "extension", binfmt.ErrInvalid},
		{":ab:M::A:::", "interpreter", binfmt.ErrInvalid},
		{":a:M::A::/bin/true:X", "flags", binfmt.ErrInvalid},
		{":a:M::A::/bin/true:F\n\n", "flags", binfmt.ErrInvalid},
		{"\na\nM\n\nA\n\n/bin/true\n", "flags", binfmt.ErrInvalid}, // the padding delimiter is a newline
	}
	for _, tc := range tests {
		_, err := binfmt.Parse(tc.in)
		var fe *binfmt.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("Parse(%q) = %v, want a *FieldError", shortQ(tc.in), err)
			continue
		}
		if fe.Field != tc.field || !errors.Is(err, tc.sentinel) {
			t.Errorf("Parse(%q): field %q (%v), want field %q wrapping %v", shortQ(tc.in), fe.Field, err, tc.field, tc.sentinel)
		}
	}
}

func shortQ(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// TestParseKernelQuirks pins behaviours a reader of the documentation would
// not expect, each checked against the live kernel (see
// TestKernelAgreesWithParse).
func TestParseKernelQuirks(t *testing.T) {
	tests := []struct {
		in   string
		want binfmt.Registration
	}{
		// any delimiter; an escaped delimiter inside the magic
		{`|a|M||\x3a||/bin/true|`, binfmt.Registration{Name: "a", Kind: binfmt.KindMagic, Magic: []byte(":"), Interpreter: "/bin/true"}},
		// sign and trailing newline in the offset (kstrtoint)
		{":a:M:+5\n:A::/bin/true:", binfmt.Registration{Name: "a", Kind: binfmt.KindMagic, Offset: 5, Magic: []byte("A"), Interpreter: "/bin/true"}},
		{":a:M:-0:A::/bin/true:", binfmt.Registration{Name: "a", Kind: binfmt.KindMagic, Magic: []byte("A"), Interpreter: "/bin/true"}},
		// \\ is not an escape: a backslash stays, then \x41 is still literal
		{`:a:M::\\x41::/bin/true:`, binfmt.Registration{Name: "a", Kind: binfmt.KindMagic, Magic: []byte(`\\x41`), Interpreter: "/bin/true"}},
		// a raw NUL ends the magic
		{":a:M::A\x00B::/bin/true:", binfmt.Registration{Name: "a", Kind: binfmt.KindMagic, Magic: []byte("A"), Interpreter: "/bin/true"}},
		// C implies O; repeats allowed; one trailing newline
		{":a:E:zz:ext:zz:/bin/true:CPP\n", binfmt.Registration{Name: "a", Kind: binfmt.KindExtension, Extension: "ext", Interpreter: "/bin/true", Flags: binfmt.FlagCredentials | binfmt.FlagOpenBinary | binfmt.FlagPreserveArgv0}},
		// NUL as the delimiter
		{"\x00a\x00M\x00\x00A\x00\x00/bin/true\x00", binfmt.Registration{Name: "a", Kind: binfmt.KindMagic, Magic: []byte("A"), Interpreter: "/bin/true"}},
		// an uppercase \X is no escape
		{`:a:M::\X41::/bin/true:`, binfmt.Registration{Name: "a", Kind: binfmt.KindMagic, Magic: []byte(`\X41`), Interpreter: "/bin/true"}},
	}
	for _, tc := range tests {
		got, err := binfmt.Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) || got.Flags != tc.want.Flags {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := binfmt.Registration{Name: "n", Kind: binfmt.KindMagic, Magic: []byte{0, ':'}, Mask: []byte{0xff, 0xff}, Interpreter: "/a:b"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	s, _ := ok.Encode()
	if s != `|n|M||\x00\x3a|\xff\xff|/a:b|` {
		t.Errorf("Encode = %q: want a delimiter other than ':' and NUL and ':' escaped", s)
	}
	tests := []struct {
		mod   func(*binfmt.Registration)
		field string
	}{
		{func(r *binfmt.Registration) { r.Name = "" }, "name"},
		{func(r *binfmt.Registration) { r.Name = "status" }, "name"},
		{func(r *binfmt.Registration) { r.Kind = 'X' }, "type"},
		{func(r *binfmt.Registration) { r.Offset = -1 }, "offset"},
		{func(r *binfmt.Registration) { r.Offset = 255 }, "magic"},
		{func(r *binfmt.Registration) { r.Magic = nil; r.Mask = nil }, "magic"},
		{func(r *binfmt.Registration) { r.Mask = []byte{1} }, "mask"},
		{func(r *binfmt.Registration) { r.Interpreter = "" }, "interpreter"},
		{func(r *binfmt.Registration) { r.Interpreter = strings.Repeat("/x", 1000) }, "length"},
		{func(r *binfmt.Registration) { r.Flags = 0x80 }, "flags"},
		{func(r *binfmt.Registration) { r.Extension = "x" }, "extension"},
		{func(r *binfmt.Registration) {
			r.Kind = binfmt.KindExtension
			r.Magic = nil
			r.Mask = nil
			r.Extension = "a/b"
		}, "extension"},
		{func(r *binfmt.Registration) { r.Kind = binfmt.KindExtension; r.Magic = nil; r.Mask = nil }, "extension"},
		{func(r *binfmt.Registration) { r.Kind = binfmt.KindExtension; r.Extension = "x" }, "magic"},
	}
	for i, tc := range tests {
		r := ok
		tc.mod(&r)
		err := r.Validate()
		var fe *binfmt.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("case %d: Validate = %v, want a *FieldError for %s", i, err, tc.field)
		}
		if _, err := r.Encode(); err == nil {
			t.Errorf("case %d: Encode accepted an invalid registration", i)
		}
	}
}

func genRegistration() *rapid.Generator[binfmt.Registration] {
	return rapid.Custom(func(t *rapid.T) binfmt.Registration {
		r := binfmt.Registration{
			Name:        rapid.StringMatching(`[a-zA-Z0-9_.:|,-]{1,40}`).Filter(func(s string) bool { return s != "." && s != ".." && s != "status" && s != "register" }).Draw(t, "name"),
			Interpreter: "/" + rapid.StringMatching(`[a-zA-Z0-9_/.:|, -]{0,80}`).Draw(t, "interp"),
			Flags:       binfmt.Flags(rapid.IntRange(0, 15).Draw(t, "flags")).Normalize(),
		}
		if rapid.Bool().Draw(t, "ext") {
			r.Kind = binfmt.KindExtension
			r.Extension = rapid.StringMatching(`[a-zA-Z0-9_.:~-]{1,20}`).Draw(t, "extension")
			return r
		}
		r.Kind = binfmt.KindMagic
		r.Magic = rapid.SliceOfN(rapid.Byte(), 1, 200).Draw(t, "magic")
		if rapid.Bool().Draw(t, "hasmask") {
			r.Mask = rapid.SliceOfN(rapid.Byte(), len(r.Magic), len(r.Magic)).Draw(t, "mask")
		}
		r.Offset = rapid.IntRange(0, binfmt.BufSize-len(r.Magic)).Draw(t, "offset")
		return r
	})
}

// TestRoundTrip: encode then parse gives the registration back.
func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := genRegistration().Draw(t, "r")
		s, err := r.Encode()
		if err != nil {
			t.Fatalf("Encode(%+v): %v", r, err)
		}
		got, err := binfmt.Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if !got.Equal(r) {
			t.Fatalf("round trip of %q:\n got %+v\nwant %+v", s, got, r)
		}
		var back binfmt.Registration
		text, _ := r.MarshalText()
		if err := back.UnmarshalText(text); err != nil || !back.Equal(r) {
			t.Fatalf("text round trip: %v", err)
		}
	})
}

// TestValidateAgreesWithParse: Validate accepts a registration exactly when
// its register string parses (no rule only one of them knows).
func TestValidateAgreesWithParse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genRegisterString().Draw(t, "s")
		r, err := binfmt.Parse(s)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Parse(%q) accepted, Validate refuses %+v: %v", s, r, err)
		}
		again, err := binfmt.Parse(r.String())
		if err != nil || !again.Equal(r) {
			t.Fatalf("re-encoding %q as %q: %v", s, r.String(), err)
		}
	})
}

// genRegisterString makes register strings near the edge of validity:
// every field is drawn from valid values, except that in most strings one
// field (sometimes two) is drawn from values that break a rule.
func genRegisterString() *rapid.Generator[string] {
	type choice struct{ good, bad []string }
	piece := []string{"A", `\x41`, `\x00`, `\xff`, `\xFF`, "ELF", `\x3a`, `\\`, `\`, `\X41`, "\x00A"}
	return rapid.Custom(func(t *rapid.T) string {
		fields := []choice{
			{[]string{":", ":", ":", "|", "a", "\x00", "x", "\\", "M", "E", "1", "F", "P"}, []string{"\n"}},
			{[]string{"n", "qemu-x", "a.b", "ü", "x:y", strings.Repeat("n", 255)}, []string{"", ".", "..", "a/b", "register", "status", "a\x00b", strings.Repeat("n", 256)}},
			{[]string{"M", "M", "E"}, []string{"", "X", "MM", "m"}},
			{[]string{"", "", "0", "3", "+5", "-0", "007", "5\n", "250"}, []string{"2147483647", "-1", "256", "2147483648", " 5", "0x1", "+-1"}},
			{nil, []string{`\x4`, `\xg1`, "", strings.Repeat(`\x7f`, 257)}},      // magic: good ones are made below
			{[]string{"", "", "="}, []string{`\x4`, `\xff\xff\xff\xff\xff\xff`}}, // mask: "=" means as long as the magic
			{[]string{"/bin/true", "/x y", "rel", "/" + strings.Repeat("i", 300)}, []string{"", "/a\x00b"}},
			{[]string{"", "P", "OC", "F", "POCF", "CC"}, []string{"X", "PX", "F\n\n"}},
			{[]string{"", "", "\n"}, []string{"x", "DEL"}},
		}
		broken := rapid.IntRange(-3, len(fields)-1).Draw(t, "broken")
		broken2 := rapid.IntRange(-20, len(fields)-1).Draw(t, "broken2")
		out := make([]string, len(fields))
		for i, c := range fields {
			if (i == broken || i == broken2) && len(c.bad) > 0 {
				out[i] = rapid.SampledFrom(c.bad).Draw(t, "bad")
				continue
			}
			if i == 4 {
				out[i] = strings.Join(rapid.SliceOfN(rapid.SampledFrom(piece), 1, 5).Draw(t, "magic"), "")
				continue
			}
			out[i] = rapid.SampledFrom(c.good).Draw(t, "good")
		}
		if out[5] == "=" {
			out[5] = strings.Repeat(`\xf0`, len(binfmt.Unescape(out[4])))
		}
		if strings.Contains(out[7], "F") {
			out[6] = "/bin/true" // F opens the interpreter: keep it real
		}
		del := out[0]
		if out[8] == "DEL" {
			out[8] = del
		}
		body := out[1:8]
		if rapid.IntRange(0, 30).Draw(t, "short") == 0 {
			body = body[:rapid.IntRange(1, 6).Draw(t, "keep")]
		}
		return del + strings.Join(body, del) + out[8]
	})
}

// genMutated makes valid register strings and then overwrites, inserts or
// deletes a few bytes, drawn from the characters the parser cares about.
func genMutated() *rapid.Generator[string] {
	alphabet := []byte(":|\\x0fF9aA\n\x00POCFME/.-+ ")
	return rapid.Custom(func(t *rapid.T) string {
		r := genRegistration().Draw(t, "r")
		if len(r.Interpreter) > 40 {
			r.Interpreter = r.Interpreter[:40]
		}
		s, _ := r.Encode()
		b := []byte(s)
		for k := rapid.IntRange(1, 3).Draw(t, "k"); k > 0 && len(b) > 0; k-- {
			i := rapid.IntRange(0, len(b)-1).Draw(t, "i")
			c := rapid.SampledFrom(alphabet).Draw(t, "c")
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				b[i] = c
			case 1:
				b = append(b[:i], append([]byte{c}, b[i:]...)...)
			default:
				b = append(b[:i], b[i+1:]...)
			}
		}
		return string(b)
	})
}

// TestKernelAgreesWithParse writes a few hundred generated register strings
// (and the table's quirk cases) to a private kernel instance and checks
// that Parse accepts exactly what the kernel accepts, refuses with the same
// class of error, and yields the entry the kernel shows.
func TestKernelAgreesWithParse(t *testing.T) {
	binfmttest.Require(t)
	gen := genRegisterString()
	lines := []string{aarch64Line, `|a|M||\x3a||/bin/true|`, ":a:M:+5\n:A::/bin/true:", `:a:M::\\x41::/bin/true:`,
		":a:M::A\x00B::/bin/true:", "\x00a\x00M\x00\x00A\x00\x00/bin/true\x00", "\na\nM\n\nA\n\n/bin/true\n",
		":a:E:zz:ext:zz:/bin/true:CPP\n", ":a:E::.ext::/bin/true:", ":" + strings.Repeat("n", 256) + ":M::A::/bin/true:",
		// A 256-byte magic with a mask, written with raw bytes: the kernel
		// takes it, though every byte as \xHH would not fit 1920 bytes.
		longMaskedMagic, ":b:M:6:" + strings.Repeat("A", 250) + ":" + strings.Repeat("\x7f", 250) + ":/bin/true:F"}
	n := 1500
	if v, err := strconv.Atoi(os.Getenv("HOSTKIT_BINFMT_DIFF_N")); err == nil {
		n = v // a longer run: HOSTKIT_BINFMT_DIFF_N=20000
	}
	mut := genMutated()
	for i := 0; i < n; i++ {
		lines = append(lines, gen.Example(i), mut.Example(i))
	}
	raw, _ := json.Marshal(lines)
	out := binfmttest.Run(t, &binfmt.Sandbox{}, "kernel-verdicts", string(raw))
	var vs []verdict
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatal(err)
	}
	accepted, bad, fOpen := 0, 0, 0
	report := func(format string, args ...any) {
		bad++
		t.Errorf(format, args...)
	}
	for i, line := range lines {
		if bad > 10 {
			t.Fatal("too many differences, stopping")
		}
		v := vs[i]
		r, err := binfmt.Parse(line)
		switch {
		case v.OK && err != nil:
			report("kernel accepts %q, Parse refuses: %v", line, err)
		case !v.OK && err == nil && r.Flags&binfmt.FlagFixBinary != 0 && v.Errno != "invalid argument" && v.Errno != "file exists":
			// With F the kernel opens the interpreter at registration; a
			// path that does not resolve is beyond a parser.
			fOpen++
		case !v.OK && err == nil:
			report("kernel refuses %q (%s), Parse accepts %+v", line, v.Errno, r)
		case !v.OK:
			want := map[string]error{"invalid argument": binfmt.ErrInvalid, "file exists": binfmt.ErrReservedName, "file name too long": binfmt.ErrNameTooLong}[v.Errno]
			if want == nil || !errors.Is(err, want) {
				report("kernel refuses %q with %s, Parse with %v", line, v.Errno, err)
			}
		default:
			accepted++
			name, content, _ := strings.Cut(v.Entry, "\x00")
			want := binfmt.Entry{Registration: r, Enabled: true}
			if name != r.Name || !bytes.Equal(want.Format(), []byte(content)) {
				report("%q: kernel shows entry %q:\n%s\nParse gives %q:\n%s", line, name, content, r.Name, want.Format())
			}
			e, err := binfmt.ParseEntry(name, []byte(content))
			if err != nil || !e.Registration.Equal(r) {
				report("ParseEntry of the kernel's %q: %v, %+v", name, err, e)
			}
		}
	}
	t.Logf("%d register strings: the kernel accepted %d, refused %d (%d of them opening an F interpreter); Parse disagreed on %d", len(lines), accepted, len(lines)-accepted, fOpen, bad)
	if accepted < 50 || len(lines)-accepted < 50 {
		t.Errorf("generator is lopsided: %d accepted of %d", accepted, len(lines))
	}
}

// longMaskedMagic is a register string the kernel accepts whose magic and
// mask, each 256 bytes, are given as raw bytes (valid UTF-8: the kernel
// test passes its strings through JSON).
var longMaskedMagic = ":big:M::" + strings.Repeat("A", 256) + ":" + strings.Repeat("\x7f", 256) + ":/bin/true:"

// TestLongMaskedMagic: a registration the kernel accepts must validate,
// encode within the kernel's 1920 bytes, and read back from its entry file.
func TestLongMaskedMagic(t *testing.T) {
	for _, line := range []string{longMaskedMagic, ":b:M:6:" + strings.Repeat("A", 250) + ":" + strings.Repeat("\x7f", 250) + ":/bin/true:F"} {
		r, err := binfmt.Parse(line)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("Parse accepted %d bytes, Validate refuses: %v", len(line), err)
		}
		enc, err := r.Encode()
		if err != nil {
			t.Errorf("Encode: %v", err)
		} else if back, err := binfmt.Parse(enc); err != nil || !back.Equal(r) || len(enc) > binfmt.MaxRegisterLength {
			t.Errorf("Encode gives %d bytes, parsed back %v, equal %v", len(enc), err, back.Equal(r))
		}
		e := binfmt.Entry{Registration: r, Enabled: true}
		if got, err := binfmt.ParseEntry(r.Name, e.Format()); err != nil || !got.Registration.Equal(r) {
			t.Errorf("ParseEntry of the kernel's entry file: %v", err)
		}
		if _, err := e.MarshalJSON(); err != nil {
			t.Errorf("MarshalJSON: %v", err)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := map[string]string{`\x41\x4`: "A\x04", `\\x41`: `\\x41`, `a\`: `a\`, `\x`: `\x`, "A\x00B": "A", `\x7fELF`: "\x7fELF", `\x414`: "A4"}
	for in, want := range tests {
		if got := binfmt.Unescape(in); string(got) != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := binfmt.Unescape(binfmt.Escape([]byte{0, ':', 0xff})); !bytes.Equal(got, []byte{0, ':', 0xff}) {
		t.Errorf("Escape/Unescape: %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{aarch64Line, ":a:E::exe::/bin/true:", "|a|M|5|\\x3a|\\xff|/x|POCF\n", "\x00a\x00M\x00\x00A\x00\x00/i\x00", ":a:M:+5\n:A\\x4::/i:",
		"Mabcdefghij", "Eabcdefghijk", "\\a\\M\\\\\\x41\\\\/i\\", "xaxMxxA\\xxx/ixF", "aaaaaaaaaaaaa", "1a1M1\\x1\\x1/i1", longMaskedMagic} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := binfmt.Parse(s)
		if err != nil {
			var fe *binfmt.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, fe.Err) || fe.Error() == "" {
				t.Fatalf("Parse(%q): untyped error %v", s, err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Parse(%q) accepted what Validate refuses: %v", s, err)
		}
		enc, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := binfmt.Parse(enc)
		if err != nil || !back.Equal(r) {
			t.Fatalf("Parse(%q) -> %q -> %+v, %v", s, enc, back, err)
		}
	})
}

func TestLint(t *testing.T) {
	tg, _ := binfmt.LookupQEMUTarget("aarch64")
	if w := tg.Registration(binfmt.QEMUOptions{}).Lint(); len(w) != 0 {
		t.Errorf("the table's registration has warnings: %q", w)
	}
	tests := map[string]binfmt.Registration{
		"not an absolute path": {Name: "a", Kind: binfmt.KindMagic, Magic: []byte{1}, Interpreter: "qemu"},
		"127 as the limit":     {Name: "a", Kind: binfmt.KindMagic, Magic: []byte{1}, Interpreter: "/" + strings.Repeat("x", 200)},
		"white space":          {Name: "a b", Kind: binfmt.KindMagic, Magic: []byte{1}, Interpreter: "/i"},
		"never matches":        {Name: "a", Kind: binfmt.KindExtension, Extension: ".exe", Interpreter: "/i"},
		"mask (0x0f) ignores":  {Name: "a", Kind: binfmt.KindMagic, Magic: []byte{0xff}, Mask: []byte{0x0f}, Interpreter: "/i"},
		"C implies O":          {Name: "a", Kind: binfmt.KindMagic, Magic: []byte{1}, Interpreter: "/i", Flags: binfmt.FlagCredentials},
	}
	for want, r := range tests {
		w := r.Lint()
		if len(w) != 1 || !strings.Contains(w[0], want) {
			t.Errorf("%+v: %q, want one warning about %q", r, w, want)
		}
	}
}

func TestEntryJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := binfmt.Entry{Registration: genRegistration().Draw(t, "r"), Enabled: rapid.Bool().Draw(t, "on")}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back binfmt.Entry
		if err := json.Unmarshal(b, &back); err != nil || !back.Registration.Equal(e.Registration) || back.Enabled != e.Enabled {
			t.Fatalf("%s -> %+v %v", b, back, err)
		}
		if s, _ := e.Registration.Encode(); len(s) == 0 || len(s) > binfmt.MaxRegisterLength {
			t.Fatalf("length %d", len(s))
		}
	})
}

// TestLengthLimitBoundary: Validate's length rule agrees with Parse's at
// exactly 1920 and 1921 bytes, for both kinds and with an offset.
func TestLengthLimitBoundary(t *testing.T) {
	for _, base := range []binfmt.Registration{
		// NUL and backslash are escaped in every form Encode writes.
		{Name: "m", Kind: binfmt.KindMagic, Offset: 12, Magic: []byte{0, '\\'}, Mask: []byte{'\\', 0}, Flags: binfmt.FlagCredentials},
		{Name: "e", Kind: binfmt.KindExtension, Extension: "ext", Flags: binfmt.FlagFixBinary | binfmt.FlagPreserveArgv0},
	} {
		base.Interpreter = "/"
		s, _ := base.Encode()
		for _, total := range []int{binfmt.MaxRegisterLength, binfmt.MaxRegisterLength + 1} {
			r := base
			r.Interpreter = "/" + strings.Repeat("i", total-len(s))
			err := r.Validate()
			if (total <= binfmt.MaxRegisterLength) != (err == nil) {
				t.Errorf("%s at %d bytes: Validate %v", r.Name, total, err)
			}
			if err == nil {
				enc, _ := r.Encode()
				if len(enc) != total {
					t.Errorf("encoded %d bytes, want %d", len(enc), total)
				}
				if _, err := binfmt.Parse(enc); err != nil {
					t.Errorf("Parse of a %d-byte string: %v", total, err)
				}
			}
		}
	}
}
