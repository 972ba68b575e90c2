package mesonbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestParseSetupLogFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want SetupFailure
	}{
		// Captured from meson 1.0.1 on Debian 12.
		{"meson-1.0.1-version.txt", SetupFailure{
			Message: "Dependency lookup for foo with method 'pkgconfig' failed: Invalid version, need 'foo' ['>=3.0'] found '2.0.0'.",
			File:    "meson.build", Line: 2, Dependency: "foo", Wanted: ">=3.0", Found: "2.0.0"}},
		{"meson-1.0.1-not-found.txt", SetupFailure{
			Message: `Dependency "nope" not found, tried pkgconfig`, File: "meson.build", Line: 2, Dependency: "nope"}},
		// Written in the form newer meson prints.
		{"meson-1.9-version.txt", SetupFailure{
			Message: `Dependency "foo" not found, tried pkgconfig and cmake`, File: "meson.build", Line: 2,
			Dependency: "foo", Wanted: ">= 3.0, < 4", Found: "2.0.0"}},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", "setuplog", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := ParseSetupLog(data)
		if !ok || got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.file, got, tc.want)
		}
	}
}

func TestParseSetupLogOtherErrors(t *testing.T) {
	f, ok := ParseSetupLog([]byte("The Meson build system\n\nERROR: Unknown options: \"nosuch\"\n"))
	if !ok || f.Message != `Unknown options: "nosuch"` || f.Dependency != "" || f.File != "" {
		t.Errorf("%+v", f)
	}
	if _, ok := ParseSetupLog([]byte("all fine\n")); ok {
		t.Error("log without ERROR parsed as a failure")
	}
}

func TestDependencyVersionFromSource(t *testing.T) {
	dir := t.TempDir()
	src := "project('x', 'c')\nfoo = dependency(\n  'nope',\n  version: ['>=1.2', '<2'],\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "meson.build"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f := SetupFailure{File: "meson.build", Line: 2, Dependency: "nope"}
	f.dependencyVersionFromSource(dir)
	if f.Wanted != ">=1.2, <2" {
		t.Errorf("wanted %q", f.Wanted)
	}
	// A line for another dependency is not taken.
	f = SetupFailure{File: filepath.Join(dir, "meson.build"), Line: 2, Dependency: "other"}
	f.dependencyVersionFromSource(dir)
	if f.Wanted != "" {
		t.Errorf("wanted %q for the wrong dependency", f.Wanted)
	}
	// Out-of-range lines and missing files are ignored.
	f = SetupFailure{File: "meson.build", Line: 99, Dependency: "nope"}
	f.dependencyVersionFromSource(dir)
	f = SetupFailure{File: "missing.build", Line: 1, Dependency: "nope"}
	f.dependencyVersionFromSource(dir)
}

func TestParseSetupLogProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.StringMatching(`[a-z][a-z0-9_.+-]{0,20}`).Draw(t, "name")
		wanted := rapid.StringMatching(`>=[0-9]{1,3}\.[0-9]{1,3}`).Draw(t, "wanted")
		found := rapid.StringMatching(`[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}`).Draw(t, "found")
		line := rapid.IntRange(1, 5000).Draw(t, "line")
		noise := rapid.SliceOf(rapid.StringMatching(`[A-Za-z :/._-]{0,40}`)).Draw(t, "noise")
		log := strings.Join(noise, "\n") + fmt.Sprintf(
			"\nDependency %s found: NO found %s but need: '%s'\nsub/meson.build:%d:4: ERROR: Dependency lookup for %s with method 'pkgconfig' failed: Invalid version, need '%s' ['%s'] found '%s'.\n",
			name, found, wanted, line, name, name, wanted, found)
		f, ok := ParseSetupLog([]byte(log))
		if !ok || f.Dependency != name || f.Wanted != wanted || f.Found != found || f.Line != line || f.File != "sub/meson.build" {
			t.Fatalf("%+v", f)
		}
	})
}

func FuzzParseSetupLog(f *testing.F) {
	for _, n := range []string{"meson-1.0.1-version.txt", "meson-1.0.1-not-found.txt", "meson-1.9-version.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", "setuplog", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("ERROR: x"))
	f.Add([]byte("a.build:1:1: ERROR: Dependency \"a\" not found\nDependency a found: NO found 1 but need: '>2'"))
	f.Fuzz(func(t *testing.T, data []byte) {
		f, ok := ParseSetupLog(data)
		if !ok {
			if f != (SetupFailure{}) {
				t.Fatalf("not ok but %+v", f)
			}
			return
		}
		if f.Line < 0 {
			t.Fatalf("line %d", f.Line)
		}
		if !strings.Contains(string(data), f.Message) {
			t.Fatalf("message %q not in the input", f.Message)
		}
		if f.Dependency != "" && !strings.Contains(string(data), f.Dependency) {
			t.Fatalf("dependency %q not in the input", f.Dependency)
		}
	})
}
