package mesonbuild

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func optionText(t *testing.T, buildDir, name string) string {
	t.Helper()
	opts, err := ReadBuildOptions(buildDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		if o.Name == name {
			return o.Text()
		}
	}
	t.Fatalf("no option %s", name)
	return ""
}

func TestBuildSetupReconfigureInstall(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	root := t.TempDir()
	src := filepath.Join(root, "libval")
	copyTree(t, "testdata/chain/libval-2", src)
	var edges []Progress
	b := &Build{Name: "libval", SourceDir: src, BuildDir: filepath.Join(root, "build"), Tools: tools,
		Progress: func(p Progress) {
			if p.Kind == ProgressEdge {
				edges = append(edges, p)
			}
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prefix := filepath.Join(root, "prefix")
	cfg := SetupConfig{Prefix: prefix, BuildType: "debug", Options: map[string]string{"c_args": "['-DHELLO=1']"}}
	if a, err := b.Setup(ctx, cfg); err != nil || a != SetupFresh {
		t.Fatalf("first setup: %v %v", a, err)
	}
	if a, err := b.Setup(ctx, cfg); err != nil || a != SetupUnchanged {
		t.Fatalf("same setup: %v %v", a, err)
	}

	if !tools.MesonVersion.AtLeast(1, 3, 0) {
		// The behaviour the driver works around: meson before 1.3 ignores
		// -D given to `meson setup` on a configured directory.
		out, err := exec.Command(tools.Meson, "setup", b.BuildDir, src, "-Dbuildtype=release").CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if got := optionText(t, b.BuildDir, "buildtype"); got != "debug" {
			t.Logf("this meson applied -D on a configured directory (buildtype %s)", got)
		}
	}

	cfg.BuildType = "release"
	cfg.Options = map[string]string{"c_args": "['-DHELLO=2', '-DX=a b']"}
	if a, err := b.Setup(ctx, cfg); err != nil || a != SetupReconfigured {
		t.Fatalf("changed setup: %v %v", a, err)
	}
	if got := optionText(t, b.BuildDir, "buildtype"); got != "release" {
		t.Errorf("buildtype %s after reconfiguring", got)
	}
	if got := optionText(t, b.BuildDir, "c_args"); got != `["-DHELLO=2", "-DX=a b"]` {
		t.Errorf("c_args %s after reconfiguring", got)
	}
	res, err := b.Compile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Edges == 0 || len(edges) == 0 || edges[len(edges)-1].Done != edges[len(edges)-1].Total {
		t.Errorf("compile %+v, progress %+v", res, edges)
	}
	if res, err := b.Compile(ctx); err != nil || !res.NoWork || res.Edges != 0 {
		t.Errorf("second compile %+v %v", res, err)
	}
	log, err := os.ReadFile(b.LogFile(StepCompile))
	if err != nil || !strings.Contains(string(log), "ninja: no work to do.") {
		t.Errorf("compile log: %v\n%s", err, log)
	}

	// A staged install puts the prefix under the destdir.
	dest := filepath.Join(root, "stage")
	if err := b.Install(ctx, InstallOptions{DestDir: dest}); err != nil {
		t.Fatal(err)
	}
	layout, err := ScanPrefix(filepath.Join(dest, prefix))
	if err != nil || len(layout.PkgConfigDirs) != 1 || len(layout.LibDirs) != 1 {
		t.Errorf("staged layout %+v %v", layout, err)
	}
	if _, err := os.Stat(prefix); !os.IsNotExist(err) {
		t.Errorf("staged install touched the prefix: %v", err)
	}
	if err := b.Install(ctx, InstallOptions{DestDir: "relative"}); err == nil {
		t.Error("relative destdir accepted")
	}

	// Removing an option wipes (meson cannot unset one).
	cfg.Options = nil
	if a, err := b.Setup(ctx, cfg); err != nil || a != SetupWiped {
		t.Fatalf("removed option: %v %v", a, err)
	}
	if got := optionText(t, b.BuildDir, "c_args"); got != "[]" {
		t.Errorf("c_args %s after wipe", got)
	}
	if _, err := os.Stat(b.LogFile(StepSetup)); err != nil {
		t.Errorf("the wipe removed the logs: %v", err)
	}

	// Test runs meson test.
	if err := b.Test(ctx); err != nil {
		t.Fatal(err)
	}

	// Cancelling stops a step with the context's error.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := b.Compile(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled compile: %v", err)
	}
	// A relative prefix is refused before meson runs.
	if _, err := b.Setup(ctx, SetupConfig{Prefix: "rel"}); err == nil {
		t.Error("relative prefix accepted")
	}
}

func TestBuildPkgConfigProgramAndLibDir(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	pkgconf := testenv.RequireTool(t, "pkgconf")
	root := t.TempDir()
	copyTree(t, "testdata/chain", filepath.Join(root, "src"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	sysPrefix := filepath.Join(root, "sys")
	lib := &Build{Name: "libval-1", SourceDir: filepath.Join(root, "src", "libval-1"), BuildDir: filepath.Join(root, "b1"), Tools: tools}
	if _, err := lib.Setup(ctx, SetupConfig{Prefix: sysPrefix}); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Compile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lib.Install(ctx, InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	layout, _ := ScanPrefix(sysPrefix)

	// A pkg-config wrapper that records how meson calls it.
	calls := filepath.Join(root, "calls.log")
	wrapper := filepath.Join(root, "my-pkg-config")
	script := "#!/bin/sh\necho \"LIBDIR=$PKG_CONFIG_LIBDIR ARGS=$*\" >> '" + calls + "'\nexec '" + pkgconf + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	app := &Build{Name: "appval", SourceDir: filepath.Join(root, "src", "appval"), BuildDir: filepath.Join(root, "b2"), Tools: tools,
		Env: append(os.Environ(), "PKG_CONFIG_PATH=/nonexistent/should-be-dropped")}
	if _, err := app.Setup(ctx, SetupConfig{Prefix: filepath.Join(root, "p2"), PkgConfig: wrapper, PkgConfigLibDir: layout.PkgConfigDirs}); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(calls)
	if err != nil {
		t.Fatalf("meson did not run the chosen pkg-config: %v", err)
	}
	if !strings.Contains(string(log), "LIBDIR="+layout.PkgConfigDirs[0]+" ") || !strings.Contains(string(log), "libval") {
		t.Errorf("wrapper calls:\n%s", log)
	}
	in, err := ReadIntrospection(app.BuildDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range in.Dependencies {
		if d.Name == "libval" && !strings.Contains(strings.Join(d.CompileArgs, " "), sysPrefix) {
			t.Errorf("libval %+v is not from %s", d, sysPrefix)
		}
	}
	native, _ := os.ReadFile(filepath.Join(app.StateDir(), "native.ini"))
	if !strings.Contains(string(native), "pkg_config_libdir = ['"+layout.PkgConfigDirs[0]+"']") {
		t.Errorf("native file:\n%s", native)
	}
}

// A cross file written from Go values is handed to meson (here a "cross"
// build for the machine's own architecture, so the native gcc serves),
// and changing it wipes the build directory.
func TestBuildCrossFile(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	cc := testenv.RequireTool(t, "cc")
	root := t.TempDir()
	src := filepath.Join(root, "libval")
	copyTree(t, "testdata/chain/libval-2", src)
	b := &Build{Name: "libval", SourceDir: src, BuildDir: filepath.Join(root, "build"), Tools: tools}
	cross := &MachineFile{
		Binaries:    map[string]any{"c": cc, "ar": "ar", "strip": "strip"},
		Properties:  map[string]any{"needs_exe_wrapper": false},
		HostMachine: &HostMachine{System: "linux", CPUFamily: "x86_64", CPU: "x86_64", Endian: "little"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := SetupConfig{Prefix: filepath.Join(root, "prefix"), Cross: cross}
	if a, err := b.Setup(ctx, cfg); err != nil || a != SetupFresh {
		t.Fatalf("%v %v", a, err)
	}
	log, _ := os.ReadFile(b.LogFile(StepSetup))
	if !strings.Contains(string(log), "Build type: cross build") || !strings.Contains(string(log), "--cross-file") {
		t.Errorf("meson did not take the cross file:\n%s", log)
	}
	cross.Properties["needs_exe_wrapper"] = true
	if a, err := b.Setup(ctx, cfg); err != nil || a != SetupWiped {
		t.Fatalf("changed cross file: %v %v", a, err)
	}
	if _, err := b.Compile(ctx); err != nil {
		t.Fatal(err)
	}
}
