package mesonbuild_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/hostkit-dev/hostkit/mesonbuild"
)

// Build wlroots into a prefix, then sway against it, with a merged
// compilation database for clangd and an env script for running sway.
func ExampleChain_Run() {
	chain := &mesonbuild.Chain{
		WorkDir:   "/home/me/work",
		Prefix:    "/home/me/prefix",
		BuildType: "debugoptimized",
		Runpath:   true, // installed sway finds the prefix's libwlroots
		EnvScript: "/home/me/prefix/env.sh",
		Clangd:    "/home/me/src",
		Projects: []mesonbuild.Project{
			{Name: "wlroots", Source: "/home/me/src/wlroots", Options: map[string]string{"examples": "false"}},
			{Name: "sway", Source: "/home/me/src/sway", DependsOn: []string{"wlroots"}},
		},
		Progress: func(p mesonbuild.Progress) {
			if p.Kind == mesonbuild.ProgressEdge {
				fmt.Printf("\r%s [%d/%d] %s", p.Project, p.Done, p.Total, p.Description)
			}
		},
	}
	res, err := chain.Run(context.Background())
	var se *mesonbuild.StepError
	if errors.As(err, &se) && se.Failure != nil && se.Failure.Dependency != "" {
		log.Fatalf("%s needs %s %s (found %q)", se.Project, se.Failure.Dependency, se.Failure.Wanted, se.Failure.Found)
	}
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range res.Projects {
		fmt.Println(p.Name, p.Status, p.Prefix)
	}
	for _, kv := range res.Env.Vars(os.Environ()) {
		fmt.Println(kv)
	}
}

// Drive one project step by step.
func ExampleBuild() {
	ctx := context.Background()
	tools, err := mesonbuild.FindTools(ctx)
	if err != nil {
		log.Fatal(err)
	}
	b := &mesonbuild.Build{Name: "wlroots", SourceDir: "src/wlroots", BuildDir: "build/wlroots", Tools: tools}
	cfg := mesonbuild.SetupConfig{
		Prefix:  "/home/me/prefix",
		Options: map[string]string{"debug": "true", "optimization": "2"},
	}
	if _, err := b.Setup(ctx, cfg); err != nil {
		log.Fatal(err)
	}
	if _, err := b.Compile(ctx); err != nil {
		log.Fatal(err) // a *StepError with the FAILED edge and compiler output
	}
	if err := b.Install(ctx, mesonbuild.InstallOptions{}); err != nil {
		log.Fatal(err)
	}
}

func ExampleMachineFile_Encode() {
	cross := &mesonbuild.MachineFile{
		Binaries:    map[string]any{"c": "aarch64-linux-gnu-gcc", "pkg-config": "aarch64-linux-gnu-pkg-config"},
		Properties:  map[string]any{"sys_root": "/srv/arm64-root"},
		HostMachine: &mesonbuild.HostMachine{System: "linux", CPUFamily: "aarch64", CPU: "aarch64", Endian: "little"},
	}
	text, err := cross.Encode()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(text))
	// Output:
	// # Written by hostkit mesonbuild from Go values; edits are overwritten.
	//
	// [binaries]
	// c = 'aarch64-linux-gnu-gcc'
	// pkg-config = 'aarch64-linux-gnu-pkg-config'
	//
	// [properties]
	// sys_root = '/srv/arm64-root'
	//
	// [host_machine]
	// system = 'linux'
	// cpu_family = 'aarch64'
	// cpu = 'aarch64'
	// endian = 'little'
}

func ExampleParseProgress() {
	done, total, desc, ok := mesonbuild.ParseProgress("[12/340] Compiling C object libwlroots.so.p/backend_backend.c.o")
	fmt.Println(done, total, desc, ok)
	// Output: 12 340 Compiling C object libwlroots.so.p/backend_backend.c.o true
}

func ExampleParseSetupLog() {
	f, _ := mesonbuild.ParseSetupLog([]byte(`Dependency wlroots found: NO found 0.17.4 but need: '>=0.19.0'
meson.build:40:10: ERROR: Dependency lookup for wlroots with method 'pkgconfig' failed: Invalid version, need 'wlroots' ['>=0.19.0'] found '0.17.4'.`))
	fmt.Printf("%s:%d: %s wanted %s, found %s\n", f.File, f.Line, f.Dependency, f.Wanted, f.Found)
	// Output: meson.build:40: wlroots wanted >=0.19.0, found 0.17.4
}

func ExampleRunEnv_Script() {
	env := mesonbuild.EnvFor([]mesonbuild.PrefixLayout{{
		Prefix:        "/home/me/prefix",
		BinDirs:       []string{"/home/me/prefix/bin"},
		LibDirs:       []string{"/home/me/prefix/lib/x86_64-linux-gnu"},
		PkgConfigDirs: []string{"/home/me/prefix/lib/x86_64-linux-gnu/pkgconfig"},
	}}, false)
	script, _ := env.Script()
	fmt.Print(string(script))
	// Output:
	// # Written by hostkit mesonbuild. Source it: . ./env.sh
	// PATH=/home/me/prefix/bin${PATH:+:$PATH}
	// export PATH
	// LD_LIBRARY_PATH=/home/me/prefix/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	// export LD_LIBRARY_PATH
	// PKG_CONFIG_PATH=/home/me/prefix/lib/x86_64-linux-gnu/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
	// export PKG_CONFIG_PATH
}
