package mesonbuild

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func TestOptionMatches(t *testing.T) {
	opt := func(name, typ, section string, v any) BuildOption {
		raw, _ := json.Marshal(v)
		return BuildOption{Name: name, Type: typ, Section: section, Value: raw}
	}
	for _, tc := range []struct {
		o    BuildOption
		want string
		ok   bool
	}{
		{opt("debug", "boolean", "core", true), "true", true},
		{opt("debug", "boolean", "core", true), "False", false},
		{opt("scale", "integer", "user", 10), "10", true},
		{opt("scale", "integer", "user", 10), "0xa", true},
		{opt("scale", "integer", "user", 10), "11", false},
		{opt("c_args", "array", "compiler", []string{"-Da b"}), "['-Da b']", true},
		{opt("c_args", "array", "compiler", []string{"-Da", "b"}), "['-Da b']", false},
		{opt("c_args", "array", "compiler", []string{"-Da", "b"}), "-Da b", true}, // meson's own splitting: not checked
		{opt("buildtype", "combo", "core", "release"), "release", true},
		{opt("buildtype", "combo", "core", "release"), "debug", false},
		{opt("prefix", "string", "directory", "/opt/x"), "/opt/x/", true},
		{opt("bindir", "string", "directory", "bin2"), "/opt/x/bin2", true},
		{opt("bindir", "string", "directory", "bin2"), "/elsewhere/bin2", false},
		{opt("name", "string", "user", 5), "5", false},
	} {
		if got := optionMatches(tc.o, tc.want, "/opt/x"); got != tc.ok {
			t.Errorf("%s=%s vs %s: %v, want %v", tc.o.Name, tc.o.Value, tc.want, got, tc.ok)
		}
	}
}

func TestBuildWithoutTools(t *testing.T) {
	b := &Build{Name: "x", SourceDir: t.TempDir(), BuildDir: t.TempDir()}
	ctx := context.Background()
	if _, err := b.Setup(ctx, SetupConfig{}); !errors.Is(err, ErrToolNotFound) {
		t.Errorf("setup: %v", err)
	}
	if _, err := b.Compile(ctx); !errors.Is(err, ErrToolNotFound) {
		t.Errorf("compile: %v", err)
	}
	if err := b.Install(ctx, InstallOptions{}); !errors.Is(err, ErrToolNotFound) {
		t.Errorf("install: %v", err)
	}
	if err := b.Test(ctx); !errors.Is(err, ErrToolNotFound) {
		t.Errorf("test: %v", err)
	}
}

func TestSetupFingerprint(t *testing.T) {
	b := &Build{Name: "x", SourceDir: "/src", BuildDir: "/build"}
	base := SetupConfig{Prefix: "/p", Options: map[string]string{"a": "1"}}
	f1, err := b.SetupFingerprint(base)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := b.SetupFingerprint(SetupConfig{Prefix: "/p/", Options: map[string]string{"a": "1"}})
	if same != f1 {
		t.Error("a trailing slash on the prefix changed the fingerprint")
	}
	for _, c := range []SetupConfig{
		{Prefix: "/p", Options: map[string]string{"a": "2"}},
		{Prefix: "/q", Options: map[string]string{"a": "1"}},
		{Prefix: "/p", Options: map[string]string{"a": "1"}, LinkArgs: []string{"-Wl,-rpath,/p/lib"}},
		{Prefix: "/p", Options: map[string]string{"a": "1"}, PkgConfig: "/usr/bin/pkgconf"},
		{Prefix: "/p", Options: map[string]string{"a": "1"}, PkgConfigPath: []string{"/p/lib/pkgconfig"}},
	} {
		if f, _ := b.SetupFingerprint(c); f == f1 {
			t.Errorf("%+v has the same fingerprint", c)
		}
	}
	for _, bad := range []SetupConfig{
		{Prefix: "relative"},
		{Options: map[string]string{"a=b": "1"}},
		{Native: &MachineFile{Binaries: map[string]any{"c": 1.5}}},
		{Cross: &MachineFile{HostMachine: &HostMachine{}}},
	} {
		if _, err := b.SetupFingerprint(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
