package mesonbuild

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// requireMeson returns the real meson and ninja, or marks the test
// unavailable.
func requireMeson(t *testing.T) *Tools {
	t.Helper()
	testenv.RequireLinux(t)
	testenv.RequireTool(t, "meson")
	testenv.RequireTool(t, "ninja")
	testenv.RequireTool(t, "pkgconf")
	testenv.RequireTool(t, "cc")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tools, err := FindTools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tools
}

// copyTree copies a fixture directory (regular files only).
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// editFile replaces old with new in a file, failing if old is absent.
func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	// Keep modification times moving even on coarse clocks.
	time.Sleep(10 * time.Millisecond)
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runProgram(t *testing.T, env []string, prog string) string {
	t.Helper()
	cmd := exec.Command(prog)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", prog, err, out)
	}
	return strings.TrimSpace(string(out))
}

// chainFixture is a three-project chain (libval 2.0 -> appval -> apptool)
// built once into a prefix, with libval 1.0 installed into a "system"
// prefix that is on PKG_CONFIG_PATH, as a distribution's older -dev
// package would be.
type chainFixture struct {
	tools     *Tools
	root      string
	src       string // copies of testdata/chain
	sysPrefix string
	baseEnv   []string
	chain     *Chain
	events    *eventLog
}

type eventLog struct {
	mu     sync.Mutex
	events []Progress
}

func (l *eventLog) add(p Progress) {
	l.mu.Lock()
	l.events = append(l.events, p)
	l.mu.Unlock()
}

func (l *eventLog) take() []Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.events
	l.events = nil
	return e
}

func newChainFixture(t *testing.T, tools *Tools) *chainFixture {
	t.Helper()
	root := t.TempDir()
	f := &chainFixture{tools: tools, root: root, src: filepath.Join(root, "src"), sysPrefix: filepath.Join(root, "sys"), events: &eventLog{}}
	copyTree(t, "testdata/chain", f.src)

	// The "system" libval 1.0, installed with the driver directly.
	ctx := context.Background()
	sys := &Build{Name: "libval-1", SourceDir: filepath.Join(f.src, "libval-1"), BuildDir: filepath.Join(root, "sysbuild"), Tools: tools,
		Env: withoutEnv(os.Environ(), "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR")}
	if _, err := sys.Setup(ctx, SetupConfig{Prefix: f.sysPrefix, BuildType: "release"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Compile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sys.Install(ctx, InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	layout, err := ScanPrefix(f.sysPrefix)
	if err != nil || len(layout.PkgConfigDirs) != 1 {
		t.Fatalf("system prefix layout %+v, %v", layout, err)
	}
	f.baseEnv = setEnv(withoutEnv(os.Environ(), "PKG_CONFIG_LIBDIR", "LD_LIBRARY_PATH"), "PKG_CONFIG_PATH", layout.PkgConfigDirs[0])

	f.chain = &Chain{
		WorkDir: filepath.Join(root, "work"),
		Prefix:  filepath.Join(root, "prefix"),
		Projects: []Project{
			{Name: "apptool", Source: filepath.Join(f.src, "apptool"), DependsOn: []string{"appval"}},
			{Name: "libval", Source: filepath.Join(f.src, "libval-2"), Test: false},
			{Name: "appval", Source: filepath.Join(f.src, "appval"), DependsOn: []string{"libval"}, Options: map[string]string{"scale": "10"}},
		},
		Clangd:    filepath.Join(root, "clangd"),
		EnvScript: filepath.Join(root, "env.sh"),
		Tools:     tools,
		Env:       f.baseEnv,
		Progress:  f.events.add,
	}
	return f
}

func (f *chainFixture) run(t *testing.T) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return f.chain.Run(ctx)
}

func statuses(res *Result) map[string]Status {
	m := map[string]Status{}
	for _, p := range res.Projects {
		m[p.Name] = p.Status
	}
	return m
}

func wantStatuses(t *testing.T, res *Result, want map[string]Status) {
	t.Helper()
	got := statuses(res)
	for n, w := range want {
		if got[n] != w {
			t.Errorf("project %s: status %v, want %v (all: %v)", n, got[n], w, got)
		}
	}
}

func TestChainIntegration(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	f := newChainFixture(t, tools)

	res, err := f.run(t)
	if err != nil {
		t.Fatalf("first build: %v", err)
	}
	t.Run("BuildOrderAndPrefixLibrary", func(t *testing.T) {
		var order []string
		for _, p := range res.Projects {
			order = append(order, p.Name)
		}
		if strings.Join(order, ",") != "libval,appval,apptool" {
			t.Errorf("order %v", order)
		}
		wantStatuses(t, res, map[string]Status{"libval": StatusBuilt, "appval": StatusBuilt, "apptool": StatusBuilt})
		env := res.Env.Apply(f.baseEnv)
		got := runProgram(t, env, filepath.Join(f.chain.Prefix, "bin", "valprint"))
		// 42 and 2.0.0 come from the prefix's libval; the system one says 1 and 1.0.0.
		if got != "libval=42 version=2.0.0" {
			t.Errorf("valprint printed %q", got)
		}
		got = runProgram(t, env, filepath.Join(f.chain.Prefix, "bin", "apptool"))
		if got != "apptool: appval=420 (libval 2.0.0)" {
			t.Errorf("apptool printed %q", got)
		}
	})
	t.Run("ProgressReported", func(t *testing.T) {
		var edges, starts, done int
		for _, e := range f.events.take() {
			switch e.Kind {
			case ProgressEdge:
				edges++
				if e.Done < 1 || e.Done > e.Total || e.Project == "" {
					t.Errorf("bad edge event %+v", e)
				}
			case ProgressStepStart:
				starts++
			case ProgressProjectDone:
				done++
			}
		}
		if edges == 0 || starts < 9 || done != 3 {
			t.Errorf("events: %d edges, %d step starts, %d done", edges, starts, done)
		}
	})
	t.Run("EnvFromRealLayout", func(t *testing.T) {
		libdir := filepath.Join(f.chain.Prefix, DefaultLibdir(context.Background()))
		if !slices.Contains(res.Env.LibraryPath, libdir) {
			t.Errorf("LD_LIBRARY_PATH dirs %v lack %s", res.Env.LibraryPath, libdir)
		}
		if !slices.Contains(res.Env.PkgConfigPath, filepath.Join(libdir, "pkgconfig")) {
			t.Errorf("PKG_CONFIG_PATH dirs %v lack %s/pkgconfig", res.Env.PkgConfigPath, libdir)
		}
		// The env script, sourced by a real shell, gives the same programs.
		out, err := exec.Command("sh", "-c", ". "+f.chain.EnvScript+" && valprint").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "libval=42 version=2.0.0" {
			t.Errorf("env script: %v: %s", err, out)
		}
	})
	t.Run("RuntimeLinkingWithoutRunpath", func(t *testing.T) {
		reps := res.CheckLinking(context.Background(), nil, f.baseEnv)
		if len(reps) != 2 {
			t.Fatalf("%d programs reported, want valprint and apptool: %+v", len(reps), reps)
		}
		for _, r := range reps {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if r.OK() || !slices.ContainsFunc(r.Missing, func(s string) bool { return strings.HasPrefix(s, "libappval.so") }) {
				t.Errorf("%s: without a RUNPATH libappval should be missing: %+v", r.Program, r)
			}
		}
	})
	t.Run("CompileCommandsMerged", func(t *testing.T) {
		data, err := os.ReadFile(res.CompileCommands)
		if err != nil {
			t.Fatal(err)
		}
		cmds, err := ParseCompileCommands(res.CompileCommands, data)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, c := range cmds {
			if !filepath.IsAbs(c.Directory) || !filepath.IsAbs(c.File) {
				t.Errorf("relative path in %+v", c)
			}
			if _, err := os.Stat(c.File); err != nil {
				t.Errorf("entry names a missing file: %v", err)
			}
			seen[filepath.Base(filepath.Dir(c.File))] = true
		}
		for _, p := range []string{"libval-2", "appval", "apptool"} {
			if !seen[p] {
				t.Errorf("no entry for project %s in %d entries", p, len(cmds))
			}
		}
		if res.CompileCommandEntries != len(cmds) {
			t.Errorf("reported %d entries, file has %d", res.CompileCommandEntries, len(cmds))
		}
	})
	t.Run("NoOpRerun", func(t *testing.T) {
		res, err := f.run(t)
		if err != nil {
			t.Fatal(err)
		}
		wantStatuses(t, res, map[string]Status{"libval": StatusUpToDate, "appval": StatusUpToDate, "apptool": StatusUpToDate})
		for _, e := range f.events.take() {
			if e.Kind == ProgressStepStart {
				t.Errorf("a no-op rerun ran %s of %s", e.Step, e.Project)
			}
		}
	})
	t.Run("SourceChangeRebuildsDependentsOnly", func(t *testing.T) {
		editFile(t, filepath.Join(f.src, "appval", "valprint.c"), `"libval=%d`, `"libval=%d `)
		res, err := f.run(t)
		if err != nil {
			t.Fatal(err)
		}
		wantStatuses(t, res, map[string]Status{"libval": StatusUpToDate, "appval": StatusBuilt, "apptool": StatusBuilt})
		if c := res.Project("appval").Compile; c.Edges == 0 {
			t.Errorf("appval compiled nothing: %+v", c)
		}
		if s := res.Project("appval").Setup; s != SetupUnchanged {
			t.Errorf("appval setup %v, want unchanged", s)
		}
		// apptool's sources did not change; ninja has nothing to recompile.
		if c := res.Project("apptool").Compile; c.Edges != 0 {
			t.Errorf("apptool recompiled: %+v", c)
		}
		got := runProgram(t, res.Env.Apply(f.baseEnv), filepath.Join(f.chain.Prefix, "bin", "valprint"))
		if got != "libval=42  version=2.0.0" {
			t.Errorf("valprint printed %q after the change", got)
		}
	})
	t.Run("OptionChangeAppliedOnConfiguredDir", func(t *testing.T) {
		f.chain.Projects[2].Options = map[string]string{"scale": "3"}
		res, err := f.run(t)
		if err != nil {
			t.Fatal(err)
		}
		if s := res.Project("appval").Setup; s != SetupReconfigured {
			t.Errorf("appval setup %v, want reconfigured", s)
		}
		opts, err := ReadBuildOptions(res.Project("appval").BuildDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range opts {
			if o.Name == "scale" {
				if n, _ := o.Int(); n != 3 {
					t.Errorf("scale is %s after reconfiguring", o.Value)
				}
			}
		}
		got := runProgram(t, res.Env.Apply(f.baseEnv), filepath.Join(f.chain.Prefix, "bin", "apptool"))
		if got != "apptool: appval=126 (libval 2.0.0)" {
			t.Errorf("apptool printed %q", got)
		}
	})
	t.Run("CompileErrorThenFix", func(t *testing.T) {
		src := filepath.Join(f.src, "appval", "appval.c")
		editFile(t, src, "return val_get() * SCALE;", "return val_get() * SCALE")
		res, err := f.run(t)
		var se *StepError
		if !errors.As(err, &se) || se.Project != "appval" || se.Step != StepCompile {
			t.Fatalf("want a compile error of appval, got %v", err)
		}
		t.Logf("compile error:\n%v", err)
		if !strings.Contains(err.Error(), "appval.c") || !strings.Contains(strings.Join(se.Lines, "\n"), "error:") {
			t.Errorf("error lacks the compiler's lines: %v", err)
		}
		wantStatuses(t, res, map[string]Status{"libval": StatusUpToDate, "appval": StatusFailed, "apptool": StatusSkipped})
		if !errors.Is(res.Project("apptool").Err, ErrDependencyFailed) {
			t.Errorf("apptool: %v", res.Project("apptool").Err)
		}
		editFile(t, src, "return val_get() * SCALE", "return val_get() * SCALE;")
		res, err = f.run(t)
		if err != nil {
			t.Fatal(err)
		}
		wantStatuses(t, res, map[string]Status{"libval": StatusUpToDate, "appval": StatusBuilt, "apptool": StatusBuilt})
	})
	t.Run("MissingDependencyThenFix", func(t *testing.T) {
		mb := filepath.Join(f.src, "appval", "meson.build")
		editFile(t, mb, "dependency('libval')", "dependency('libval', version: '>=9.0')")
		res, err := f.run(t)
		var se *StepError
		if !errors.As(err, &se) || se.Project != "appval" || (se.Step != StepSetup && se.Step != StepCompile) {
			t.Fatalf("want a setup error of appval, got %v", err)
		}
		t.Logf("missing dependency error:\n%v", err)
		if se.Failure == nil || se.Failure.Dependency != "libval" || se.Failure.Wanted != ">=9.0" || se.Failure.Found != "2.0.0" {
			t.Errorf("failure %+v, want libval >=9.0 found 2.0.0; error: %v", se.Failure, err)
		}
		for _, want := range []string{`"appval"`, "libval", ">=9.0", "2.0.0"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if len(se.Lines) == 0 {
			t.Errorf("no log lines in %v", err)
		}
		wantStatuses(t, res, map[string]Status{"libval": StatusUpToDate, "appval": StatusFailed, "apptool": StatusSkipped})
		editFile(t, mb, "dependency('libval', version: '>=9.0')", "dependency('libval')")
		res, err = f.run(t)
		if err != nil {
			t.Fatal(err)
		}
		wantStatuses(t, res, map[string]Status{"libval": StatusUpToDate, "appval": StatusBuilt, "apptool": StatusBuilt})
	})
	t.Run("BadOptionThenFix", func(t *testing.T) {
		f.chain.Projects[2].Options = map[string]string{"scale": "3", "no_such_option": "1"}
		res, err := f.run(t)
		var se *StepError
		if !errors.As(err, &se) || se.Project != "appval" || (se.Step != StepConfigure && se.Step != StepSetup) {
			t.Fatalf("want a configure error of appval, got %v", err)
		}
		t.Logf("bad option error:\n%v", err)
		if !strings.Contains(err.Error(), "no_such_option") {
			t.Errorf("error does not name the option: %v", err)
		}
		wantStatuses(t, res, map[string]Status{"libval": StatusUpToDate, "appval": StatusFailed, "apptool": StatusSkipped})
		f.chain.Projects[2].Options = map[string]string{"scale": "3"}
		res, err = f.run(t)
		if err != nil {
			t.Fatal(err)
		}
		// appval is rebuilt (its record was dropped when configure
		// failed) from the same sources and options as apptool was last
		// built against, so apptool's stamp still matches.
		wantStatuses(t, res, map[string]Status{"libval": StatusUpToDate, "appval": StatusBuilt, "apptool": StatusUpToDate})
		got := runProgram(t, res.Env.Apply(f.baseEnv), filepath.Join(f.chain.Prefix, "bin", "apptool"))
		if got != "apptool: appval=126 (libval 2.0.0)" {
			t.Errorf("apptool printed %q", got)
		}
	})
	t.Run("DependencyVersionChangeClearsMesonCache", func(t *testing.T) {
		// libval's new .pc says 2.1.0; meson in appval would keep the
		// cached 2.0.0 without the driver clearing its cache.
		editFile(t, filepath.Join(f.src, "libval-2", "meson.build"), "version: '2.0.0'", "version: '2.1.0'")
		res, err := f.run(t)
		if err != nil {
			t.Fatal(err)
		}
		wantStatuses(t, res, map[string]Status{"libval": StatusBuilt, "appval": StatusBuilt, "apptool": StatusBuilt})
		in, err := ReadIntrospection(res.Project("appval").BuildDir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range in.Dependencies {
			got = append(got, d.Name+"="+d.Version)
			if d.Name == "libval" && d.Version != "" && d.Version != "2.1.0" {
				t.Errorf("appval still sees libval %s", d.Version)
			}
		}
		log, err := os.ReadFile(filepath.Join(res.Project("appval").BuildDir, "meson-logs", "meson-log.txt"))
		if err != nil || !strings.Contains(string(log), "libval found: YES 2.1.0") || strings.Contains(string(log), "(cached)") {
			t.Errorf("meson log does not show a fresh lookup of libval 2.1.0 (dependencies %v)", got)
		}
	})
	t.Run("RunpathMakesProgramsRunWithoutEnv", func(t *testing.T) {
		f.chain.Runpath = true
		defer func() { f.chain.Runpath = false }()
		res, err := f.run(t)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Projects {
			if p.Setup != SetupWiped {
				t.Errorf("%s: setup %v, want wiped (link arguments changed)", p.Name, p.Setup)
			}
		}
		for _, r := range res.CheckLinking(context.Background(), nil, f.baseEnv) {
			if !r.OK() {
				t.Errorf("%s does not resolve from the prefix: %+v", r.Program, r)
			}
		}
		got := runProgram(t, withoutEnv(f.baseEnv, "LD_LIBRARY_PATH"), filepath.Join(f.chain.Prefix, "bin", "apptool"))
		if got != "apptool: appval=126 (libval 2.0.0)" {
			t.Errorf("apptool printed %q", got)
		}
	})
	t.Run("IntrospectionOfRealBuild", func(t *testing.T) {
		in, err := ReadIntrospection(res.Project("appval").BuildDir)
		if err != nil {
			t.Fatal(err)
		}
		if in.Info.MesonVersion.Full != tools.MesonVersion.Raw {
			t.Errorf("meson-info says %q, meson --version %q", in.Info.MesonVersion.Full, tools.MesonVersion.Raw)
		}
		if in.ProjectInfo == nil || in.ProjectInfo.DescriptiveName != "appval" || in.ProjectInfo.Version != "0.3.0" {
			t.Errorf("projectinfo %+v", in.ProjectInfo)
		}
		var names []string
		for _, tg := range in.Targets {
			names = append(names, tg.Name+":"+tg.Type)
		}
		slices.Sort(names)
		if strings.Join(names, " ") != "appval:shared library valprint:executable" {
			t.Errorf("targets %v", names)
		}
		found := false
		for _, d := range in.Dependencies {
			if d.Name == "libval" {
				found = true
				if d.Version != "2.1.0" { // changed by DependencyVersionChangeClearsMesonCache
					t.Errorf("libval dependency version %q", d.Version)
				}
				if !slices.ContainsFunc(d.CompileArgs, func(a string) bool { return strings.HasPrefix(a, "-I"+f.chain.Prefix) }) {
					t.Errorf("libval compile args %v do not point into the prefix", d.CompileArgs)
				}
			}
		}
		if !found {
			t.Errorf("dependencies %+v lack libval", in.Dependencies)
		}
		if o, ok := in.Option("prefix"); !ok || o.Text() != f.chain.Prefix {
			t.Errorf("prefix option %+v", o)
		}
		if len(in.Installed) == 0 || len(in.BuildsystemFiles) == 0 {
			t.Errorf("installed %v, buildsystem files %v", in.Installed, in.BuildsystemFiles)
		}
		// The raw files must also round-trip through encoding/json unchanged in meaning.
		raw, _ := os.ReadFile(filepath.Join(res.Project("appval").BuildDir, "meson-info", "intro-targets.json"))
		var generic []map[string]any
		if err := json.Unmarshal(raw, &generic); err != nil || len(generic) != len(in.Targets) {
			t.Errorf("generic decode: %v (%d vs %d)", err, len(generic), len(in.Targets))
		}
	})
}

// One prefix per project, and the prefixes' .pc directories as the whole
// pkg-config search path: the "system" libval 1.0 on PKG_CONFIG_PATH is
// not even seen.
func TestChainPrefixPerProjectReplacingPath(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	f := newChainFixture(t, tools)
	f.chain.PrefixPerProject = true
	f.chain.ReplacePkgConfigPath = true
	// Files the chain writes inside source trees must not make it
	// rebuild: the merged database in a project's source directory, the
	// .clangd files, the env script.
	f.chain.Clangd = filepath.Join(f.src, "libval-2")
	f.chain.ClangdSourceConfig = true
	f.chain.EnvScript = filepath.Join(f.src, "appval", "env.sh")
	f.chain.Projects = f.chain.Projects[1:] // libval, appval
	f.chain.Projects[1].Test = true
	res, err := f.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, res, map[string]Status{"libval": StatusBuilt, "appval": StatusBuilt})
	testLog, err := os.ReadFile(filepath.Join(res.Project("appval").BuildDir, StateDirName, "test.log"))
	if err != nil || !strings.Contains(string(testLog), "valprint runs") || !strings.Contains(string(testLog), "Ok:") {
		t.Errorf("meson test did not run appval's test: %v\n%s", err, testLog)
	}
	for _, p := range res.Projects {
		if p.Prefix != filepath.Join(f.chain.Prefix, p.Name) {
			t.Errorf("%s prefix %s", p.Name, p.Prefix)
		}
	}
	if len(res.Env.LibraryPath) != 2 || len(res.Env.PkgConfigLibDir) != 2 || len(res.Env.PkgConfigPath) != 0 {
		t.Errorf("env %+v", res.Env)
	}
	native, err := os.ReadFile(filepath.Join(res.Project("appval").BuildDir, StateDirName, "native.ini"))
	if err != nil || !strings.Contains(string(native), "pkg_config_libdir = ['"+filepath.Join(f.chain.Prefix, "libval")) {
		t.Errorf("native file: %v\n%s", err, native)
	}
	got := runProgram(t, res.Env.Apply(f.baseEnv), filepath.Join(f.chain.Prefix, "appval", "bin", "valprint"))
	if got != "libval=42 version=2.0.0" {
		t.Errorf("valprint printed %q", got)
	}
	for _, src := range []string{"libval-2", "appval"} {
		data, err := os.ReadFile(filepath.Join(f.src, src, ".clangd"))
		if err != nil || !strings.Contains(string(data), f.chain.Clangd) {
			t.Errorf("%s/.clangd: %v\n%s", src, err, data)
		}
	}
	res, err = f.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, res, map[string]Status{"libval": StatusUpToDate, "appval": StatusUpToDate})
}
