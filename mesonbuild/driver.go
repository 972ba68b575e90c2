package mesonbuild

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// StateDirName is the directory inside a build directory where this
// package keeps its machine files, setup record, stamps and step logs.
const StateDirName = "hostkit"

// keepLines is how many of the last lines of a step's output are kept in
// memory for error messages (the log file has all of them).
const keepLines = 400

// Build drives meson and ninja for one project: one source directory and
// one build directory.
type Build struct {
	// Name labels progress reports and errors (the project's name).
	Name string
	// SourceDir holds the project's top meson.build.
	SourceDir string
	// BuildDir is meson's build directory; created when missing.
	BuildDir string
	// Tools are meson and ninja (see FindTools).
	Tools *Tools
	// Env is the environment of every step; nil means os.Environ().
	Env []string
	// Progress, when set, receives step starts and ninja's [n/m] lines.
	Progress func(Progress)
	// Output, when set, receives a copy of every line the tools print.
	Output io.Writer
}

// StateDir returns BuildDir/hostkit.
func (b *Build) StateDir() string { return filepath.Join(b.BuildDir, StateDirName) }

// LogFile returns the file that holds the output of the last run of step.
func (b *Build) LogFile(step Step) string {
	return filepath.Join(b.StateDir(), string(step)+".log")
}

// MesonLog returns the path of meson-log.txt.
func (b *Build) MesonLog() string {
	return filepath.Join(b.BuildDir, "meson-logs", "meson-log.txt")
}

// Configured reports whether BuildDir holds a configured meson build.
func (b *Build) Configured() bool {
	_, err := os.Stat(filepath.Join(b.BuildDir, "meson-private", "coredata.dat"))
	return err == nil
}

// SetupConfig is everything `meson setup` is given.
type SetupConfig struct {
	// Prefix is the install prefix (absolute). Empty leaves meson's default.
	Prefix string
	// BuildType is plain, debug, debugoptimized, release, minsize or
	// custom. Empty leaves meson's default (debug).
	BuildType string
	// Options are -D name=value options. Array values may be written as
	// meson list literals ("['a', 'b']"); those are verified element by
	// element after configuring.
	Options map[string]string
	// Native and Cross are the machine files, written into the build
	// directory's state directory from these values.
	Native, Cross *MachineFile
	// PkgConfigPath are directories pkg-config searches before its default
	// path (meson's pkg_config_path option). Nil leaves meson's default
	// (taken from PKG_CONFIG_PATH at the first setup).
	PkgConfigPath []string
	// PkgConfigLibDir, when non-nil, replaces pkg-config's default search
	// path (the pkg_config_libdir property of the native file, which
	// meson passes as PKG_CONFIG_LIBDIR); PKG_CONFIG_PATH and
	// PKG_CONFIG_LIBDIR are then removed from the environment.
	PkgConfigLibDir []string
	// PkgConfig is the pkg-config program to use (a [binaries] entry of
	// the native file). Empty leaves meson's choice.
	PkgConfig string
	// LinkArgs are extra linker arguments for every language (for example
	// -Wl,-rpath,DIR), given through LDFLAGS when the directory is
	// configured from scratch. Changing them wipes the build directory.
	LinkArgs []string
	// Wipe forces `meson setup --wipe` on a configured directory.
	Wipe bool
}

// SetupAction says what Setup did.
type SetupAction int

// Setup actions.
const (
	// SetupUnchanged: the directory was configured with the same
	// configuration; nothing ran.
	SetupUnchanged SetupAction = iota
	// SetupFresh: `meson setup` on an unconfigured directory.
	SetupFresh
	// SetupReconfigured: `meson configure -D...` applied changed options
	// (meson 1.0 ignores -D given to `meson setup` on a configured
	// directory, so the driver never relies on that).
	SetupReconfigured
	// SetupWiped: `meson setup --wipe`, because machine files, link
	// arguments, the pkg-config program or the compiler environment
	// (CC, CFLAGS, LDFLAGS, PKG_CONFIG_LIBDIR...) changed, the source
	// or build directory moved, options were
	// removed, the directory was configured by someone else, or Wipe was
	// asked.
	SetupWiped
)

// String names the action (fresh, reconfigured...).
func (a SetupAction) String() string {
	switch a {
	case SetupUnchanged:
		return "unchanged"
	case SetupFresh:
		return "fresh"
	case SetupReconfigured:
		return "reconfigured"
	case SetupWiped:
		return "wiped"
	}
	return "SetupAction(" + strconv.Itoa(int(a)) + ")"
}

// setupEnvVars are the environment variables meson reads when it
// configures a build directory (mesonbuild/envconfig.py and the
// compilers' flag variables of meson 1.0), plus pkg-config's
// LIBDIR and sysroot, which decide what a dependency lookup finds.
var setupEnvVars = []string{
	"CC", "CXX", "CSC", "DC", "FC", "OBJC", "OBJCXX", "RUSTC", "VALAC", "NASM", "CYTHON",
	"CC_LD", "CXX_LD", "DC_LD", "FC_LD", "OBJC_LD", "OBJCXX_LD", "RUSTC_LD",
	"AR", "AS", "LD", "NM", "OBJCOPY", "OBJDUMP", "RANLIB", "READELF", "SIZE", "STRINGS", "STRIP", "WINDRES",
	"CMAKE", "QMAKE", "PKG_CONFIG", "MAKE", "VAPIGEN", "LLVM_CONFIG",
	"CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "CUFLAGS", "OBJCFLAGS", "OBJCXXFLAGS", "FFLAGS", "DFLAGS",
	"VALAFLAGS", "RUSTFLAGS", "CYTHONFLAGS", "CSFLAGS",
	"PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR",
}

// setupRecord is what the state directory remembers of the last setup.
type setupRecord struct {
	Fingerprint string            `json:"fingerprint"`
	Machine     string            `json:"machine"`
	Options     map[string]string `json:"options"`
}

// resolved is a SetupConfig turned into what meson is given.
type resolved struct {
	options          map[string]string // every -D, including prefix etc.
	native, cross    []byte
	nativeF, crossF  string
	env              []string
	fingerprint      string
	machineSignature string
}

func (b *Build) resolve(cfg SetupConfig) (*resolved, error) {
	r := &resolved{options: map[string]string{}}
	for k, v := range cfg.Options {
		if k == "" || strings.ContainsAny(k, "= \t\n") {
			return nil, fmt.Errorf("mesonbuild: project %q: option name %q is not valid", b.Name, k)
		}
		r.options[k] = v
	}
	if cfg.Prefix != "" {
		if !filepath.IsAbs(cfg.Prefix) {
			return nil, fmt.Errorf("mesonbuild: project %q: prefix %q is not absolute", b.Name, cfg.Prefix)
		}
		r.options["prefix"] = filepath.Clean(cfg.Prefix)
	}
	if cfg.BuildType != "" {
		r.options["buildtype"] = cfg.BuildType
	}
	if cfg.PkgConfigLibDir != nil && cfg.PkgConfigPath == nil {
		cfg.PkgConfigPath = []string{}
	}
	if cfg.PkgConfigPath != nil {
		lit, err := MesonLiteral(cfg.PkgConfigPath)
		if err != nil {
			return nil, fmt.Errorf("mesonbuild: project %q: pkg-config path: %w", b.Name, err)
		}
		r.options["pkg_config_path"] = lit
	}
	native := cfg.Native.Clone()
	if cfg.PkgConfig != "" {
		if native.Binaries == nil {
			native.Binaries = map[string]any{}
		}
		// meson before 1.3 looks up "pkgconfig", later versions
		// "pkg-config" (and still accept the old name); both are
		// written so the file does not depend on the version.
		native.Binaries["pkg-config"] = cfg.PkgConfig
		native.Binaries["pkgconfig"] = cfg.PkgConfig
	}
	if cfg.PkgConfigLibDir != nil {
		if native.Properties == nil {
			native.Properties = map[string]any{}
		}
		native.Properties["pkg_config_libdir"] = cfg.PkgConfigLibDir
	}
	var err error
	if !native.IsZero() {
		if r.native, err = native.Encode(); err != nil {
			return nil, fmt.Errorf("mesonbuild: project %q: native file: %w", b.Name, err)
		}
		r.nativeF = filepath.Join(b.StateDir(), "native.ini")
	}
	if !cfg.Cross.IsZero() {
		if r.cross, err = cfg.Cross.Encode(); err != nil {
			return nil, fmt.Errorf("mesonbuild: project %q: cross file: %w", b.Name, err)
		}
		r.crossF = filepath.Join(b.StateDir(), "cross.ini")
	}
	env := b.env()
	if cfg.PkgConfigLibDir != nil {
		env = withoutEnv(env, "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR")
	}
	if len(cfg.LinkArgs) > 0 {
		env = setEnv(env, "LDFLAGS", strings.TrimSpace(getenv(env, "LDFLAGS")+" "+shellJoin(cfg.LinkArgs)))
	}
	r.env = env

	h := sha256.New()
	fmt.Fprintf(h, "native\x00%s\x00cross\x00%s\x00link\x00%q\x00", r.native, r.cross, cfg.LinkArgs)
	// meson takes the compilers, tools and flags from the environment
	// only when it configures a directory from scratch (a reconfigure
	// keeps what it found then): a change must wipe. PKG_CONFIG_LIBDIR and
	// the sysroot are read at every lookup, but found dependencies are
	// cached, so a change needs a fresh setup too.
	for _, k := range setupEnvVars {
		if v, ok := lookupEnv(env, k); ok {
			fmt.Fprintf(h, "env\x00%s\x00%s\x00", k, v)
		}
	}
	r.machineSignature = hex.EncodeToString(h.Sum(nil))
	keys := sortedKeys(r.options)
	fmt.Fprintf(h, "source\x00%s\x00", b.SourceDir)
	for _, k := range keys {
		fmt.Fprintf(h, "opt\x00%s\x00%s\x00", k, r.options[k])
	}
	r.fingerprint = hex.EncodeToString(h.Sum(nil))
	return r, nil
}

// SetupFingerprint returns a digest of everything cfg makes meson do for
// this build (options, machine files, link arguments, source directory,
// the compiler and pkg-config variables of Env that meson reads).
// Equal fingerprints mean Setup has nothing to do. It runs nothing, so
// Tools may be nil.
func (b *Build) SetupFingerprint(cfg SetupConfig) (string, error) {
	r, err := b.resolve(cfg)
	if err != nil {
		return "", err
	}
	return r.fingerprint, nil
}

// Setup configures the build directory for cfg: a fresh `meson setup`,
// nothing when the last configuration was the same, `meson configure`
// when only -D options changed (checked afterwards against
// intro-buildoptions.json, since meson 1.0 silently ignores new -D values
// given to `meson setup` on a configured directory), or `meson setup
// --wipe` when machine files, link arguments or the compiler environment (CC,
// CFLAGS...) changed, the source or build directory moved or options were
// removed. A failure is a *StepError with meson's error, the missing
// dependency and the version asked for when that was the cause, and the
// tail of meson-log.txt.
func (b *Build) Setup(ctx context.Context, cfg SetupConfig) (SetupAction, error) {
	if err := b.needTools(); err != nil {
		return 0, err
	}
	r, err := b.resolve(cfg)
	if err != nil {
		return 0, err
	}
	prev := b.readSetupRecord()
	action := SetupFresh
	if b.Configured() {
		switch {
		case cfg.Wipe:
			action = SetupWiped
		case !b.configuredHere():
			// The source tree or the build directory moved: meson keeps
			// the old paths and ninja's regeneration would fail.
			action = SetupWiped
		case prev != nil && prev.Fingerprint == r.fingerprint:
			return SetupUnchanged, nil
		case prev == nil || prev.Machine != r.machineSignature || removedOption(prev.Options, r.options):
			action = SetupWiped
		default:
			action = SetupReconfigured
		}
	}
	if err := os.MkdirAll(b.StateDir(), 0o755); err != nil {
		return 0, fmt.Errorf("mesonbuild: project %q: %w", b.Name, err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{r.nativeF, r.native}, {r.crossF, r.cross}} {
		if f.name != "" {
			if err := atomicfile.WriteFile(f.name, f.data, 0o644); err != nil {
				return 0, fmt.Errorf("mesonbuild: project %q: %w", b.Name, err)
			}
		}
	}
	// The record goes away first: if the step fails or is interrupted the
	// next Setup must not believe the directory is configured as asked.
	_ = os.Remove(b.setupRecordPath())

	var args []string
	step := StepSetup
	if action == SetupReconfigured {
		step = StepConfigure
		args = []string{b.Tools.Meson, "configure", b.BuildDir}
		for _, k := range sortedKeys(r.options) {
			args = append(args, "-D"+k+"="+r.options[k])
		}
	} else {
		if action == SetupWiped {
			// What `meson setup --wipe` does, keeping the state directory
			// (which holds the machine files and logs).
			if err := b.wipe(); err != nil {
				return action, err
			}
		}
		// meson rewrites meson-log.txt only once it gets going; a failure
		// before that (no meson.build, bad directories) must not be
		// explained by an earlier run's log.
		if err := os.Remove(b.MesonLog()); err != nil && !os.IsNotExist(err) {
			return action, fmt.Errorf("mesonbuild: project %q: %w", b.Name, err)
		}
		args = []string{b.Tools.Meson, "setup"}
		if r.nativeF != "" {
			args = append(args, "--native-file", r.nativeF)
		}
		if r.crossF != "" {
			args = append(args, "--cross-file", r.crossF)
		}
		for _, k := range sortedKeys(r.options) {
			args = append(args, "-D"+k+"="+r.options[k])
		}
		args = append(args, b.BuildDir, b.SourceDir)
	}
	lines, err := b.run(ctx, step, r.env, nil, args)
	if err != nil {
		var se *StepError
		if errors.As(err, &se) && ctx.Err() == nil {
			b.explainSetup(se, lines, step == StepSetup)
		}
		return action, err
	}
	if err := b.verifyOptions(r.options); err != nil {
		return action, &StepError{Project: b.Name, Step: step, Command: args, ExitCode: 0,
			Log: b.LogFile(step), Err: err}
	}
	rec := setupRecord{Fingerprint: r.fingerprint, Machine: r.machineSignature, Options: r.options}
	if err := writeJSON(b.setupRecordPath(), rec); err != nil {
		return action, fmt.Errorf("mesonbuild: project %q: %w", b.Name, err)
	}
	return action, nil
}

// explainSetup fills in what meson-log.txt (or, for meson configure, the
// command's output) says about a failed setup.
func (b *Build) explainSetup(se *StepError, out []string, mesonLog bool) {
	var text []byte
	if mesonLog {
		if data, err := os.ReadFile(b.MesonLog()); err == nil {
			text = data
			se.MesonLog = b.MesonLog()
		}
	}
	f, ok := ParseSetupLog(text)
	if !ok {
		f, ok = ParseSetupLog([]byte(strings.Join(out, "\n")))
		text = []byte(strings.Join(out, "\n"))
	}
	all := strings.Split(strings.TrimRight(string(text), "\n"), "\n")
	se.Lines = tail(all, 15)
	if !ok {
		return
	}
	if f.File != "" && !filepath.IsAbs(f.File) {
		// meson names files relative to its working directory, the
		// build directory.
		f.File = filepath.Join(b.BuildDir, f.File)
	}
	f.dependencyVersionFromSource(b.SourceDir)
	se.Failure = &f
	if f.Dependency != "" {
		// The lines about the dependency say what was searched and found.
		var rel []string
		for _, l := range tail(all, 300) {
			if strings.Contains(l, f.Dependency) && strings.TrimSpace(l) != "" {
				rel = append(rel, l)
			}
		}
		se.Lines = tail(rel, 15)
	}
}

// wipe empties the build directory except for the state directory.
func (b *Build) wipe() error {
	entries, err := os.ReadDir(b.BuildDir)
	if err != nil {
		return fmt.Errorf("mesonbuild: project %q: wiping: %w", b.Name, err)
	}
	for _, e := range entries {
		if e.Name() == StateDirName {
			continue
		}
		if err := os.RemoveAll(filepath.Join(b.BuildDir, e.Name())); err != nil {
			return fmt.Errorf("mesonbuild: project %q: wiping: %w", b.Name, err)
		}
	}
	return nil
}

// configuredHere reports whether meson configured BuildDir, where it is
// now, for SourceDir: the source and build directories meson-info.json
// names are the same directories (by device and inode) as SourceDir and
// BuildDir.
func (b *Build) configuredHere() bool {
	info, err := ReadInfo(b.BuildDir)
	if err != nil {
		return false
	}
	same := func(recorded, now string) bool {
		if recorded == "" {
			return false
		}
		a, err := os.Stat(recorded)
		if err != nil {
			return false
		}
		c, err := os.Stat(now)
		return err == nil && os.SameFile(a, c)
	}
	return same(info.Directories.Source, b.SourceDir) && same(info.Directories.Build, b.BuildDir)
}

func removedOption(prev, now map[string]string) bool {
	for k := range prev {
		if _, ok := now[k]; !ok {
			return true
		}
	}
	return false
}

func (b *Build) setupRecordPath() string { return filepath.Join(b.StateDir(), "setup.json") }

func (b *Build) readSetupRecord() *setupRecord {
	data, err := os.ReadFile(b.setupRecordPath())
	if err != nil {
		return nil
	}
	var rec setupRecord
	if json.Unmarshal(data, &rec) != nil || rec.Fingerprint == "" {
		return nil
	}
	return &rec
}

// verifyOptions checks every requested option against intro-buildoptions.
func (b *Build) verifyOptions(want map[string]string) error {
	opts, err := ReadBuildOptions(b.BuildDir)
	if err != nil {
		return err
	}
	byName := make(map[string]BuildOption, len(opts))
	for _, o := range opts {
		byName[o.Name] = o
	}
	prefix, _ := byName["prefix"].String()
	for _, k := range sortedKeys(want) {
		o, ok := byName[k]
		if !ok {
			return &OptionError{Name: k, Want: want[k], Got: "(absent from intro-buildoptions.json)"}
		}
		if !optionMatches(o, want[k], prefix) {
			return &OptionError{Name: k, Want: want[k], Got: string(o.Value)}
		}
	}
	return nil
}

// optionMatches compares a requested -D value with the value meson holds.
// Array values are compared only when requested as list literals; meson
// splits other spellings in option-specific ways.
func optionMatches(o BuildOption, want, prefix string) bool {
	switch o.Type {
	case "boolean":
		got, ok := o.Bool()
		return ok && strings.EqualFold(want, strconv.FormatBool(got))
	case "integer":
		got, ok := o.Int()
		w, err := strconv.ParseInt(strings.TrimSpace(want), 0, 64)
		return ok && err == nil && got == w
	case "array":
		if !strings.HasPrefix(strings.TrimSpace(want), "[") {
			return true
		}
		w, err := ParseMesonList(want)
		got, ok := o.Strings()
		if err != nil || !ok || len(w) != len(got) {
			return false
		}
		for i := range w {
			if w[i] != got[i] {
				return false
			}
		}
		return true
	default:
		got, ok := o.String()
		if !ok {
			return false
		}
		if o.Section == "directory" || o.Name == "prefix" {
			// meson stores a directory under the prefix relative to it.
			if filepath.IsAbs(want) && !filepath.IsAbs(got) && prefix != "" {
				got = filepath.Join(prefix, got)
			}
			return filepath.Clean(got) == filepath.Clean(want)
		}
		return got == want
	}
}

// CompileResult summarises a ninja run.
type CompileResult struct {
	// Edges is the number of build edges ninja ran (compiles, links...),
	// not counting the regeneration of build files.
	Edges int
	// Regenerated is true when ninja re-ran meson first.
	Regenerated bool
	// NoWork is true when ninja said there was nothing to do.
	NoWork bool
}

// Compile runs ninja in the build directory, reporting [n/m] progress.
func (b *Build) Compile(ctx context.Context) (CompileResult, error) {
	var res CompileResult
	if err := b.needTools(); err != nil {
		return res, err
	}
	env := setEnv(b.env(), "NINJA_STATUS", NinjaStatus)
	args := []string{b.Tools.Ninja, "-C", b.BuildDir}
	lines, err := b.run(ctx, StepCompile, env, func(line string) {
		if line == "ninja: no work to do." {
			res.NoWork = true
			return
		}
		d, t, desc, ok := ParseProgress(line)
		if !ok {
			return
		}
		if strings.HasPrefix(desc, "Regenerating build files") {
			res.Regenerated = true
		} else {
			res.Edges++
		}
		b.report(Progress{Kind: ProgressEdge, Project: b.Name, Step: StepCompile, Done: d, Total: t, Description: desc})
	}, args)
	if err != nil {
		var se *StepError
		if errors.As(err, &se) && ctx.Err() == nil {
			se.Lines = NinjaFailure(lines, 60)
			if slices.Contains(lines, "FAILED: build.ninja") || slices.Contains(lines, "FAILED: build.ninja ") {
				// ninja re-ran meson (a meson.build changed) and meson
				// failed: this is a configuration failure.
				se.Step = StepSetup
				b.explainSetup(se, lines, true)
			}
		}
	}
	return res, err
}

// Test runs `meson test --no-rebuild --print-errorlogs`.
func (b *Build) Test(ctx context.Context) error {
	if err := b.needTools(); err != nil {
		return err
	}
	args := []string{b.Tools.Meson, "test", "-C", b.BuildDir, "--no-rebuild", "--print-errorlogs"}
	lines, err := b.run(ctx, StepTest, b.env(), nil, args)
	var se *StepError
	if errors.As(err, &se) && ctx.Err() == nil {
		se.Lines = tail(lines, 40)
	}
	return err
}

// InstallOptions control Install.
type InstallOptions struct {
	// DestDir installs under this directory instead of the root (staged
	// installs; the prefix is appended to it).
	DestDir string
}

// Install runs `meson install --no-rebuild --only-changed` (files that did
// not change keep their time stamps, so dependents do not recompile
// against headers that are merely reinstalled). After an install that
// failed or was interrupted, it copies every file again, since a file
// left half copied looks newer than the built one.
func (b *Build) Install(ctx context.Context, opt InstallOptions) error {
	if err := b.needTools(); err != nil {
		return err
	}
	if opt.DestDir != "" && !filepath.IsAbs(opt.DestDir) {
		return fmt.Errorf("mesonbuild: project %q: destdir %q is not absolute", b.Name, opt.DestDir)
	}
	args := []string{b.Tools.Meson, "install", "-C", b.BuildDir, "--no-rebuild"}
	// An install that did not finish may have left a file half copied
	// with a newer time than the built one, which --only-changed would
	// keep: after one, every file is copied again.
	marker := filepath.Join(b.StateDir(), "install-incomplete")
	if _, err := os.Stat(marker); err != nil {
		args = append(args, "--only-changed")
	}
	if opt.DestDir != "" {
		args = append(args, "--destdir", opt.DestDir)
	}
	if err := os.MkdirAll(b.StateDir(), 0o755); err != nil {
		return fmt.Errorf("mesonbuild: project %q: %w", b.Name, err)
	}
	if err := atomicfile.Write(marker, []byte(shellJoin(args)+"\n"), atomicfile.Options{NoSync: true}); err != nil {
		return fmt.Errorf("mesonbuild: project %q: %w", b.Name, err)
	}
	lines, err := b.run(ctx, StepInstall, b.env(), nil, args)
	var se *StepError
	if errors.As(err, &se) && ctx.Err() == nil {
		se.Lines = tail(lines, 30)
	}
	if err == nil {
		if rerr := os.Remove(marker); rerr != nil {
			return fmt.Errorf("mesonbuild: project %q: %w", b.Name, rerr)
		}
	}
	return err
}

// ClearCache drops meson's cache of found dependencies and reconfigures
// (`meson configure --clearcache`, then `meson setup --reconfigure`), so a
// dependency whose .pc file changed is looked up again instead of being
// reported "found: YES (cached)" with stale flags.
func (b *Build) ClearCache(ctx context.Context) error {
	if err := b.needTools(); err != nil {
		return err
	}
	if _, err := b.run(ctx, StepConfigure, b.env(), nil, []string{b.Tools.Meson, "configure", "--clearcache", b.BuildDir}); err != nil {
		return err
	}
	args := []string{b.Tools.Meson, "setup", "--reconfigure", b.BuildDir, b.SourceDir}
	lines, err := b.run(ctx, StepSetup, b.env(), nil, args)
	var se *StepError
	if errors.As(err, &se) && ctx.Err() == nil {
		b.explainSetup(se, lines, true)
	}
	return err
}

func (b *Build) needTools() error {
	if b.Tools == nil || b.Tools.Meson == "" || b.Tools.Ninja == "" {
		return fmt.Errorf("mesonbuild: project %q: %w: Build.Tools is not set (call FindTools)", b.Name, ErrToolNotFound)
	}
	return nil
}

func (b *Build) env() []string {
	if b.Env != nil {
		return b.Env
	}
	return os.Environ()
}

func (b *Build) report(p Progress) {
	if b.Progress != nil {
		b.Progress(p)
	}
}

// run executes one step: output to the step's log file, to Output, line
// by line to onLine; the last lines are returned. A non-zero exit is a
// *StepError.
func (b *Build) run(ctx context.Context, step Step, env []string, onLine func(string), args []string) ([]string, error) {
	fail := func(code int, err error) *StepError {
		return &StepError{Project: b.Name, Step: step, Command: args, ExitCode: code, Log: b.LogFile(step), Err: err}
	}
	if err := os.MkdirAll(b.StateDir(), 0o755); err != nil {
		return nil, fail(-1, err)
	}
	logf, err := os.Create(b.LogFile(step))
	if err != nil {
		return nil, fail(-1, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "# %s\n", shellJoin(args))
	b.report(Progress{Kind: ProgressStepStart, Project: b.Name, Step: step})

	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fail(-1, err)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = env
	cmd.Dir = b.BuildDir
	cmd.Stdout, cmd.Stderr = pw, pw
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fail(-1, err)
	}
	pw.Close()
	// Cancellation kills the process group, but a grandchild that left it
	// (setsid, a daemon a test started) can keep the pipe open: stop
	// reading when the context ends so the step returns.
	stopClose := context.AfterFunc(ctx, func() { pr.Close() })
	defer stopClose()
	ring := make([]string, 0, 64)
	rd := bufio.NewReaderSize(pr, 64*1024)
	for {
		line, rerr := rd.ReadString('\n')
		if line != "" {
			logf.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				logf.WriteString("\n")
			}
			if b.Output != nil {
				io.WriteString(b.Output, line)
			}
			line = strings.TrimRight(line, "\r\n")
			if len(ring) == keepLines {
				copy(ring, ring[1:])
				ring = ring[:keepLines-1]
			}
			ring = append(ring, line)
			if onLine != nil {
				onLine(line)
			}
		}
		if rerr != nil {
			break
		}
	}
	pr.Close()
	werr := cmd.Wait()
	if werr != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(werr, &ee) {
			code = ee.ExitCode()
		}
		fmt.Fprintf(logf, "# exit: %v\n", werr)
		if ctx.Err() != nil {
			werr = ctx.Err()
		}
		return ring, fail(code, werr)
	}
	return ring, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func getenv(env []string, name string) string {
	v, _ := lookupEnv(env, name)
	return v
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), atomicfile.Options{NoSync: true})
}
