package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

const mesonProject = `project('pcdemo', 'c', version: '1.0')
zlib = dependency('zlib', version: '>=1.2')
glib = dependency('glib-2.0', version: '>=2.50')
gio = dependency('gio-2.0', static: true)
wl = dependency('wayland-server', required: false)
missing = dependency('no-such-module-here', required: false)
prefix = glib.get_variable(pkgconfig: 'prefix')
executable('pcdemo', 'main.c', dependencies: [zlib, glib])
summary({'glib prefix': prefix, 'wayland': wl.found(), 'missing': missing.found()})
`

const mesonMain = `#include <glib.h>
#include <zlib.h>
int main(void) { g_print("%s %s\n", zlibVersion(), GLIB_MAJOR_VERSION >= 2 ? "ok" : "old"); return 0; }
`

// TestMesonUsesOurCommand configures (and builds) a real meson project
// twice, once with PKG_CONFIG pointing at the system pkgconf and once at
// this command built with go build, and compares what meson recorded
// about each dependency.
func TestMesonUsesOurCommand(t *testing.T) {
	meson := testenv.RequireTool(t, "meson")
	ninja := testenv.RequireTool(t, "ninja")
	pkgconf := testenv.RequireTool(t, "pkgconf")
	testenv.RequireTool(t, "cc")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	tmp := t.TempDir()
	ours := filepath.Join(tmp, "bin", "pkgconf")
	build := exec.CommandContext(ctx, "go", "build", "-o", ours, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	src := filepath.Join(tmp, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "meson.build"), []byte(mesonProject), 0o644)
	os.WriteFile(filepath.Join(src, "main.c"), []byte(mesonMain), 0o644)

	configure := func(name, pc string) map[string]any {
		bdir := filepath.Join(tmp, "build-"+name)
		cmd := exec.CommandContext(ctx, meson, "setup", bdir, src)
		cmd.Env = append(cleanEnv(), "PKG_CONFIG="+pc)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("meson setup with %s: %v\n%s", name, err, out)
		}
		nj := exec.CommandContext(ctx, ninja, "-C", bdir)
		nj.Env = cmd.Env
		if out, err := nj.CombinedOutput(); err != nil {
			t.Fatalf("ninja with %s: %v\n%s", name, err, out)
		}
		run := exec.CommandContext(ctx, filepath.Join(bdir, "pcdemo"))
		if out, err := run.CombinedOutput(); err != nil {
			t.Fatalf("built program with %s: %v\n%s", name, err, out)
		}
		raw, err := os.ReadFile(filepath.Join(bdir, "meson-info", "intro-dependencies.json"))
		if err != nil {
			t.Fatal(err)
		}
		var deps []map[string]any
		if err := json.Unmarshal(raw, &deps); err != nil {
			t.Fatal(err)
		}
		byName := map[string]any{}
		for _, d := range deps {
			byName[d["name"].(string)] = d
		}
		log, _ := os.ReadFile(filepath.Join(bdir, "meson-logs", "meson-log.txt"))
		if name == "ours" && !containsBytes(log, ours) {
			t.Errorf("meson log does not mention %s: it did not use our command", ours)
		}
		return byName
	}
	want := configure("pkgconf", pkgconf)
	got := configure("ours", ours)
	if len(want) < 3 {
		t.Fatalf("meson found only %d dependencies with pkgconf: %v", len(want), want)
	}
	glib, _ := want["glib-2.0"].(map[string]any)
	if args, _ := glib["compile_args"].([]any); len(args) == 0 {
		t.Fatalf("meson recorded no compile args for glib-2.0: %v", glib)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("meson's dependencies differ (-pkgconf +ours):\n%s", d)
	}
}

func containsBytes(b []byte, s string) bool { return s != "" && bytes.Contains(b, []byte(s)) }
