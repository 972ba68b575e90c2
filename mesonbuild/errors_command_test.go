package mesonbuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A failed step's error must say which command failed, on its first line:
// when ninja re-runs meson (a meson.build changed) and meson fails, the
// step is reported as a setup failure, but the command that failed is
// ninja, not `meson setup`.
func TestStepErrorNamesCommand(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	root := t.TempDir()
	src := filepath.Join(root, "src")
	writeFiles(t, src, map[string]string{
		"meson.build": "project('x', 'c')\nexecutable('x', 'x.c')\n",
		"x.c":         "int main(void) { return 0; }\n",
	})
	b := &Build{Name: "x", SourceDir: src, BuildDir: filepath.Join(root, "build dir"), Tools: tools,
		Env: withoutEnv(os.Environ(), "CC", "CFLAGS", "LDFLAGS")}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := b.Setup(ctx, SetupConfig{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Compile(ctx); err != nil {
		t.Fatal(err)
	}
	editFile(t, filepath.Join(src, "meson.build"), "executable('x', 'x.c')", "executable('x', 'x.c'")
	_, err := b.Compile(ctx)
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("compile after breaking meson.build: %v, want a *StepError", err)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	if se.Step != StepSetup || !strings.Contains(first, shellJoin(se.Command)) || !strings.Contains(first, "ninja") {
		t.Errorf("step %s, command %q; the error's first line does not name the command that failed:\n%s", se.Step, se.Command, first)
	}

	// A meson command: `meson configure` with an unknown option.
	editFile(t, filepath.Join(src, "meson.build"), "executable('x', 'x.c'", "executable('x', 'x.c')")
	_, err = b.Setup(ctx, SetupConfig{Options: map[string]string{"no_such_option": "1"}})
	if !errors.As(err, &se) {
		t.Fatalf("setup with an unknown option: %v, want a *StepError", err)
	}
	first, _, _ = strings.Cut(err.Error(), "\n")
	if !strings.Contains(first, shellJoin(se.Command)) || !strings.Contains(first, "-Dno_such_option=1") {
		t.Errorf("the error's first line does not name the command that failed (%q):\n%s", se.Command, first)
	}
}
