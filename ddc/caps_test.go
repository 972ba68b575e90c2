package ddc

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"pgregory.net/rapid"
)

func TestParseCapabilitiesWellFormed(t *testing.T) {
	s := "(prot(monitor)type(lcd)model(X)cmds(01 02 03 0C E3 F3)vcp(02 04 10 12 14(05 08 0B) 60(0F 11) D6(01 04 05) DF)mccs_ver(2.1)mswhql(1))"
	c, err := ParseCapabilities(s)
	if err != nil {
		t.Fatal(err)
	}
	if c.Prot != "monitor" || c.Type != "lcd" || c.Model != "X" || c.MCCSVersion != V21 {
		t.Errorf("header fields: %+v", c)
	}
	if !cmp.Equal(c.Commands, []byte{1, 2, 3, 0x0C, 0xE3, 0xF3}) {
		t.Errorf("cmds % X", c.Commands)
	}
	want := []VCPCapability{{Code: 0x02}, {Code: 0x04}, {Code: 0x10}, {Code: 0x12}, {Code: 0x14, Values: []byte{5, 8, 0x0B}},
		{Code: 0x60, Values: []byte{0x0F, 0x11}}, {Code: 0xD6, Values: []byte{1, 4, 5}}, {Code: 0xDF}}
	if !cmp.Equal(c.VCP, want) {
		t.Errorf("vcp: %s", cmp.Diff(want, c.VCP))
	}
	if c.Other["mswhql"] != "1" || len(c.Warnings) != 0 {
		t.Errorf("other %v warnings %v", c.Other, c.Warnings)
	}
	if !c.Supports(0x60) || c.Supports(0x61) || !c.HasCommand(OpCapabilities) {
		t.Error("Supports/HasCommand")
	}
}

func TestParseCapabilitiesMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		check    func(t *testing.T, c *Capabilities)
		warn     string
	}{
		{"no outer parens", "prot(monitor)type(lcd)vcp(10 12)", func(t *testing.T, c *Capabilities) {
			if len(c.VCP) != 2 || c.Type != "lcd" {
				t.Errorf("%+v", c)
			}
		}, "no outer parentheses"},
		{"doubled outer parens", "((prot(monitor)vcp(10)))", func(t *testing.T, c *Capabilities) {
			if len(c.VCP) != 1 || c.Prot != "monitor" {
				t.Errorf("%+v", c)
			}
		}, "doubled"},
		{"values without spaces", "(vcp(0203(10 00)0405 14(050608)))", func(t *testing.T, c *Capabilities) {
			want := []VCPCapability{{Code: 2}, {Code: 3, Values: []byte{0x10, 0}}, {Code: 4}, {Code: 5}, {Code: 0x14, Values: []byte{5, 6, 8}}}
			if !cmp.Equal(c.VCP, want) {
				t.Error(cmp.Diff(want, c.VCP))
			}
		}, "without spaces"},
		{"nested value lists", "(vcp(DC (00 (00 10) 01) 10))", func(t *testing.T, c *Capabilities) {
			f, ok := c.Feature(0xDC)
			if !ok || !cmp.Equal(f.Values, []byte{0, 1}) || !cmp.Equal(f.SubValues[0], []byte{0, 0x10}) || !c.Supports(0x10) {
				t.Errorf("%+v", c.VCP)
			}
		}, ""},
		{"missing model wrapper", "(prot(monitor)type(LCD)27UD58cmds(01 02 03 0C E3 F3)vcp(10))", func(t *testing.T, c *Capabilities) {
			if c.Model != "27UD58" || len(c.Commands) != 6 || len(c.VCP) != 1 {
				t.Errorf("%+v", c)
			}
		}, "missing \"model(\""},
		{"mccs_ver 0201", "(vcp(10)mccs_ver(0201))", func(t *testing.T, c *Capabilities) {
			if c.MCCSVersion != V21 {
				t.Errorf("version %v", c.MCCSVersion)
			}
		}, ""},
		{"trailing NUL", "(vcp(10 12)mccs_ver(2.2))\x00\x00", func(t *testing.T, c *Capabilities) {
			if len(c.VCP) != 2 || c.MCCSVersion != V22 {
				t.Errorf("%+v", c)
			}
		}, ""},
		{"vcpname", "(vcp(10 E0)vcpname(10(Brightness) E0(Sharpness Boost)))", func(t *testing.T, c *Capabilities) {
			if c.FeatureNames[0x10] != "Brightness" || c.FeatureNames[0xE0] != "Sharpness Boost" {
				t.Errorf("%v", c.FeatureNames)
			}
		}, ""},
		{"window", "(vcp(10)window1(type(PIP) area(25 25 1895 1175) max(640 480)))", func(t *testing.T, c *Capabilities) {
			if len(c.Windows) != 1 || c.Windows[0].Fields["type"] != "PIP" || c.Windows[0].Fields["area"] != "25 25 1895 1175" {
				t.Errorf("%+v", c.Windows)
			}
		}, ""},
		{"binary edid", "(vcp(10)edid bin(4(\xff)(\x00))mccs_ver(2.2))", func(t *testing.T, c *Capabilities) {
			if string(c.EDID) != "\xff)(\x00" || c.MCCSVersion != V22 {
				t.Errorf("edid % X version %v", c.EDID, c.MCCSVersion)
			}
		}, ""},
		{"upper-case VCP and lower-case hex", "(VCP(0a 1b 14(0b)))", func(t *testing.T, c *Capabilities) {
			if len(c.VCP) != 3 || c.VCP[1].Code != 0x1B || c.VCP[2].Values[0] != 0x0B {
				t.Errorf("%+v", c.VCP)
			}
		}, ""},
		{"unclosed", "(prot(monitor)vcp(10 12 14(05 06", func(t *testing.T, c *Capabilities) {
			f, _ := c.Feature(0x14)
			if len(c.VCP) != 3 || !cmp.Equal(f.Values, []byte{5, 6}) {
				t.Errorf("%+v", c.VCP)
			}
		}, "never closed"},
		{"garbage in vcp", "(vcp(10 zz 12))", func(t *testing.T, c *Capabilities) {
			if len(c.VCP) != 2 {
				t.Errorf("%+v", c.VCP)
			}
		}, "not a hex value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCapabilities(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
			if tc.warn != "" {
				found := false
				for _, w := range c.Warnings {
					found = found || strings.Contains(w.Msg, tc.warn)
				}
				if !found {
					t.Errorf("no warning containing %q in %v", tc.warn, c.Warnings)
				}
			}
		})
	}
}

func TestParseCapabilitiesNothing(t *testing.T) {
	for _, s := range []string{"", "   ", "\x00", "()", "hello"} {
		if _, err := ParseCapabilities(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

var (
	capsAttr    = regexp.MustCompile(`<caps\s+add="([^"]*)"`)
	capsComment = regexp.MustCompile(`(?s)CAPS:\s*(.*?)-->`)
)

// ddccontrolCaps reads the capability strings of Debian's ddccontrol-db
// monitor files.
func ddccontrolCaps(t testing.TB) map[string]string {
	testenv.RequireDebianPackage(t, "ddccontrol-db")
	files, err := filepath.Glob("/usr/share/ddccontrol-db/monitor/*.xml")
	if err != nil || len(files) == 0 {
		testenv.Unavailable(t, "no monitor files in /usr/share/ddccontrol-db/monitor (apt-get install ddccontrol-db)")
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range capsAttr.FindAllSubmatch(b, -1) {
			out[filepath.Base(f)+"#attr"+string(rune('0'+i))] = html.UnescapeString(string(m[1]))
		}
		for i, m := range capsComment.FindAllSubmatch(b, -1) {
			s := strings.Join(strings.Fields(string(m[1])), " ")
			out[filepath.Base(f)+"#comment"+string(rune('0'+i))] = s
		}
	}
	return out
}

// TestCapabilitiesCorpus parses every capabilities string in ddccontrol-db.
func TestCapabilitiesCorpus(t *testing.T) {
	corpus := ddccontrolCaps(t)
	if len(corpus) < 150 {
		t.Fatalf("only %d capability strings in ddccontrol-db, want at least 150", len(corpus))
	}
	names := make([]string, 0, len(corpus))
	for k := range corpus {
		names = append(names, k)
	}
	slices.Sort(names)
	parsed, withVCP, warned := 0, 0, 0
	for _, n := range names {
		s := corpus[n]
		c, err := ParseCapabilities(s)
		if err != nil {
			t.Errorf("%s: %v\n%q", n, err, s)
			continue
		}
		parsed++
		if len(c.VCP) > 0 {
			withVCP++
		}
		if len(c.Warnings) > 0 {
			warned++
		}
		// Every code the string lists in vcp(...) is found by the parser:
		// compare with a crude count of two-digit hex tokens at depth 1.
		if strings.Contains(strings.ToLower(s), "vcp(") && len(c.VCP) == 0 {
			t.Errorf("%s: vcp segment present but no feature parsed: %q (warnings %v)", n, s, c.Warnings)
		}
		// The canonical rendering parses back to the same features.
		again, err := ParseCapabilities(c.String())
		if err != nil || !cmp.Equal(again.VCP, c.VCP) || again.Model != c.Model || again.MCCSVersion != c.MCCSVersion {
			t.Errorf("%s: canonical form does not round-trip: %v\n%s", n, err, c.String())
		}
	}
	t.Logf("%d strings: %d parsed, %d with features, %d with warnings", len(corpus), parsed, withVCP, warned)
	if parsed < 150 {
		t.Errorf("parsed %d strings, want at least 150", parsed)
	}
}

func genCaps(t *rapid.T) *Capabilities {
	c := &Capabilities{Other: map[string]string{}}
	c.Prot = rapid.SampledFrom([]string{"", "monitor"}).Draw(t, "prot")
	c.Type = rapid.SampledFrom([]string{"", "lcd", "LCD", "crt"}).Draw(t, "type")
	c.Model = rapid.StringMatching(`[A-Za-z0-9 _-]{0,12}`).Draw(t, "model")
	c.Model = strings.TrimSpace(c.Model)
	c.Commands = rapid.SliceOfNDistinct(rapid.Byte(), 0, 8, func(b byte) byte { return b }).Draw(t, "cmds")
	codes := rapid.SliceOfNDistinct(rapid.Byte(), 0, 40, func(b byte) byte { return b }).Draw(t, "codes")
	for _, code := range codes {
		v := VCPCapability{Code: code}
		if rapid.IntRange(0, 3).Draw(t, "hasvals") == 0 {
			v.Values = rapid.SliceOfN(rapid.Byte(), 1, 6).Draw(t, "vals")
		}
		c.VCP = append(c.VCP, v)
	}
	if rapid.Bool().Draw(t, "ver") {
		c.MCCSVersion = Version{rapid.ByteRange(1, 3).Draw(t, "maj"), rapid.ByteRange(0, 9).Draw(t, "min")}
	}
	if rapid.Bool().Draw(t, "mswhql") {
		c.Other["mswhql"] = "1"
	}
	return c
}

// TestCapabilitiesRoundTrip: the canonical rendering of any capabilities
// parses back to the same structure, also when mangled the way monitors
// mangle it (doubled or missing outer parentheses, trailing NULs).
func TestCapabilitiesRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCaps(t)
		s := c.String()
		switch rapid.IntRange(0, 3).Draw(t, "mangle") {
		case 1:
			s = "(" + s + ")"
		case 2:
			s = s[1 : len(s)-1]
		case 3:
			s += "\x00"
		}
		got, err := ParseCapabilities(s)
		if err != nil {
			if s == "()" || s == "" || s == "\x00" || s == "(())" || s == "()\x00" {
				return
			}
			t.Fatalf("%q: %v", s, err)
		}
		if got.Model != c.Model || got.Type != c.Type || got.Prot != c.Prot || got.MCCSVersion != c.MCCSVersion ||
			!cmp.Equal(got.VCP, c.VCP, cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })) ||
			string(got.Commands) != string(c.Commands) {
			t.Fatalf("%q parsed to %+v, want %+v", s, got, c)
		}
	})
}

// TestParseCapabilitiesHugeBinaryLength: a "bin(N(" whose N is near the
// int limit must be refused as a bad binary segment, not overflow the
// bounds check and index out of range.
func TestParseCapabilitiesHugeBinaryLength(t *testing.T) {
	for _, s := range []string{
		"(prot(monitor)edid bin(9223372036854775800(x)))",
		"(prot(monitor)bin(9223372036854775807(xx)))",
		"(prot(monitor)edid bin(9223372036854775807(",
	} {
		c, err := ParseCapabilities(s)
		if err != nil || c.Prot != "monitor" || len(c.EDID) != 0 {
			t.Errorf("%q: prot %q, edid % X, err %v", s, c.Prot, c.EDID, err)
		}
	}
}

// TestParseCapabilitiesUnclosedNesting: a string of 64 KiB (the most a
// session reads) of unclosed groups used to take match an O(n) scan per
// '(' (about 40 s for "((((..."); the scan budget makes the rest count as
// unclosed, says so in a warning, and still reads what comes first.
func TestParseCapabilitiesUnclosedNesting(t *testing.T) {
	for _, tail := range []string{strings.Repeat("(", 64<<10), strings.Repeat("vcp(", 16<<10)} {
		c, err := ParseCapabilities("prot(monitor)" + tail)
		if err != nil || c.Prot != "monitor" {
			t.Fatalf("%.8q...: prot %q, err %v", tail, c.Prot, err)
		}
		found := false
		for _, w := range c.Warnings {
			found = found || strings.Contains(w.Msg, "nested too deeply")
		}
		if !found {
			t.Errorf("%.8q...: no warning about the nesting in %v", tail, c.Warnings)
		}
	}
}

func BenchmarkParseCapabilitiesUnclosed(b *testing.B) {
	s := strings.Repeat("(", 64<<10)
	for b.Loop() {
		ParseCapabilities(s)
	}
}

func FuzzParseCapabilities(f *testing.F) {
	for _, s := range []string{
		"(prot(monitor)type(lcd)model(X)cmds(01 02 03 0C E3 F3)vcp(02 04 10 12 14(05 08 0B) 60(0F 11))mccs_ver(2.1))",
		"((vcp(DC (00 (00 10) 01))))", "27UD58cmds(01)vcp(0203(10 00)0405", "(edid bin(3(\xff()))",
		"(vcpname(10(Brightness))window1(type(PIP)))\x00", "bin(9999(", ")(", "(((((",
		"(edid bin(9223372036854775800(x)))", "(prot(monitor)bin(9223372036854775807(xx)))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCapabilities(s)
		if c == nil {
			t.Fatalf("nil capabilities (err %v)", err)
		}
		if err != nil {
			return
		}
		for _, w := range c.Warnings {
			if w.Offset < 0 || w.Offset > len(s) {
				t.Fatalf("warning offset %d outside the %d-byte input", w.Offset, len(s))
			}
		}
		// The canonical form is stable: rendering its parse gives it back.
		canon := c.String()
		again, err := ParseCapabilities(canon)
		if err != nil {
			return // e.g. nothing but unknown segments: "()"
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable:\n%q\n%q", canon, again.String())
		}
	})
}
