package mesonbuild

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMergeCompileCommands(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	for _, d := range []string{a, b} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(a, "compile_commands.json"), []byte(`[
  {"directory": "`+a+`", "command": "cc -I. -o x.o -c ../src/x.c", "file": "../src/x.c", "output": "x.o"}]`), 0o644)
	os.WriteFile(filepath.Join(b, "compile_commands.json"), []byte(`[
  {"directory": ".", "arguments": ["cc", "-c", "y.c"], "file": "/abs/y.c"},
  {"directory": "`+b+`", "command": "cc -c z.c", "file": "z.c"}]`), 0o644)
	out := filepath.Join(root, "merged", "compile_commands.json")
	n, err := MergeCompileCommands(out, []string{a, b})
	if err != nil || n != 3 {
		t.Fatalf("%d, %v", n, err)
	}
	data, _ := os.ReadFile(out)
	cmds, err := ParseCompileCommands(out, data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "src", "x.c"), "/abs/y.c", filepath.Join(b, "z.c")}
	for i, c := range cmds {
		if c.File != want[i] || !filepath.IsAbs(c.Directory) {
			t.Errorf("entry %d: %+v, want file %s", i, c, want[i])
		}
	}
	if cmds[0].Output != filepath.Join(a, "x.o") || cmds[1].Directory != b {
		t.Errorf("paths: %+v", cmds)
	}
	if _, err := MergeCompileCommands(out, []string{filepath.Join(root, "missing")}); err == nil {
		t.Error("missing database merged")
	}
}

func TestParseCompileCommandsErrors(t *testing.T) {
	for _, tc := range []struct{ data, field string }{
		{`[{"file": "x.c", "command": "cc"}]`, "[0].directory"},
		{`[{"directory": "/", "command": "cc"}]`, "[0].file"},
		{`[{"directory": "/", "file": "x.c"}]`, "[0]"},
		{`{"directory": "/"}`, ""},
	} {
		_, err := ParseCompileCommands("db.json", []byte(tc.data))
		var ie *IntroError
		if !errors.As(err, &ie) || ie.File != "db.json" || ie.Field != tc.field {
			t.Errorf("%s: %v", tc.data, err)
		}
	}
}

func TestWriteClangdConfig(t *testing.T) {
	dir := t.TempDir()
	if err := WriteClangdConfig(dir, "/work/my db"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ".clangd"))
	if !strings.Contains(string(data), "CompilationDatabase: \"/work/my db\"") {
		t.Errorf(".clangd:\n%s", data)
	}
	// Rewriting our own file is fine; someone else's is left alone.
	if err := WriteClangdConfig(dir, "/other"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".clangd"), []byte("Diagnostics:\n"), 0o644)
	if err := WriteClangdConfig(dir, "/other"); err == nil {
		t.Error("replaced a .clangd it did not write")
	}
}

func FuzzParseCompileCommands(f *testing.F) {
	f.Add([]byte(`[{"directory": "/b", "command": "cc -c ../x.c", "file": "../x.c", "output": "x.o"}]`))
	f.Add([]byte(`[{"directory": "/b", "arguments": ["cc"], "file": "x.c"}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds, err := ParseCompileCommands("db", data)
		if err != nil {
			var ie *IntroError
			if !errors.As(err, &ie) {
				t.Fatalf("not an IntroError: %v", err)
			}
			return
		}
		for _, c := range cmds {
			a := c.Absolute("/base")
			if !filepath.IsAbs(a.Directory) || !filepath.IsAbs(a.File) || a.Output != "" && !filepath.IsAbs(a.Output) {
				t.Fatalf("not absolute: %+v", a)
			}
		}
	})
}
