package mesonbuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// `meson install --only-changed` keeps an installed file whose time is
// not older than the built one. A killed install leaves the file it was
// copying truncated, with the current time (meson copies the data, then
// the times): the next install must not trust those times, or the broken
// file stays installed for good and the project is reported built.
func TestChainInstallAfterInterruptedInstall(t *testing.T) {
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
	run := func(ctx context.Context) (*Result, error) {
		ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		return c.Run(ctx)
	}
	if _, err := run(context.Background()); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(c.Prefix, "bin", "hello")
	if got := runProgram(t, base, prog); got != "one" {
		t.Fatalf("first build prints %q", got)
	}

	// A change, then an install that is killed (the run is cancelled as
	// the install step starts), leaving the program half copied.
	editFile(t, filepath.Join(src, "hello.c"), `"one"`, `"two"`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Progress = func(p Progress) {
		if p.Kind == ProgressStepStart && p.Step == StepInstall {
			cancel()
		}
	}
	if _, err := run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	c.Progress = nil
	if err := os.Truncate(prog, 100); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := os.Chtimes(prog, now, now); err != nil {
		t.Fatal(err)
	}

	res, err := run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, res, map[string]Status{"hello": StatusBuilt})
	info, err := os.Stat(prog)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() == 100 {
		t.Fatalf("the truncated %s was kept by the install after the interrupted one", prog)
	}
	if got := runProgram(t, base, prog); got != "two" {
		t.Errorf("installed program prints %q, want two", got)
	}
	// Later installs go back to copying only what changed.
	res, err = run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, res, map[string]Status{"hello": StatusUpToDate})
}
