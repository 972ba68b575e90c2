package mesonbuild

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// introDir makes a build directory whose meson-info holds the fixture
// files of testdata/intro/<name>.
func introDir(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "intro", name), filepath.Join(dir, "meson-info"))
	return dir
}

func TestReadIntrospectionMeson101(t *testing.T) {
	in, err := ReadIntrospection(introDir(t, "meson-1.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if in.Info.MesonVersion.Full != "1.0.1" || in.Info.Introspection.Version.Major != 1 {
		t.Errorf("info %+v", in.Info.MesonVersion)
	}
	var names []string
	for _, tg := range in.Targets {
		names = append(names, tg.Name+"/"+tg.Type)
	}
	if d := cmp.Diff([]string{"foo/shared library", "footool/executable", "tt/executable"}, names); d != "" {
		t.Errorf("targets (-want +got):\n%s", d)
	}
	foo := in.Targets[0]
	if foo.Subproject != nil || !foo.Installed || len(foo.InstallFilename) != 1 || *foo.InstallFilename[0] != "/opt/demo/lib/x86_64-linux-gnu/libfoo.so" {
		t.Errorf("foo target %+v", foo)
	}
	if len(foo.TargetSources) != 1 || foo.TargetSources[0].Language != "c" || foo.TargetSources[0].Sources[0] != "/src/demo/foo.c" {
		t.Errorf("foo sources %+v", foo.TargetSources)
	}
	if o, ok := in.Option("prefix"); !ok || o.Text() != "/opt/demo" {
		t.Errorf("prefix %+v", o)
	}
	if o, ok := in.Option("debug"); !ok || o.Type != "boolean" {
		t.Errorf("debug %+v", o)
	} else if b, ok := o.Bool(); !ok || !b {
		t.Errorf("debug value %s", o.Value)
	}
	if o, ok := in.Option("libdir"); !ok || o.Text() != "lib/x86_64-linux-gnu" {
		t.Errorf("libdir %+v", o)
	}
	if in.ProjectInfo.DescriptiveName != "foo" || in.ProjectInfo.Version != "2.0.0" {
		t.Errorf("projectinfo %+v", in.ProjectInfo)
	}
	if len(in.Tests) != 1 || in.Tests[0].Name != "t" || in.Tests[0].Timeout.String() != "30" {
		t.Errorf("tests %+v", in.Tests)
	}
	if in.InstallPlan["targets"]["/src/demo/b3/libfoo.so"].Destination != "{libdir_shared}/libfoo.so" {
		t.Errorf("install plan %+v", in.InstallPlan)
	}
	if in.Installed["/src/demo/b3/footool"] != "/opt/demo/bin/footool" {
		t.Errorf("installed %v", in.Installed)
	}
}

func TestReadIntrospectionNewerFormat(t *testing.T) {
	in, err := ReadIntrospection(introDir(t, "meson-1.9"))
	if err != nil {
		t.Fatal(err)
	}
	if in.Info.MesonVersion.Minor != 9 {
		t.Errorf("version %+v", in.Info.MesonVersion)
	}
	wl := in.Targets[0]
	if d := cmp.Diff([]string{"wayland-server", "pixman-1", "libdrm"}, wl.Dependencies); d != "" {
		t.Errorf("dependencies: %s", d)
	}
	if wl.Machine != "host" || len(wl.Depends) != 1 || len(wl.TargetSources) != 2 || wl.TargetSources[1].Linker[0] != "cc" {
		t.Errorf("wlroots target %+v", wl)
	}
	if p := in.Targets[1]; p.Subproject == nil || *p.Subproject != "wayland-protocols" || p.Machine != "build" {
		t.Errorf("protocols target %+v", p)
	}
	if tw := in.Targets[2]; len(tw.InstallFilename) != 2 || tw.InstallFilename[1] != nil {
		t.Errorf("tinywl install_filename %v", tw.InstallFilename)
	}
	if o, _ := in.Option("backlog"); o.Type != "integer" {
		t.Errorf("backlog %+v", o)
	} else if n, ok := o.Int(); !ok || n != 64 {
		t.Errorf("backlog value %s", o.Value)
	}
	if o, _ := in.Option("backends"); o.Text() != `["drm", "libinput", "x11"]` {
		t.Errorf("backends text %q", o.Text())
	} else if s, ok := o.Strings(); !ok || len(s) != 3 {
		t.Errorf("backends %v", s)
	}
	if o, _ := in.Option("optimization"); o.Text() != "2" {
		t.Errorf("optimization %q", o.Text())
	}
	if d := in.Dependencies[2]; d.Type != "internal" || d.Version != "0.19.0" || d.IncludeDirectories[0] != "/src/wl/include" {
		t.Errorf("internal dependency %+v", d)
	}
	if string(in.ProjectInfo.License) != `["MIT"]` || in.ProjectInfo.Subprojects[0].Version != "1.41" {
		t.Errorf("projectinfo %+v", in.ProjectInfo)
	}
	if in.Tests[0].Timeout.String() != "30.5" {
		t.Errorf("timeout %v", in.Tests[0].Timeout)
	}
	if e := in.InstallPlan["install_subdirs"]["/src/wl/include/wlr"]; len(e.ExcludeFiles) != 1 || *e.Tag != "devel" {
		t.Errorf("install plan %+v", e)
	}
}

func TestReadIntrospectionErrors(t *testing.T) {
	if _, err := ReadIntrospection(t.TempDir()); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("empty dir: %v", err)
	}
	dir := introDir(t, "meson-1.0.1")
	bad := filepath.Join(dir, "meson-info", "intro-targets.json")
	if err := os.WriteFile(bad, []byte(`[{"name": 5}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadIntrospection(dir)
	var ie *IntroError
	if !errors.As(err, &ie) || ie.File != bad || ie.Field != "name" || ie.Offset == 0 {
		t.Errorf("type error: %#v", err)
	}
	if err := os.WriteFile(bad, []byte(`[{"name": "x"`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = ReadIntrospection(dir); !errors.As(err, &ie) || !strings.Contains(err.Error(), "intro-targets.json") {
		t.Errorf("syntax error: %v", err)
	}
	// A failed configuration is reported with meson's errors.
	info := filepath.Join(dir, "meson-info", "meson-info.json")
	if err := os.WriteFile(info, []byte(`{"meson_version": {"full": "1.0.1", "major": 1, "minor": 0, "patch": 1}, "error": true, "error_list": ["Dependency \"x\" not found"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = ReadIntrospection(dir); err == nil || !strings.Contains(err.Error(), `Dependency "x" not found`) {
		t.Errorf("failed configuration: %v", err)
	}
	// An information entry may not point outside meson-info.
	if err := os.WriteFile(info, []byte(`{"meson_version": {"full": "1.0.1", "major": 1}, "introspection": {"information": {"targets": {"file": "../../etc/passwd"}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = ReadIntrospection(dir); !errors.As(err, &ie) || ie.Field == "" {
		t.Errorf("path escape: %v", err)
	}
}

func FuzzParseInfo(f *testing.F) {
	for _, name := range []string{"meson-1.0.1", "meson-1.9"} {
		data, err := os.ReadFile(filepath.Join("testdata", "intro", name, "meson-info.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"meson_version": 1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseInfo(data)
		if err != nil {
			var ie *IntroError
			if !errors.As(err, &ie) || ie.File != "meson-info.json" {
				t.Fatalf("error is not an *IntroError naming the file: %v", err)
			}
			return
		}
		if info == nil {
			t.Fatal("nil info without error")
		}
	})
}

func FuzzParseIntro(f *testing.F) {
	kinds := []string{"targets", "buildoptions", "dependencies", "installed", "install_plan", "projectinfo", "tests", "benchmarks", "buildsystem_files", "machines"}
	for _, dir := range []string{"meson-1.0.1", "meson-1.9"} {
		for i, k := range kinds {
			data, err := os.ReadFile(filepath.Join("testdata", "intro", dir, "intro-"+k+".json"))
			if err == nil {
				f.Add(uint8(i), data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		var in Introspection
		err := in.ParseIntro(kinds[int(kind)%len(kinds)], data)
		if err != nil {
			var ie *IntroError
			if !errors.As(err, &ie) || !strings.HasPrefix(ie.File, "intro-") {
				t.Fatalf("error is not an *IntroError naming the file: %v", err)
			}
			if ie.Offset < 0 || ie.Offset > int64(len(data)) {
				t.Fatalf("offset %d outside input of %d bytes", ie.Offset, len(data))
			}
		}
		for _, o := range in.BuildOptions {
			_ = o.Text()
			o.Bool()
			o.Int()
			o.Strings()
		}
	})
}
