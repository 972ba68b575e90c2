package mesonbuild

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// When a dependency installs a different .pc file, a dependent whose own
// configuration did not change must have meson's dependency cache cleared
// (meson 1.0 keeps the flags it found first). If that run is interrupted
// before the cache is cleared, the next run must still clear it: the
// dependent must not be rebuilt with the stale flags and reported built.
func TestChainCacheClearSurvivesInterruptedRun(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	root := t.TempDir()
	lib := filepath.Join(root, "src", "flaglib")
	app := filepath.Join(root, "src", "flagapp")
	writeFiles(t, lib, map[string]string{
		"meson.build": "project('flaglib', 'c', version: '1.0')\n" +
			"import('pkgconfig').generate(name: 'flaglib', description: 'hostkit test', version: '1.0',\n" +
			"  extra_cflags: ['-DLIBFLAG=' + get_option('flag').to_string()])\n",
		"meson_options.txt": "option('flag', type: 'integer', value: 1)\n",
	})
	writeFiles(t, app, map[string]string{
		"meson.build": "project('flagapp', 'c')\nexecutable('flagapp', 'app.c', dependencies: dependency('flaglib'), install: true)\n",
		"app.c":       "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", LIBFLAG); return 0; }\n",
	})
	base := setupNeutralEnv()
	c := &Chain{
		WorkDir: filepath.Join(root, "work"),
		Prefix:  filepath.Join(root, "prefix"),
		Projects: []Project{
			{Name: "flaglib", Source: lib, Options: map[string]string{"flag": "1"}},
			{Name: "flagapp", Source: app, DependsOn: []string{"flaglib"}},
		},
		Tools: tools,
		Env:   base,
	}
	prog := filepath.Join(c.Prefix, "bin", "flagapp")
	run := func(ctx context.Context) (*Result, error) {
		ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		return c.Run(ctx)
	}
	if _, err := run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := runProgram(t, base, prog); got != "1" {
		t.Fatalf("first build prints %q, want 1", got)
	}

	// The library's .pc changes; the run is cancelled when flagapp's
	// first step (clearing meson's cache) starts.
	c.Projects[0].Options = map[string]string{"flag": "2"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Progress = func(p Progress) {
		if p.Kind == ProgressStepStart && p.Project == "flagapp" {
			cancel()
		}
	}
	res, err := run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	wantStatuses(t, res, map[string]Status{"flaglib": StatusBuilt, "flagapp": StatusFailed})
	c.Progress = nil

	res, err = run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, res, map[string]Status{"flaglib": StatusUpToDate, "flagapp": StatusBuilt})
	if got := runProgram(t, base, prog); got != "2" {
		t.Errorf("after the interrupted run, the next run built flagapp with LIBFLAG=%s, want 2 (the new flaglib.pc)", got)
	}
	// And nothing left to do.
	res, err = run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, res, map[string]Status{"flaglib": StatusUpToDate, "flagapp": StatusUpToDate})
}

// A dependent whose own -D options change in the same run as its
// dependency's .pc file is reconfigured with `meson configure -D...`,
// which keeps meson's dependency cache: the cache must be cleared there
// too, or the program is built with the old .pc file's flags.
func TestChainCacheClearedWhenOptionsChangeToo(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	root := t.TempDir()
	lib := filepath.Join(root, "src", "flaglib")
	app := filepath.Join(root, "src", "flagapp")
	writeFiles(t, lib, map[string]string{
		"meson.build": "project('flaglib', 'c', version: '1.0')\n" +
			"import('pkgconfig').generate(name: 'flaglib', description: 'hostkit test', version: '1.0',\n" +
			"  extra_cflags: ['-DLIBFLAG=' + get_option('flag').to_string()])\n",
		"meson_options.txt": "option('flag', type: 'integer', value: 1)\n",
	})
	writeFiles(t, app, map[string]string{
		"meson.build": "project('flagapp', 'c')\nexecutable('flagapp', 'app.c', c_args: ['-DEXTRA=' + get_option('extra').to_string()],\n" +
			"  dependencies: dependency('flaglib'), install: true)\n",
		"meson_options.txt": "option('extra', type: 'integer', value: 0)\n",
		"app.c":             "#include <stdio.h>\nint main(void) { printf(\"%d %d\\n\", LIBFLAG, EXTRA); return 0; }\n",
	})
	base := setupNeutralEnv()
	c := &Chain{
		WorkDir: filepath.Join(root, "work"),
		Prefix:  filepath.Join(root, "prefix"),
		Projects: []Project{
			{Name: "flaglib", Source: lib, Options: map[string]string{"flag": "1"}},
			{Name: "flagapp", Source: app, Options: map[string]string{"extra": "0"}, DependsOn: []string{"flaglib"}},
		},
		Tools: tools,
		Env:   base,
	}
	prog := filepath.Join(c.Prefix, "bin", "flagapp")
	run := func() *Result { t.Helper(); return mustRun(t, c) }
	run()
	if got := runProgram(t, base, prog); got != "1 0" {
		t.Fatalf("first build prints %q, want \"1 0\"", got)
	}
	c.Projects[0].Options = map[string]string{"flag": "2"}
	c.Projects[1].Options = map[string]string{"extra": "5"}
	res := run()
	wantStatuses(t, res, map[string]Status{"flaglib": StatusBuilt, "flagapp": StatusBuilt})
	if got := runProgram(t, base, prog); got != "2 5" {
		t.Errorf("after changing flaglib's .pc and flagapp's option, flagapp prints %q, want \"2 5\" (setup %v)", got, res.Project("flagapp").Setup)
	}
}
