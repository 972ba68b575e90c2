package pkgconfig

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{`a  b	c`, []string{"a", "b", "c"}, false},
		{`-DX="a b" 'c d'`, []string{"-DX=a b", "c d"}, false},
		{`"a\qb" "x\"y\$z" a\ b \n`, []string{`a\qb`, `x"y$z`, "a b", "n"}, false},
		{`'' "" x`, []string{"x"}, false},
		{`'a\b'`, []string{`a\b`}, false},
		{`"open`, nil, true},
		{`trailing\`, nil, true},
		{``, nil, false},
	}
	for _, c := range cases {
		got, err := SplitArgs(c.in)
		if (err != nil) != c.err {
			t.Errorf("SplitArgs(%q) error %v, want error %v", c.in, err, c.err)
			continue
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("SplitArgs(%q) (-want +got):\n%s", c.in, d)
		}
	}
}

func TestFragmentMerging(t *testing.T) {
	fs, err := ParseFragments(`-isystem /a -include x.h -lfoo -framework A -framework B /p/lib.a -Wl,-O1 -DX`)
	if err != nil {
		t.Fatal(err)
	}
	want := "-isystem /a -include x.h -lfoo -framework A -framework B /p/lib.a -Wl,-O1 -DX "
	if fs.String() != want {
		t.Errorf("render %q, want %q", fs.String(), want)
	}
	if len(fs) != 4 {
		t.Errorf("got %d fragments, want 4 (two merged groups): %#v", len(fs), fs)
	}
	if d := cmp.Diff([]string{"-isystem", "/a", "-include", "x.h", "-lfoo", "-framework", "A", "-framework", "B", "/p/lib.a", "-Wl,-O1", "-DX"}, fs.Strings()); d != "" {
		t.Errorf("Strings (-want +got):\n%s", d)
	}
}

func TestFragListAdd(t *testing.T) {
	var l fragList
	for _, a := range []string{"-I/a", "-lx", "-DY", "-I/a", "-lx", "-L/b", "-L/b"} {
		l = l.add(newFragment(a), false)
	}
	got := Fragments(l).String()
	if want := "-I/a -DY -lx -L/b "; got != want {
		t.Errorf("merged %q, want %q", got, want)
	}
	var p fragList
	for _, a := range []string{"-lx", "-lx", "-I/a", "-I/a"} {
		p = p.add(newFragment(a), true)
	}
	if got, want := Fragments(p).String(), "-lx -lx -I/a -I/a "; got != want {
		t.Errorf("private %q, want %q", got, want)
	}
}

// Rendering escapes exactly what splitting unescapes: a single argument
// comes back unchanged.
func TestRenderSplitRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		arg := rapid.StringN(1, 30, -1).Draw(t, "arg")
		if strings.IndexByte(arg, 0) >= 0 {
			t.Skip("NUL cannot appear in a C string")
		}
		f := newFragment(arg)
		if f.Type != 0 && needsEscape(f.Type) {
			t.Skip("pkgconf does not escape the flag letter")
		}
		got, err := SplitArgs(Fragments{f}.String())
		if err != nil {
			t.Fatalf("split of %q: %v", Fragments{f}.String(), err)
		}
		if len(got) != 1 || got[0] != arg {
			t.Fatalf("%q rendered as %q split back to %q", arg, Fragments{f}.String(), got)
		}
	})
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{`-I/a "b c" 'd' e\ f`, `"x`, `\`, `-DX=\"q\"`, "a\tb\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := SplitArgs(s)
		ref, refErr := splitArgsReference(s)
		if (err == nil) != (refErr == nil) || !cmp.Equal(args, ref) {
			t.Fatalf("SplitArgs(%q) = %q, %v; the copying splitter gives %q, %v", s, args, err, ref, refErr)
		}
		// the loader's variant, with scratch memory, agrees too
		m := newLoadMem()
		words, err2 := splitArgs(s, m.words, m)
		if (err2 == nil) != (refErr == nil) || refErr == nil && len(words)+len(ref) > 0 && !cmp.Equal(words, ref) {
			t.Fatalf("splitArgs(%q) with a loadMem = %q, %v; want %q, %v", s, words, err2, ref, refErr)
		}
		if err != nil {
			return
		}
		for _, a := range args {
			if a == "" {
				t.Fatalf("empty argument from %q", s)
			}
		}
		fs, err := ParseFragments(s)
		if err != nil {
			t.Fatalf("ParseFragments failed where SplitArgs did not: %v", err)
		}
		// merged groups replace identical earlier groups, so arguments can
		// only be dropped, never invented
		got := fs.Strings()
		if len(got) > len(args) {
			t.Fatalf("%d arguments became %d", len(args), len(got))
		}
		seen := map[string]bool{}
		for _, a := range args {
			seen[a] = true
		}
		for _, g := range got {
			if !seen[g] {
				t.Fatalf("argument %q not in %q", g, args)
			}
		}
	})
}
