package mesonbuild

import (
	"os"
	"path/filepath"
	"testing"
)

// A source tree that moved (renamed directory, same contents) keeps its
// build directory: meson's build directory records the old source path,
// so the next run must configure it again for the new one and build.
func TestChainSourceMoved(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	root := t.TempDir()
	src := filepath.Join(root, "old place", "hello")
	writeFiles(t, src, map[string]string{
		"meson.build":       "project('hello', 'c')\nexecutable('hello', 'hello.c', c_args: ['-DWORD=' + get_option('word')], install: true)\n",
		"meson_options.txt": "option('word', type: 'string', value: 'one')\n",
		"hello.c":           "#include <stdio.h>\n#define S(x) #x\n#define STR(x) S(x)\nint main(void) { puts(STR(WORD)); return 0; }\n",
	})
	base := setupNeutralEnv()
	c := helloChain(root, tools, src, base)
	run := func() *Result { t.Helper(); return mustRun(t, c) }
	wantStatuses(t, run(), map[string]Status{"hello": StatusBuilt})
	moved := filepath.Join(root, "new place", "hello")
	if err := os.MkdirAll(filepath.Dir(moved), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(src, moved); err != nil {
		t.Fatal(err)
	}
	c.Projects[0].Source = moved
	res := run()
	wantStatuses(t, res, map[string]Status{"hello": StatusBuilt})
	// The moved tree is the one built from now on.
	editFile(t, filepath.Join(moved, "hello.c"), "puts(STR(WORD))", "puts(\"two\")")
	wantStatuses(t, run(), map[string]Status{"hello": StatusBuilt})
	if got := runProgram(t, base, filepath.Join(c.Prefix, "bin", "hello")); got != "two" {
		t.Errorf("program prints %q, want two", got)
	}
}

// A work directory that moved (with its build directories) must still
// build: meson's build directory records its own absolute path, which
// ninja uses to re-run meson after a meson.build changes.
func TestChainWorkDirMoved(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	root := t.TempDir()
	src := filepath.Join(root, "src", "hello")
	writeFiles(t, src, map[string]string{
		"meson.build": "project('hello', 'c')\nexecutable('hello', 'hello.c', install: true)\n",
		"hello.c":     "#include <stdio.h>\nint main(void) { puts(\"one\"); return 0; }\n",
	})
	base := setupNeutralEnv()
	c := helloChain(root, tools, src, base)
	run := func() *Result { t.Helper(); return mustRun(t, c) }
	wantStatuses(t, run(), map[string]Status{"hello": StatusBuilt})
	moved := filepath.Join(root, "moved work")
	if err := os.Rename(c.WorkDir, moved); err != nil {
		t.Fatal(err)
	}
	c.WorkDir = moved
	editFile(t, filepath.Join(src, "meson.build"), "executable('hello'", "executable('hello2'")
	wantStatuses(t, run(), map[string]Status{"hello": StatusBuilt})
	if got := runProgram(t, base, filepath.Join(c.Prefix, "bin", "hello2")); got != "one" {
		t.Errorf("program prints %q, want one", got)
	}
}
