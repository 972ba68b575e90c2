package mesonbuild

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeFiles writes name -> content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// setupNeutralEnv is the caller's environment without the variables that
// change meson's setup or the pkg-config search, so a test starts from a
// known setup whatever the machine sets.
func setupNeutralEnv() []string {
	return withoutEnv(os.Environ(), "CC", "CFLAGS", "LDFLAGS", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR")
}

// helloChain is a chain of one project, "hello" at src, working under root.
func helloChain(root string, tools *Tools, src string, env []string) *Chain {
	return &Chain{
		WorkDir:  filepath.Join(root, "work"),
		Prefix:   filepath.Join(root, "prefix"),
		Projects: []Project{{Name: "hello", Source: src}},
		Tools:    tools,
		Env:      env,
	}
}

// mustRun runs the chain with a 90 s bound and fails the test on an error.
func mustRun(t *testing.T, c *Chain) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := c.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// meson reads the compiler (CC), the compiler and linker flags (CFLAGS,
// LDFLAGS...) from the environment only when a build directory is
// configured from scratch. A rerun of the chain with a different CC must
// therefore rebuild the project from scratch with the new compiler, not
// report it up to date (or keep the old configuration).
func TestChainCompilerEnvironmentChangeRebuilds(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	root := t.TempDir()
	src := filepath.Join(root, "src dir", "hello")
	writeFiles(t, src, map[string]string{
		"meson.build": "project('hello', 'c')\nexecutable('hello', 'hello.c', install: true)\n",
		"hello.c":     "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
	})
	// A compiler wrapper that records each call, then runs the real cc.
	marker := filepath.Join(root, "wrapper-called")
	wrapper := filepath.Join(root, "cc-wrapper")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\necho called >> '"+marker+"'\nexec cc \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := setupNeutralEnv()
	c := helloChain(root, tools, src, base)
	run := func() *Result { t.Helper(); return mustRun(t, c) }
	wantStatuses(t, run(), map[string]Status{"hello": StatusBuilt})
	wantStatuses(t, run(), map[string]Status{"hello": StatusUpToDate})

	c.Env = append(base[:len(base):len(base)], "CC="+wrapper)
	res := run()
	wantStatuses(t, res, map[string]Status{"hello": StatusBuilt})
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("after changing CC the compiler was not used: %v (setup %v)", err, res.Project("hello").Setup)
	}
	if res.Project("hello").Setup != SetupWiped {
		t.Errorf("setup action %v, want wiped (meson reads CC only at a fresh setup)", res.Project("hello").Setup)
	}
	// The same CC again: nothing to do.
	wantStatuses(t, run(), map[string]Status{"hello": StatusUpToDate})

	// CFLAGS also only count at a fresh setup: a define changes the program.
	writeFiles(t, src, map[string]string{
		"hello.c": "#include <stdio.h>\n#ifdef CHANGED\n#define WORD \"changed\"\n#else\n#define WORD \"hi\"\n#endif\nint main(void) { puts(WORD); return 0; }\n",
	})
	wantStatuses(t, run(), map[string]Status{"hello": StatusBuilt})
	c.Env = append(c.Env[:len(c.Env):len(c.Env)], "CFLAGS=-DCHANGED")
	wantStatuses(t, run(), map[string]Status{"hello": StatusBuilt})
	out := runProgram(t, base, filepath.Join(c.Prefix, "bin", "hello"))
	if strings.TrimSpace(out) != "changed" {
		t.Errorf("installed program prints %q after CFLAGS changed, want %q", out, "changed")
	}
}
