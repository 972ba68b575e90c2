package mesonbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// Project is one meson project of a chain.
type Project struct {
	// Name identifies the project in the chain (and in DependsOn).
	Name string `json:"name"`
	// Source is the directory holding the project's top meson.build.
	Source string `json:"source"`
	// BuildDir is meson's build directory; default WorkDir/build/<Name>.
	BuildDir string `json:"build_dir,omitempty"`
	// Prefix overrides the chain's prefix for this project.
	Prefix string `json:"prefix,omitempty"`
	// BuildType overrides the chain's build type.
	BuildType string `json:"buildtype,omitempty"`
	// Options are -D options.
	Options map[string]string `json:"options,omitempty"`
	// DependsOn names projects that must be built (and installed) first.
	DependsOn []string `json:"depends_on,omitempty"`
	// Test runs the project's tests after compiling.
	Test bool `json:"test,omitempty"`
	// Native is a native file for this project (the chain adds the
	// pkg-config program and pkg_config_libdir to it when it needs to).
	Native *MachineFile `json:"-"`
}

// Chain is a set of meson projects built in dependency order, each
// installed into a prefix that the projects after it are configured
// against.
type Chain struct {
	Projects []Project
	// WorkDir holds the build directories (WorkDir/build/<name>) unless a
	// project names its own.
	WorkDir string
	// Prefix is the install prefix shared by every project, or with
	// PrefixPerProject the directory holding one prefix per project
	// (Prefix/<name>).
	Prefix           string
	PrefixPerProject bool
	// BuildType is the default build type of every project.
	BuildType string
	// PkgConfig is the pkg-config program meson uses ("" for meson's
	// choice).
	PkgConfig string
	// ReplacePkgConfigPath makes the prefixes' pkg-config directories the
	// whole search path (PKG_CONFIG_LIBDIR) instead of searching them
	// before the system's default path.
	ReplacePkgConfigPath bool
	// Runpath links executables with -Wl,-rpath to the prefixes' library
	// directories, so installed programs find their libraries without
	// LD_LIBRARY_PATH. It applies when a build directory is configured
	// from scratch (changing it wipes the build directories).
	Runpath bool
	// EnvScript, when set, is where a shell script setting PATH,
	// LD_LIBRARY_PATH, XDG_DATA_DIRS and PKG_CONFIG_PATH for the results
	// is written.
	EnvScript string
	// Clangd, when set, is the directory where the merged
	// compile_commands.json of every project is written.
	Clangd string
	// ClangdSourceConfig also writes a .clangd into each project's source
	// directory pointing clangd at the merged database (for source trees
	// that are not under the Clangd directory).
	ClangdSourceConfig bool
	// KeepGoing builds projects that do not depend on a failed one;
	// otherwise the first failure stops the chain.
	KeepGoing bool
	// Force rebuilds every project even when its stamp is unchanged.
	Force bool
	// Tools are meson and ninja; nil means LocateTools.
	Tools *Tools
	// Env is the base environment; nil means os.Environ().
	Env []string
	// Progress receives step starts, ninja progress and project outcomes.
	Progress func(Progress)
	// Output receives a copy of everything the tools print.
	Output io.Writer
}

// Status is a project's outcome in a chain run.
type Status int

// Project outcomes.
const (
	StatusPending  Status = iota // not reached
	StatusBuilt                  // steps ran and succeeded
	StatusUpToDate               // the stamp matched: nothing ran
	StatusFailed                 // a step failed
	StatusSkipped                // not built: a dependency (or, without KeepGoing, an earlier project) failed
)

// String names the status as the progress display shows it.
func (s Status) String() string {
	names := [...]string{"pending", "built", "up to date", "failed", "skipped"}
	if s < 0 || int(s) >= len(names) {
		return "Status(" + strconv.Itoa(int(s)) + ")"
	}
	return names[s]
}

// ProjectResult is what happened to one project.
type ProjectResult struct {
	Name     string
	Status   Status
	Setup    SetupAction
	Compile  CompileResult
	Source   string
	BuildDir string
	Prefix   string
	// Installed are the files the project installed (from
	// intro-installed.json).
	Installed []string
	// Stamp is the project's stamp ID.
	Stamp string
	// Err says why the project failed or was skipped.
	Err      error
	Duration time.Duration
}

// Result is the outcome of a chain run.
type Result struct {
	// Projects are in build order.
	Projects []ProjectResult
	// Env is the environment for using the results (every prefix).
	Env RunEnv
	// EnvScript is the script written, if asked.
	EnvScript string
	// CompileCommands is the merged database written, if asked, with
	// CompileCommandEntries entries.
	CompileCommands       string
	CompileCommandEntries int
}

// Project returns the result of the named project.
func (r *Result) Project(name string) *ProjectResult {
	for i := range r.Projects {
		if r.Projects[i].Name == name {
			return &r.Projects[i]
		}
	}
	return nil
}

// Order validates the chain and returns the projects' indexes in build
// order: every project after the ones it depends on, otherwise in the
// order given.
func (c *Chain) Order() ([]int, error) {
	idx := map[string]int{}
	for i, p := range c.Projects {
		if p.Name == "" || strings.ContainsAny(p.Name, "/\\\x00") || p.Name == "." || p.Name == ".." {
			return nil, fmt.Errorf("mesonbuild: project %d: %w: name %q is empty or not usable as a directory name", i, ErrBadChain, p.Name)
		}
		if _, dup := idx[p.Name]; dup {
			return nil, fmt.Errorf("mesonbuild: %w: project %q appears twice", ErrBadChain, p.Name)
		}
		idx[p.Name] = i
		if p.Source == "" {
			return nil, fmt.Errorf("mesonbuild: project %q: %w: no source directory", p.Name, ErrBadChain)
		}
	}
	for _, p := range c.Projects {
		for _, d := range p.DependsOn {
			if _, ok := idx[d]; !ok {
				return nil, fmt.Errorf("mesonbuild: project %q: %w: depends on unknown project %q", p.Name, ErrBadChain, d)
			}
		}
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(c.Projects))
	var order []int
	var visit func(i int, path []string) error
	visit = func(i int, path []string) error {
		switch state[i] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("mesonbuild: %w: dependency cycle %s", ErrBadChain, strings.Join(append(path, c.Projects[i].Name), " -> "))
		}
		state[i] = visiting
		for _, d := range c.Projects[i].DependsOn {
			if err := visit(idx[d], append(path, c.Projects[i].Name)); err != nil {
				return err
			}
		}
		state[i] = done
		order = append(order, i)
		return nil
	}
	for i := range c.Projects {
		if err := visit(i, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Layout returns where the project's build directory and prefix are.
func (c *Chain) Layout(p Project) (buildDir, prefix string) {
	buildDir = p.BuildDir
	if buildDir == "" {
		buildDir = filepath.Join(c.WorkDir, "build", p.Name)
	}
	prefix = p.Prefix
	if prefix == "" {
		prefix = c.Prefix
		if c.PrefixPerProject {
			prefix = filepath.Join(c.Prefix, p.Name)
		}
	}
	return buildDir, prefix
}

// transitiveDeps returns the projects p depends on, directly or not,
// nearest first.
func (c *Chain) transitiveDeps(p Project) []Project {
	byName := map[string]Project{}
	for _, q := range c.Projects {
		byName[q.Name] = q
	}
	var out []Project
	seen := map[string]bool{}
	queue := slices.Clone(p.DependsOn)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, byName[n])
		queue = append(queue, byName[n].DependsOn...)
	}
	return out
}

// Run builds the chain: each project in dependency order is configured
// against the prefixes of the projects it depends on, compiled, tested if
// asked, and installed; projects whose stamp has not changed are skipped.
// The returned Result is complete even when err is not nil; err joins the
// *StepError of every failed project.
func (c *Chain) Run(ctx context.Context) (*Result, error) {
	cc := *c
	cc.Projects = slices.Clone(c.Projects)
	return cc.run(ctx)
}

func (c *Chain) run(ctx context.Context) (*Result, error) {
	order, err := c.Order()
	if err != nil {
		return nil, err
	}
	if c.WorkDir == "" || c.Prefix == "" {
		return nil, fmt.Errorf("mesonbuild: %w: WorkDir and Prefix must be set", ErrBadChain)
	}
	abs := func(p string) (string, error) { return filepath.Abs(p) }
	if c.WorkDir, err = abs(c.WorkDir); err != nil {
		return nil, err
	}
	if c.Prefix, err = abs(c.Prefix); err != nil {
		return nil, err
	}
	// A prefix's directories end up in colon-separated lists (PATH,
	// LD_LIBRARY_PATH, PKG_CONFIG_PATH, XDG_DATA_DIRS, the run path): a
	// colon would split one directory into two, one of them relative.
	if strings.Contains(c.Prefix, ":") {
		return nil, fmt.Errorf("mesonbuild: %w: prefix %q contains a colon, which PATH-like lists cannot hold", ErrBadChain, c.Prefix)
	}
	for _, d := range []*string{&c.Clangd, &c.EnvScript} {
		if *d != "" {
			if *d, err = abs(*d); err != nil {
				return nil, err
			}
		}
	}
	for i := range c.Projects {
		p := &c.Projects[i]
		if p.Source, err = abs(p.Source); err != nil {
			return nil, err
		}
		if _, err := os.Stat(filepath.Join(p.Source, "meson.build")); err != nil {
			return nil, fmt.Errorf("mesonbuild: project %q: %w: %s has no meson.build", p.Name, ErrBadChain, p.Source)
		}
		for _, d := range []*string{&p.BuildDir, &p.Prefix} {
			if *d != "" {
				if *d, err = abs(*d); err != nil {
					return nil, err
				}
			}
		}
		if _, pfx := c.Layout(*p); strings.Contains(pfx, ":") {
			return nil, fmt.Errorf("mesonbuild: project %q: %w: prefix %q contains a colon, which PATH-like lists cannot hold", p.Name, ErrBadChain, pfx)
		}
	}
	buildDirs := map[string]string{}
	for _, p := range c.Projects {
		bd, _ := c.Layout(p)
		bd = filepath.Clean(bd)
		if other, dup := buildDirs[bd]; dup {
			return nil, fmt.Errorf("mesonbuild: project %q: %w: build directory %s is also project %q's", p.Name, ErrBadChain, bd, other)
		}
		buildDirs[bd] = p.Name
	}
	// The prefixes that dependents search through pkg-config: meson writes
	// them into .pc files, and pkgconf 1.8 cannot give them back whole
	// when they hold a quote, a backslash or a '#' (it prints a cut or
	// empty -I, exit 0), a control character (a tab comes out as an
	// unescaped space) or a non-ASCII byte (escaped byte by byte, which
	// meson 1.0 fails to decode: "Unhandled python exception").
	for i := range c.Projects {
		p := &c.Projects[i]
		for _, d := range p.DependsOn {
			for _, q := range c.Projects {
				if q.Name != d {
					continue
				}
				if _, pfx := c.Layout(q); pkgConfigUnsafe(pfx) != "" {
					return nil, fmt.Errorf("mesonbuild: project %q: %w: prefix %q holds %q, which pkg-config cannot read back from the .pc files installed there (project %q depends on them)",
						q.Name, ErrBadChain, pfx, pkgConfigUnsafe(pfx), p.Name)
				}
			}
		}
	}
	// meson and ninja are looked up only when a project needs building,
	// and without asking their versions, so orchestration adds no Python
	// start-up to the commands that really run.
	tools := sync.OnceValues(func() (*Tools, error) {
		if c.Tools != nil {
			return c.Tools, nil
		}
		return LocateTools()
	})
	base := c.Env
	if base == nil {
		base = os.Environ()
	}
	defaultLibdir := sync.OnceValue(func() string { return DefaultLibdir(ctx) })

	res := &Result{}
	results := map[string]*ProjectResult{}
	stamps := map[string]*Stamp{}
	failed := ""
	var errs []error
	for _, i := range order {
		p := c.Projects[i]
		buildDir, prefix := c.Layout(p)
		res.Projects = append(res.Projects, ProjectResult{Name: p.Name, Source: p.Source, BuildDir: buildDir, Prefix: prefix})
		pr := &res.Projects[len(res.Projects)-1]
		results[p.Name] = pr
		if err := ctx.Err(); err != nil {
			pr.Status, pr.Err = StatusSkipped, err
			continue
		}
		for _, d := range p.DependsOn {
			if st := results[d].Status; st == StatusFailed || st == StatusSkipped {
				pr.Status, pr.Err = StatusSkipped, fmt.Errorf("mesonbuild: project %q not built: %w: %q was %s", p.Name, ErrDependencyFailed, d, st)
				break
			}
		}
		if pr.Status == StatusPending && failed != "" && !c.KeepGoing {
			pr.Status, pr.Err = StatusSkipped, fmt.Errorf("mesonbuild: project %q not built: %w: %q failed first", p.Name, ErrDependencyFailed, failed)
		}
		if pr.Status == StatusSkipped {
			c.report(Progress{Kind: ProgressProjectDone, Project: p.Name, Description: pr.Status.String()})
			continue
		}
		start := time.Now()
		st, err := c.runProject(ctx, p, pr, tools, base, defaultLibdir, stamps)
		pr.Duration = time.Since(start)
		if err != nil {
			pr.Status, pr.Err = StatusFailed, err
			errs = append(errs, err)
			if failed == "" {
				failed = p.Name
			}
		} else {
			stamps[p.Name] = st
			pr.Stamp = st.ID
		}
		c.report(Progress{Kind: ProgressProjectDone, Project: p.Name, Description: pr.Status.String()})
	}

	// The environment for using everything: dependents' directories first.
	var layouts []PrefixLayout
	seen := map[string]bool{}
	for k := len(res.Projects) - 1; k >= 0; k-- {
		pfx := res.Projects[k].Prefix
		if seen[pfx] {
			continue
		}
		seen[pfx] = true
		l, err := ScanPrefix(pfx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		layouts = append(layouts, l)
	}
	res.Env = EnvFor(layouts, c.ReplacePkgConfigPath)
	if c.EnvScript != "" {
		script, err := res.Env.Script()
		if old, rerr := os.ReadFile(c.EnvScript); err == nil && (rerr != nil || !bytes.Equal(old, script)) {
			err = atomicfile.WriteFile(c.EnvScript, script, 0o644)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("mesonbuild: env script: %w", err))
		} else {
			res.EnvScript = c.EnvScript
		}
	}
	if c.Clangd != "" {
		var dirs, sources []string
		for _, pr := range res.Projects {
			if _, err := os.Stat(filepath.Join(pr.BuildDir, "compile_commands.json")); err == nil {
				dirs = append(dirs, pr.BuildDir)
				sources = append(sources, pr.Source)
			}
		}
		out := filepath.Join(c.Clangd, "compile_commands.json")
		n, err := MergeCompileCommands(out, dirs)
		if err != nil {
			errs = append(errs, err)
		} else {
			res.CompileCommands, res.CompileCommandEntries = out, n
			if c.ClangdSourceConfig {
				for _, s := range sources {
					if err := WriteClangdConfig(s, c.Clangd); err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
	}
	return res, errors.Join(errs...)
}

// pkgConfigUnsafe returns the first character of dir that pkgconf and
// meson cannot carry through a .pc file, or "".
func pkgConfigUnsafe(dir string) string {
	for _, r := range dir {
		if r > 0x7e || r < 0x20 || strings.ContainsRune("'\"\\#", r) {
			return string(r)
		}
	}
	return ""
}

// pkgConfigRecordPath is where a build directory records the digest of
// the dependencies' .pc files its meson dependency cache was filled from.
func pkgConfigRecordPath(buildDir string) string {
	return filepath.Join(buildDir, StateDirName, "pkgconfig-cache")
}

// readPkgConfigRecord returns the recorded digest, and whether there is one.
func readPkgConfigRecord(buildDir string) (string, bool) {
	data, err := os.ReadFile(pkgConfigRecordPath(buildDir))
	if err != nil {
		return "", false
	}
	return strings.TrimSuffix(string(data), "\n"), true
}

// configuredLibdir returns the libdir option of a configured build
// directory, or "".
func configuredLibdir(buildDir string) string {
	opts, err := ReadBuildOptions(buildDir)
	if err != nil {
		return ""
	}
	for _, o := range opts {
		if o.Name == "libdir" {
			s, _ := o.String()
			return s
		}
	}
	return ""
}

func (c *Chain) report(p Progress) {
	if c.Progress != nil {
		c.Progress(p)
	}
}

// runProject builds one project, or finds it up to date.
func (c *Chain) runProject(ctx context.Context, p Project, pr *ProjectResult, tools func() (*Tools, error), base []string, defaultLibdir func() string, stamps map[string]*Stamp) (*Stamp, error) {
	// Prefixes this project is configured against: its dependencies'
	// (nearest first). Its own prefix is left out unless a dependency
	// shares it, so that its own install does not change its setup.
	deps := c.transitiveDeps(p)
	var prefixes []string
	for _, d := range deps {
		_, dp := c.Layout(d)
		prefixes = appendNew(prefixes, dp)
	}
	var layouts []PrefixLayout
	for _, pfx := range prefixes {
		l, err := ScanPrefix(pfx)
		if err != nil {
			return nil, fmt.Errorf("mesonbuild: project %q: %w", p.Name, err)
		}
		layouts = append(layouts, l)
	}
	env := EnvFor(layouts, c.ReplacePkgConfigPath)
	stepEnv := env.Apply(base)
	if c.ReplacePkgConfigPath {
		// Also for meson re-run by ninja: only the prefixes are searched.
		stepEnv = withoutEnv(stepEnv, "PKG_CONFIG_PATH")
	}

	cfg := SetupConfig{
		Prefix:    pr.Prefix,
		BuildType: p.BuildType,
		Options:   p.Options,
		Native:    p.Native,
		PkgConfig: c.PkgConfig,
	}
	if cfg.BuildType == "" {
		cfg.BuildType = c.BuildType
	}
	if c.ReplacePkgConfigPath {
		cfg.PkgConfigLibDir = append([]string{}, env.PkgConfigLibDir...)
	} else {
		// The prefixes first, then what the caller's PKG_CONFIG_PATH
		// already had; pkg-config's default path comes after both.
		cfg.PkgConfigPath = appendNew(append([]string{}, env.PkgConfigPath...), SplitPathList(getenv(base, "PKG_CONFIG_PATH"))...)
	}
	if c.Runpath {
		var dirs []string
		if ld := p.Options["libdir"]; ld != "" {
			if filepath.IsAbs(ld) {
				dirs = append(dirs, ld)
			} else {
				dirs = append(dirs, filepath.Join(pr.Prefix, ld))
			}
		} else if ld := configuredLibdir(pr.BuildDir); ld != "" {
			// What meson chose when it configured this directory (the
			// same as DefaultLibdir, without running dpkg-architecture).
			dirs = append(dirs, filepath.Join(pr.Prefix, ld))
		} else if ld := defaultLibdir(); ld != "" {
			dirs = append(dirs, filepath.Join(pr.Prefix, ld))
		}
		dirs = appendNew(dirs, env.LibraryPath...)
		for _, d := range dirs {
			cfg.LinkArgs = append(cfg.LinkArgs, "-Wl,-rpath,"+d)
		}
	}

	b := &Build{Name: p.Name, SourceDir: p.Source, BuildDir: pr.BuildDir, Env: stepEnv, Progress: c.Progress, Output: c.Output}
	fp, err := b.SetupFingerprint(cfg)
	if err != nil {
		return nil, err
	}
	// What this package writes must not count as a source change.
	var skip []string
	for _, q := range c.Projects {
		bd, pfx := c.Layout(q)
		skip = append(skip, bd, pfx)
	}
	skip = append(skip, c.Prefix, filepath.Join(p.Source, ".clangd"))
	if c.Clangd != "" {
		skip = append(skip, filepath.Join(c.Clangd, "compile_commands.json"))
	}
	if c.EnvScript != "" {
		skip = append(skip, c.EnvScript)
	}
	src, err := SourceDigest(p.Source, skip...)
	if err != nil {
		return nil, fmt.Errorf("mesonbuild: project %q: %w", p.Name, err)
	}
	st := &Stamp{Revision: GitRevision(p.Source), Source: src, Setup: fp, Test: p.Test, Deps: map[string]string{}}
	var depInstalled []string
	for _, d := range deps {
		if ds := stamps[d.Name]; ds != nil {
			st.Deps[d.Name] = ds.ID
			depInstalled = append(depInstalled, ds.Installed...)
		}
	}
	st.PkgConfig = digestFiles(depInstalled, ".pc")
	st.computeID()

	old := readStamp(pr.BuildDir)
	if !c.Force && old != nil && old.ID == st.ID && b.Configured() && old.installedPresent() {
		pr.Status = StatusUpToDate
		pr.Installed = old.Installed
		st.Installed = old.Installed
		return st, nil
	}
	_ = os.Remove(stampPath(pr.BuildDir))
	if b.Tools, err = tools(); err != nil {
		return nil, err
	}

	// What meson's dependency cache was filled from. The record is
	// removed until this run has set up (or cleared the cache) again, so
	// an interrupted or failed run leaves "unknown", which clears.
	cached, cachedKnown := readPkgConfigRecord(pr.BuildDir)
	if !cachedKnown && old != nil {
		cached, cachedKnown = old.PkgConfig, true // stamps from before the record existed
	}
	_ = os.Remove(pkgConfigRecordPath(pr.BuildDir))
	if pr.Setup, err = b.Setup(ctx, cfg); err != nil {
		return nil, err
	}
	if (pr.Setup == SetupUnchanged || pr.Setup == SetupReconfigured) && (!cachedKnown || cached != st.PkgConfig) {
		// A dependency installed a different .pc file: meson would keep
		// using what it cached at the first lookup (`meson configure -D`
		// keeps the cache too).
		if err := b.ClearCache(ctx); err != nil {
			return nil, err
		}
	}
	if err := atomicfile.Write(pkgConfigRecordPath(pr.BuildDir), []byte(st.PkgConfig+"\n"), atomicfile.Options{NoSync: true}); err != nil {
		return nil, fmt.Errorf("mesonbuild: project %q: %w", p.Name, err)
	}
	if pr.Compile, err = b.Compile(ctx); err != nil {
		return nil, err
	}
	if p.Test {
		if err := b.Test(ctx); err != nil {
			return nil, err
		}
	}
	if err := b.Install(ctx, InstallOptions{}); err != nil {
		return nil, err
	}
	installed, err := ReadInstalled(pr.BuildDir)
	if err != nil {
		return nil, err
	}
	for _, dst := range installed {
		st.Installed = append(st.Installed, dst)
	}
	slices.Sort(st.Installed)
	pr.Installed = st.Installed
	pr.Status = StatusBuilt
	if err := writeJSON(stampPath(pr.BuildDir), st); err != nil {
		return nil, fmt.Errorf("mesonbuild: project %q: %w", p.Name, err)
	}
	return st, nil
}
