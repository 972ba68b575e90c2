package mesonbuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A colon in a prefix would split its bin and lib directories in PATH,
// LD_LIBRARY_PATH, PKG_CONFIG_PATH and the run path into two elements (one
// relative, searched in the current directory): the chain refuses it
// before running anything. Project names may hold colons, so a per-project
// prefix is checked too.
func TestChainRejectsColonPrefix(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "meson.build"), []byte("project('x', 'c')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	cases := map[string]*Chain{
		"chain prefix":       {WorkDir: work, Prefix: filepath.Join(work, "a:b"), Projects: []Project{{Name: "x", Source: src}}},
		"project prefix":     {WorkDir: work, Prefix: filepath.Join(work, "p"), Projects: []Project{{Name: "x", Source: src, Prefix: filepath.Join(work, "bin:lib")}}},
		"per-project prefix": {WorkDir: work, Prefix: filepath.Join(work, "p"), PrefixPerProject: true, Projects: []Project{{Name: "x:y", Source: src}}},
	}
	for name, c := range cases {
		c.Tools = &Tools{Meson: "/nonexistent/meson", Ninja: "/nonexistent/ninja"}
		_, err := c.Run(context.Background())
		if !errors.Is(err, ErrBadChain) {
			t.Errorf("%s: %v, want ErrBadChain", name, err)
		}
	}
}
