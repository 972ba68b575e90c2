package mesonbuild

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Prefixes, work directories and project names with spaces, quotes and
// non-ASCII letters: the chain builds, the installed program runs through
// its run path (no LD_LIBRARY_PATH), the env script sets PATH so that a
// shell finds it, and a rerun does nothing.
func TestChainUnusualPaths(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	tmp := t.TempDir()
	root := filepath.Join(tmp, "it's a dir & é")
	lib := filepath.Join(root, "src", "lib one")
	app := filepath.Join(root, "src", "app 'two'")
	writeFiles(t, lib, map[string]string{
		"meson.build": "project('oddlib', 'c', version: '1.0')\n" +
			"l = library('oddlib', 'odd.c', install: true)\ninstall_headers('odd.h')\n" +
			"import('pkgconfig').generate(l, name: 'oddlib', description: 'hostkit test')\n",
		"odd.c": "int odd_value(void) { return 42; }\n",
		"odd.h": "int odd_value(void);\n",
	})
	writeFiles(t, app, map[string]string{
		"meson.build": "project('oddapp', 'c')\nexecutable('oddapp', 'app.c', dependencies: dependency('oddlib'), install: true)\n",
		"app.c":       "#include <stdio.h>\n#include <odd.h>\nint main(void) { printf(\"%d\\n\", odd_value()); return 0; }\n",
	})
	base := withoutEnv(os.Environ(), "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "LD_LIBRARY_PATH", "CC", "CFLAGS", "LDFLAGS")
	c := &Chain{
		WorkDir:          filepath.Join(root, "work dir"),
		Prefix:           filepath.Join(tmp, "pre fix & (x) $y"),
		PrefixPerProject: true,
		Runpath:          true,
		EnvScript:        filepath.Join(root, "env 'script'.sh"),
		Clangd:           filepath.Join(root, "clangd dir"),
		Projects: []Project{
			{Name: "lib one", Source: lib},
			{Name: "app 'two' é", Source: app, DependsOn: []string{"lib one"}},
		},
		Tools: tools,
		Env:   base,
	}
	run := func() *Result { t.Helper(); return mustRun(t, c) }
	res := run()
	wantStatuses(t, res, map[string]Status{"lib one": StatusBuilt, "app 'two' é": StatusBuilt})
	if res.CompileCommandEntries != 2 {
		t.Errorf("merged compile_commands.json has %d entries, want 2", res.CompileCommandEntries)
	}
	prog := filepath.Join(c.Prefix, "app 'two' é", "bin", "oddapp")
	if got := runProgram(t, base, prog); got != "42" {
		t.Errorf("%s prints %q, want 42", prog, got)
	}
	// A shell that sources the env script finds the program by name.
	cmd := exec.Command("sh", "-c", `. "$1" && oddapp`, "sh", c.EnvScript)
	cmd.Env = base
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "42" {
		t.Errorf("sourcing %s and running oddapp: %v, %q", c.EnvScript, err, out)
	}
	res = run()
	wantStatuses(t, res, map[string]Status{"lib one": StatusUpToDate, "app 'two' é": StatusUpToDate})
}

// pkgconf cannot read a .pc file whose prefix holds a quote, a backslash
// or a '#' (meson writes the path with spaces escaped, but pkgconf then
// prints no -I at all, or a truncated path, and exits 0), prints a tab as
// an unescaped space (two arguments), and escapes a non-ASCII character
// byte by byte, which meson 1.0 fails on ("Unhandled python
// exception"): the dependent would fail to configure or to compile. The
// chain refuses such a prefix of a project others depend on before
// running anything, naming it.
func TestChainRejectsPrefixPkgConfigCannotHold(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "meson.build"), []byte("project('x', 'c')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	for _, bad := range []string{"it's", `say "x"`, `back\slash`, "hash#tag", "café", "tab\there"} {
		cases := map[string]*Chain{
			"chain prefix": {WorkDir: work, Prefix: filepath.Join(work, bad),
				Projects: []Project{{Name: "x", Source: src}, {Name: "y", Source: src, DependsOn: []string{"x"}}}},
			"project prefix": {WorkDir: work, Prefix: filepath.Join(work, "p"),
				Projects: []Project{{Name: "x", Source: src, Prefix: filepath.Join(work, bad)}, {Name: "y", Source: src, DependsOn: []string{"x"}}}},
		}
		if !strings.Contains(bad, `\`) {
			cases["per-project prefix"] = &Chain{WorkDir: work, Prefix: filepath.Join(work, "p"), PrefixPerProject: true,
				Projects: []Project{{Name: bad, Source: src}, {Name: "y", Source: src, DependsOn: []string{bad}}}}
		}
		for name, c := range cases {
			c.Tools = &Tools{Meson: "/nonexistent/meson", Ninja: "/nonexistent/ninja"}
			_, err := c.Run(context.Background())
			if !errors.Is(err, ErrBadChain) || !strings.Contains(err.Error(), "pkg-config cannot read") {
				t.Errorf("%s %q: %v, want ErrBadChain saying pkg-config cannot read the prefix", name, bad, err)
			}
		}
	}
}

// Two projects configured into one build directory wipe each other's
// configuration on every run (never up to date), and their
// compile_commands.json would be merged twice: the chain refuses it.
func TestChainRejectsSharedBuildDir(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "meson.build"), []byte("project('x', 'c')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	c := &Chain{WorkDir: work, Prefix: filepath.Join(work, "p"), Projects: []Project{
		{Name: "a", Source: src, BuildDir: filepath.Join(work, "b")},
		{Name: "b", Source: src, BuildDir: filepath.Join(work, "b") + "/"},
	}, Tools: &Tools{Meson: "/nonexistent/meson", Ninja: "/nonexistent/ninja"}}
	_, err := c.Run(context.Background())
	if !errors.Is(err, ErrBadChain) || !strings.Contains(err.Error(), "build directory") {
		t.Errorf("two projects in one build directory: %v, want ErrBadChain", err)
	}
	// The default build directory of "b" named by hand for "a".
	c.Projects[0].BuildDir = ""
	c.Projects[1].BuildDir = filepath.Join(work, "build", "a")
	if _, err := c.Run(context.Background()); !errors.Is(err, ErrBadChain) {
		t.Errorf("a build directory that is another project's default: %v, want ErrBadChain", err)
	}
}
