package mesonbuild

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in      string
		m, n, p int
	}{
		{"1.0.1\n", 1, 0, 1}, {"1.11.1.git.kitware.jobserver-1", 1, 11, 1}, {"1.4.0rc2", 1, 4, 0}, {"2", 2, 0, 0}, {"0.63", 0, 63, 0},
	} {
		v, err := ParseVersion(tc.in)
		if err != nil || v.Major != tc.m || v.Minor != tc.n || v.Patch != tc.p {
			t.Errorf("%q: %+v %v", tc.in, v, err)
		}
	}
	for _, bad := range []string{"", "v1.0", "x", "12345678901.0"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	a, _ := ParseVersion("1.0.1")
	if !a.AtLeast(1, 0, 0) || a.AtLeast(1, 3, 0) || a.String() != "1.0.1" || (Version{Major: 1}).String() != "1.0.0" {
		t.Error("AtLeast/String")
	}
}

func TestVersionCompareProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gen := func(l string) Version {
			return Version{Major: rapid.IntRange(0, 50).Draw(t, l+"M"), Minor: rapid.IntRange(0, 50).Draw(t, l+"m"), Patch: rapid.IntRange(0, 50).Draw(t, l+"p")}
		}
		a, b := gen("a"), gen("b")
		if a.Compare(b) != -b.Compare(a) {
			t.Fatal("not antisymmetric")
		}
		parsed, err := ParseVersion(fmt.Sprintf("%d.%d.%d", a.Major, a.Minor, a.Patch))
		if err != nil || parsed.Compare(a) != 0 {
			t.Fatalf("%+v: %v", parsed, err)
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	f.Add("1.0.1")
	f.Add("1.11.1.git")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		if v.Major < 0 || v.Minor < 0 || v.Patch < 0 {
			t.Fatalf("%+v", v)
		}
	})
}
