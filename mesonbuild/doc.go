// Package mesonbuild builds chains of meson projects into install
// prefixes: the "build the latest wlroots into ~/prefix, then sway against
// it, with clangd working across both" job that people do by hand, with
// shell scripts, or with jhbuild.
//
// # The driver
//
// [FindTools] finds meson and ninja and their versions. A [Build] drives
// one project: [Build.Setup] configures it from a [SetupConfig] (prefix,
// build type, -D options, native and cross files written from Go values
// with [MachineFile], the pkg-config search path and program), and
// decides what that takes: nothing when the configuration is unchanged,
// `meson configure -D...` for changed options on a configured directory
// (meson 1.0 silently ignores new -D values given to `meson setup` there,
// so the driver never relies on it and checks the values afterwards in
// intro-buildoptions.json), or a wipe when machine files, link
// arguments or the compiler variables of the environment (CC, CFLAGS,
// LDFLAGS, PKG_CONFIG_LIBDIR...) changed, or the source or build
// directory moved. [Build.Compile] runs ninja and delivers its [n/m]
// lines as [Progress]; [Build.Test] and [Build.Install] (with a destdir)
// follow. Every step takes a context, writes its whole output to a log
// file in the build directory's hostkit/ state directory, and fails with
// a [*StepError] that names the project, the step and the lines that
// explain it (and the command that failed): for a failed setup, meson's error, the dependency that was
// missing, the version asked and the version found ([ParseSetupLog]).
//
// # Introspection
//
// [ReadIntrospection] reads meson-info/meson-info.json and every
// intro-*.json it lists into Go types ([Target], [BuildOption],
// [Dependency], [ProjectInfo], [TestInfo]...) that accept what meson 1.0
// writes and what later versions add; unknown fields are ignored and
// malformed files give an [*IntroError] with the file, byte offset and
// field.
//
// # Chains
//
// A [Chain] is a list of [Project]s, each naming the projects it depends
// on. [Chain.Run] builds them in dependency order into one prefix or one
// each, computing every step's environment from what the prefixes really
// hold ([ScanPrefix]: the pkg-config directories found from the installed
// .pc files, lib/x86_64-linux-gnu on Debian, not an assumed
// lib/pkgconfig). The prefixes' pkg-config directories are searched
// before the caller's PKG_CONFIG_PATH and pkg-config's default path, so a
// prefix's library wins over an older system copy while the system's
// other .pc files stay visible; ReplacePkgConfigPath makes them the whole
// path instead. A project whose stamp (source tree digest and git
// revision, setup fingerprint, its dependencies' stamps) is unchanged and
// whose installed files are present is skipped; when a dependency
// reinstalls different .pc files, meson's dependency cache is cleared so
// it does not keep a stale "found: YES (cached)". A failure stops its
// dependents (and, without KeepGoing, the rest of the chain); rerunning
// after the fix continues where it stopped.
//
// The [Result] carries a [RunEnv] (PATH, LD_LIBRARY_PATH, XDG_DATA_DIRS,
// PKG_CONFIG_PATH) for using what was built, optionally written as a
// shell script.
//
// # Run-time linking
//
// Installed programs lose the build tree's RUNPATH, so a program linked
// against a prefix library fails with "cannot open shared object file"
// unless something points the loader at the prefix. [Result.CheckLinking]
// reports, per installed program, which libraries resolve from the
// prefix, which are missing and which come from elsewhere, using a
// [LinkResolver] ([LoaderResolver] runs the program's own dynamic loader
// in trace mode, as ldd does). Chain.Runpath links programs with
// -Wl,-rpath to the prefixes' library directories; Chain.EnvScript
// writes the environment as a script instead.
//
// # clangd
//
// [MergeCompileCommands] merges every project's compile_commands.json
// into one with absolute paths, and [WriteClangdConfig] writes a .clangd
// pointing at it, so one editor session indexes the whole chain.
//
// The command examples/mesonchain builds a chain described by a JSON file
// ([ParseChainFile]) with a progress display.
//
// This package uses mvdan.cc/sh/v3 (already a hostkit dependency) to quote
// paths in the environment script and in logged commands; it needs no
// other module.
package mesonbuild
