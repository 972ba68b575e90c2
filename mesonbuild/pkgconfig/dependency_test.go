package pkgconfig

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestParseDependencies(t *testing.T) {
	cases := map[string][]string{
		"a, b  c":             {"a", "b", "c"},
		"glib-2.0 >= 2.50":    {"glib-2.0 >= 2.50"},
		"a>=1":                {"a>=1"},
		"e =1.0":              {"e = .0"},
		"b >=":                nil,
		"c <> 2 , d":          {"c (any) 2", "d"},
		"x == 1, y => 2":      {"x (any) 1", "y (any) 2"},
		" ,, a ,":             {"a"},
		"p <= 9 e != 0.5":     {"p <= 9", "e != 0.5"},
		"":                    nil,
		"gtk+-3.0 > 3.0, gio": {"gtk+-3.0 > 3.0", "gio"},
	}
	for in, want := range cases {
		var got []string
		for _, d := range ParseDependencies(in) {
			got = append(got, d.String())
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("ParseDependencies(%q) (-want +got):\n%s", in, d)
		}
	}
}

// A list written the canonical way parses back to itself.
func TestDependencyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 6).Draw(t, "n")
		var parts []string
		for i := 0; i < n; i++ {
			name := rapid.StringMatching(`[a-z][a-z0-9+._-]{0,10}`).Draw(t, "name")
			if rapid.Bool().Draw(t, "versioned") {
				op := rapid.SampledFrom([]string{"<", "<=", "=", "!=", ">=", ">"}).Draw(t, "op")
				ver := rapid.StringMatching(`[0-9][0-9a-z.~]{0,6}`).Draw(t, "ver")
				parts = append(parts, name+" "+op+" "+ver)
			} else {
				parts = append(parts, name)
			}
		}
		var got []string
		for _, d := range ParseDependencies(strings.Join(parts, ", ")) {
			got = append(got, d.String())
		}
		if d := cmp.Diff(parts, got); d != "" && len(parts)+len(got) > 0 {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
}

func FuzzParseDependencies(f *testing.F) {
	for _, s := range []string{"a >= 1, b", "a>=1", "x =1.0", "b >=", "c <> 2", ",,,", "a\tb\n<="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ref := ParseDependencies(s), parseDependenciesReference(s); !cmp.Equal(got, ref) {
			t.Fatalf("ParseDependencies(%q) = %+v; the copying parser gives %+v", s, got, ref)
		}
		for _, d := range ParseDependencies(s) {
			if strings.ContainsAny(d.Name, " \t\n,") {
				t.Fatalf("name %q from %q holds a separator", d.Name, s)
			}
			if !d.HasVersion && d.Version != "" {
				t.Fatalf("version %q without HasVersion", d.Version)
			}
		}
	})
}
