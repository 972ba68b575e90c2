// Command pkgconf is a drop-in replacement for pkgconf 1.8 (and
// pkg-config) built on github.com/hostkit-dev/hostkit/mesonbuild/pkgconfig.
// It takes pkgconf's flags, prints the same bytes and exits with the same
// status, so build systems can use it through PKG_CONFIG=/path/to/it:
//
//	pkgconf --cflags --libs wlroots
//	pkgconf --modversion 'glib-2.0 >= 2.50'
//	pkgconf --variable=pc_path pkg-config
//	PKG_CONFIG_PATH=/opt/x/lib/pkgconfig pkgconf --libs --static foo
//
// Invoked under a name of the form TRIPLET-pkg-config it loads that
// cross personality, as pkgconf does.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hostkit-dev/hostkit/mesonbuild/pkgconfig"
)

func main() {
	os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr))
}

// flag bits, named after pkgconf's
type want uint64

const (
	wCflagsI want = 1 << iota
	wCflagsOther
	wLibsL
	wLibsl
	wLibsOther
	wModversion
	wExists
	wStatic
	wShared
	wPure
	wListAll
	wListNames
	wRequires
	wRequiresPrivate
	wProvides
	wVariables
	wPath
	wValidate
	wUninstalled
	wKeepSysCflags
	wKeepSysLibs
	wErrorsStdout
	wSilence
	wShortErrors
	wPrintErrors
	wEnvOnly
	wNoUninstalled
	wNoProvides
	wIgnoreConflicts
	wInternalCflags
	wDumpPersonality
	wDebug
	wNoCache

	wCflags = wCflagsI | wCflagsOther
	wLibs   = wLibsL | wLibsl | wLibsOther
)

type optSpec struct {
	name   string
	arg    bool // takes a value
	flag   want
	handle func(st *cli, v string) error
}

type cli struct {
	want           want
	variable       string
	variableSet    bool // --variable was given, maybe with an empty name
	defines        []pkgconfig.Variable
	withPath       []string
	atleast, exact *string
	maxVersion     *string
	atleastPkgconf *string
	personality    string
	maxDepth       int
	version, about bool
	help           bool
}

var options = []optSpec{
	{name: "version", handle: func(s *cli, _ string) error { s.version = true; return nil }},
	{name: "about", handle: func(s *cli, _ string) error { s.about = true; return nil }},
	{name: "help", handle: func(s *cli, _ string) error { s.help = true; return nil }},
	{name: "atleast-pkgconfig-version", arg: true, handle: func(s *cli, v string) error { s.atleastPkgconf = &v; return nil }},
	{name: "libs", flag: wLibs},
	{name: "cflags", flag: wCflags},
	{name: "modversion", flag: wModversion},
	{name: "variable", arg: true, handle: func(s *cli, v string) error { s.variable, s.variableSet = v, true; return nil }},
	{name: "exists", flag: wExists},
	{name: "print-errors", flag: wPrintErrors},
	{name: "short-errors", flag: wShortErrors},
	{name: "maximum-traverse-depth", arg: true, handle: func(s *cli, v string) error { s.maxDepth, _ = strconv.Atoi(v); return nil }},
	{name: "static", flag: wStatic},
	{name: "shared", flag: wShared},
	{name: "pure", flag: wPure},
	{name: "atleast-version", arg: true, handle: func(s *cli, v string) error { s.atleast = &v; return nil }},
	{name: "exact-version", arg: true, handle: func(s *cli, v string) error { s.exact = &v; return nil }},
	{name: "max-version", arg: true, handle: func(s *cli, v string) error { s.maxVersion = &v; return nil }},
	{name: "ignore-conflicts", flag: wIgnoreConflicts},
	{name: "errors-to-stdout", flag: wErrorsStdout},
	{name: "silence-errors", flag: wSilence},
	{name: "list-all", flag: wListAll},
	{name: "list-package-names", flag: wListNames},
	{name: "env-only", flag: wEnvOnly},
	{name: "print-requires", flag: wRequires},
	{name: "print-requires-private", flag: wRequiresPrivate},
	{name: "cflags-only-I", flag: wCflagsI},
	{name: "cflags-only-other", flag: wCflagsOther},
	{name: "libs-only-L", flag: wLibsL},
	{name: "libs-only-l", flag: wLibsl},
	{name: "libs-only-other", flag: wLibsOther},
	{name: "uninstalled", flag: wUninstalled},
	{name: "no-uninstalled", flag: wNoUninstalled},
	{name: "keep-system-cflags", flag: wKeepSysCflags},
	{name: "keep-system-libs", flag: wKeepSysLibs},
	{name: "define-variable", arg: true, handle: func(s *cli, v string) error {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil // pkgconf ignores a definition without '='
		}
		s.defines = append(s.defines, pkgconfig.Variable{Name: k, Value: val})
		return nil
	}},
	{name: "with-path", arg: true, handle: func(s *cli, v string) error { s.withPath = append(s.withPath, v); return nil }},
	{name: "validate", flag: wValidate},
	{name: "path", flag: wPath},
	{name: "print-provides", flag: wProvides},
	{name: "print-variables", flag: wVariables},
	{name: "no-cache", flag: wNoCache},
	{name: "no-provides", flag: wNoProvides},
	{name: "internal-cflags", flag: wInternalCflags},
	{name: "personality", arg: true, handle: func(s *cli, v string) error { s.personality = v; return nil }},
	{name: "dump-personality", flag: wDumpPersonality},
	{name: "debug", flag: wDebug},
}

// unsupportedOptions are pkgconf 1.8.1 options this command does not
// implement. They still take part in abbreviation matching, so that an
// abbreviation is ambiguous exactly when it is for pkgconf.
var unsupportedOptions = []string{"digraph", "simulate", "log-file", "prefix-variable", "define-prefix",
	"dont-define-prefix", "relocate", "dont-relocate-paths", "env", "msvc-syntax", "fragment-filter"}

// parseArgs follows the getopt_long_only that pkgconf bundles: every
// argument that starts with '-' or "--" (other than "-" and "--") is a
// long option, which may be abbreviated to a unique prefix, takes its
// value after '=' or as the next argument, and may appear anywhere unless
// posixly (POSIXLY_CORRECT is set), which stops at the first package
// name; "--" ends the options. Errors name the option as typed.
func parseArgs(prog string, args []string, st *cli, posixly bool) (pkgs []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pkgs = append(pkgs, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if posixly {
				pkgs = append(pkgs, args[i:]...)
				break
			}
			pkgs = append(pkgs, a)
			continue
		}
		typed := a[1:]
		if typed[0] == '-' {
			typed = typed[1:]
		}
		name, val, hasVal := strings.Cut(typed, "=")
		// spec stays nil for a match among unsupportedOptions
		var spec *optSpec
		matched, exact, partial := false, false, 0
		consider := func(n string, o *optSpec) {
			switch {
			case exact:
			case n == name:
				spec, matched, exact = o, true, true
			case strings.HasPrefix(n, name):
				if partial == 0 {
					spec, matched = o, true
				}
				partial++
			}
		}
		for k := range options {
			consider(options[k].name, &options[k])
		}
		for _, u := range unsupportedOptions {
			consider(u, nil)
		}
		switch {
		case !exact && partial > 1:
			return nil, fmt.Errorf("%s: ambiguous option -- %s", prog, name)
		case !matched || spec == nil:
			return nil, fmt.Errorf("%s: unknown option -- %s", prog, typed)
		}
		if spec.arg && !hasVal {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%s: option requires an argument -- %s", prog, typed)
			}
			i++
			val = args[i]
		} else if !spec.arg && hasVal {
			return nil, fmt.Errorf("%s: option doesn't take an argument -- %s", prog, name)
		}
		st.want |= spec.flag
		if spec.handle != nil {
			if err := spec.handle(st, val); err != nil {
				return nil, err
			}
		}
	}
	return pkgs, nil
}

// personalityFor picks the personality as pkgconf does from argv[0]: a
// name "TRIPLET-pkg..." loads TRIPLET.personality when it exists.
func personalityFor(argv0, explicit string) (*pkgconfig.Personality, error) {
	if explicit != "" {
		p, err := pkgconfig.LoadPersonality(explicit)
		if err != nil && !strings.Contains(explicit, "/") && !strings.HasSuffix(explicit, ".personality") && !personalityFileExists(explicit) {
			// pkgconf uses the default personality for a triplet it
			// has no file for
			return pkgconfig.DefaultPersonality(), nil
		}
		return p, err
	}
	base := filepath.Base(argv0)
	if i := strings.Index(base, "-pkg"); i > 0 {
		if p, err := pkgconfig.LoadPersonality(base[:i]); err == nil {
			return p, nil
		}
	}
	return pkgconfig.DefaultPersonality(), nil
}

// personalityFileExists reports whether some personality directory has a
// file (readable or not) for triplet.
func personalityFileExists(triplet string) bool {
	for _, d := range pkgconfig.PersonalityDirs {
		if _, err := os.Stat(filepath.Join(d, triplet+".personality")); err == nil {
			return true
		}
	}
	return false
}

func run(ctx context.Context, argv []string, stdout, stderr io.Writer) int {
	return runEnv(ctx, argv, os.Environ(), stdout, stderr)
}

// runEnv is run with an explicit environment ("KEY=value" strings).
func runEnv(ctx context.Context, argv, env []string, stdout, stderr io.Writer) int {
	out := bufio.NewWriterSize(stdout, 512)
	defer out.Flush()
	// pkgconf names itself "pkgconf" in its messages whatever argv[0] is
	const prog = "pkgconf"
	var st cli
	var args []string
	if len(argv) > 1 {
		args = argv[1:]
	}
	queries, err := parseArgs(prog, args, &st, envHas(env, "POSIXLY_CORRECT"))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintln(stderr, prog+":", err)
		return 1
	}
	if st.version {
		io.WriteString(out, pkgconfig.PkgconfVersion+"\n")
		return 0
	}
	if st.about {
		fmt.Fprintf(out, "pkgconf %s (hostkit pure-Go reimplementation)\n", pkgconfig.PkgconfVersion)
		return 0
	}
	if st.help {
		usage(out)
		return 0
	}
	if st.atleastPkgconf != nil {
		if pkgconfig.CompareVersions(pkgconfig.PkgconfVersion, *st.atleastPkgconf) >= 0 {
			return 0
		}
		return 1
	}
	argv0 := ""
	if len(argv) > 0 {
		argv0 = argv[0]
	}
	pers, err := personalityFor(argv0, st.personality)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	w := st.want
	if envHas(env, "PKG_CONFIG_DEBUG_SPEW") {
		w |= wPrintErrors
	}
	if w&wDumpPersonality != 0 {
		dumpPersonality(out, pers)
		return 0
	}

	// where errors go
	var errw io.Writer = stderr
	if w&wErrorsStdout != 0 {
		errw = out
	}
	if w&wValidate != 0 {
		errw = out // pkgconf --validate reports on stdout
	}
	printErrors := w&wPrintErrors != 0 || w&(wCflags|wLibs|wModversion|wVariables|wValidate) != 0
	if w&wSilence != 0 {
		printErrors = false
	}
	if !printErrors {
		errw = io.Discard
	}
	writeErr := func(s string) {
		if errw != out {
			out.Flush()
		}
		io.WriteString(errw, s)
	}

	opts := pkgconfig.Options{
		Env:              env,
		Personality:      pers,
		WithPath:         st.withPath,
		Define:           st.defines,
		Static:           w&wStatic != 0,
		Shared:           w&wShared != 0,
		Pure:             w&wPure != 0,
		KeepSystemCflags: w&wKeepSysCflags != 0,
		KeepSystemLibs:   w&wKeepSysLibs != 0,
		EnvOnly:          w&wEnvOnly != 0,
		NoUninstalled:    w&wNoUninstalled != 0,
		IgnoreConflicts:  w&wIgnoreConflicts != 0,
		NoProvides:       w&wNoProvides != 0,
		InternalCflags:   w&wInternalCflags != 0,
		MaxDepth:         st.maxDepth,
		// one query, then exit: reading every other file ahead would
		// only cost time
		NoPreload: true,
	}
	if w&wValidate != 0 && printErrors {
		// --silence-errors silences the warnings too
		opts.Warn = func(d pkgconfig.Diagnostic) { fmt.Fprintln(out, d.String()) }
	}
	if w&wExists != 0 && !opts.Static {
		// Debian's pkgconf walks Requires.private for --exists (and so for
		// everything else printed in the same run), without Libs.private
		opts.Static, opts.Pure = true, true
	}
	client, err := pkgconfig.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, prog+":", err)
		return 1
	}
	sess := client.NewSession()
	sess.Report = writeErr
	sess.SimplifyErrors = w&wShortErrors != 0

	if w&wListAll != 0 || w&wListNames != 0 {
		// entries are printed as the scan reads them, between the
		// --validate warnings; --list-all wins over --list-package-names
		client.ListEach(func(p *pkgconfig.Package) {
			if w&wListAll == 0 {
				fmt.Fprintln(out, p.ID)
			} else {
				fmt.Fprintf(out, "%-30s %s - %s\n", p.ID, p.Name, p.Description)
			}
		})
		return 0
	}

	if st.atleast != nil || st.exact != nil || st.maxVersion != nil {
		var deps []pkgconfig.Dependency
		for _, q := range queries {
			deps = append(deps, pkgconfig.ParseDependencies(q)...)
		}
		for _, d := range deps {
			p, err := client.Find(d.Name)
			if err != nil {
				// writeErr prints only when errors are printed: with
				// --print-errors and also with --cflags, --libs ...
				writeErr(fmt.Sprintf("Package '%s' was not found\n", d.Name))
				return 1
			}
			cmp := pkgconfig.CompareVersions(p.Version, "")
			switch {
			case st.atleast != nil:
				cmp = pkgconfig.CompareVersions(p.Version, *st.atleast)
				if cmp >= 0 {
					return 0
				}
			case st.exact != nil:
				cmp = pkgconfig.CompareVersions(p.Version, *st.exact)
				if cmp == 0 {
					return 0
				}
			default:
				cmp = pkgconfig.CompareVersions(p.Version, *st.maxVersion)
				if cmp <= 0 {
					return 0
				}
			}
		}
		return 1
	}

	// queue the packages: "name OP version" given as three arguments
	// becomes one query
	var queue []string
	for i := 0; i < len(queries); i++ {
		// pkgconf drops leading white space (C isspace) and skips what
		// is then empty
		q := strings.TrimLeft(queries[i], " \t\n\v\f\r")
		if q == "" {
			continue
		}
		if i+1 < len(queries) && len(queries[i+1]) > 0 && strings.ContainsRune("<>!=", rune(queries[i+1][0])) {
			third := "(null)"
			if i+2 < len(queries) {
				third = queries[i+2]
			}
			q = q + " " + queries[i+1] + " " + third
			i += 2
		}
		queue = append(queue, q)
	}
	if len(queue) == 0 {
		fmt.Fprintln(stderr, "Please specify at least one package name on the command line.")
		return 1
	}

	world := client.Compile(queue...)
	var verr error
	if w&wRequiresPrivate != 0 {
		verr = sess.ValidateAll(world)
	} else {
		verr = sess.Validate(world)
	}
	if verr != nil {
		return 1
	}
	if w&wValidate != 0 || w&wExists != 0 && w&(wCflags|wLibs|wModversion|wVariables|wRequires|wRequiresPrivate|wProvides|wPath|wUninstalled) == 0 && !st.variableSet {
		return 0
	}
	matches := sess.Matches(world)

	if w&wUninstalled != 0 {
		if sess.AnyUninstalled(world) {
			return 0
		}
		return 1
	}
	if w&wProvides != 0 {
		w &^= wCflags | wLibs
		for _, p := range matches {
			for _, d := range p.Provides {
				fmt.Fprintln(out, d.String())
			}
		}
	}
	if w&wModversion != 0 {
		w &^= wCflags | wLibs
		for _, p := range matches {
			fmt.Fprintln(out, p.Version)
		}
	}
	if w&wPath != 0 {
		w &^= wCflags | wLibs
		for _, p := range matches {
			if p.Path != "" {
				fmt.Fprintln(out, p.Path)
			}
		}
	}
	if w&wVariables != 0 {
		w &^= wCflags | wLibs
		for _, p := range matches {
			for _, n := range p.VariableNames() {
				fmt.Fprintln(out, n)
			}
		}
	}
	if st.variableSet {
		w &^= wCflags | wLibs
		for i, p := range matches {
			if i > 0 {
				io.WriteString(out, " ")
			}
			if v, ok := p.Variable(client, st.variable); ok {
				io.WriteString(out, v)
			}
		}
		io.WriteString(out, "\n")
	}
	if w&wRequires != 0 {
		w &^= wCflags | wLibs
		for _, p := range matches {
			for _, d := range p.Requires {
				fmt.Fprintln(out, d.String())
			}
		}
	}
	if w&wRequiresPrivate != 0 {
		w &^= wCflags | wLibs
		for _, p := range matches {
			for _, d := range p.RequiresPrivate {
				fmt.Fprintln(out, d.String())
			}
		}
	}
	rc := 0
	if w&wCflags != 0 {
		frags, err := sess.Cflags(client.Compile(queue...))
		if err != nil {
			io.WriteString(out, "\n")
			return 1
		}
		io.WriteString(out, client.FilterCflags(frags, w&wCflagsI != 0, w&wCflagsOther != 0).String())
	}
	if w&wLibs != 0 {
		frags, err := sess.Libs(client.Compile(queue...))
		if err != nil {
			io.WriteString(out, "\n")
			return 1
		}
		io.WriteString(out, client.FilterLibs(frags, w&wLibsL != 0, w&wLibsl != 0, w&wLibsOther != 0).String())
	}
	if w&(wCflags|wLibs) != 0 {
		io.WriteString(out, "\n")
	}
	return rc
}

func dumpPersonality(out io.Writer, p *pkgconfig.Personality) {
	fmt.Fprintf(out, "Triplet: %s\n", p.Triplet)
	if p.SysrootDir != "" {
		fmt.Fprintf(out, "SysrootDir: %s\n", p.SysrootDir)
	}
	fmt.Fprintf(out, "DefaultSearchPaths: ")
	for _, d := range p.DefaultSearchPath {
		if _, err := os.Stat(d); err == nil || p.Triplet != "default" {
			fmt.Fprintf(out, "%s ", d)
		}
	}
	fmt.Fprintf(out, "\nSystemIncludePaths: ")
	for _, d := range p.SystemIncludePaths {
		fmt.Fprintf(out, "%s ", d)
	}
	fmt.Fprintf(out, "\nSystemLibraryPaths: ")
	for _, d := range p.SystemLibraryPaths {
		fmt.Fprintf(out, "%s ", d)
	}
	fmt.Fprintf(out, "\n")
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `usage: pkgconf [OPTIONS] [LIBRARIES]

basic options:
  --help                            this message
  --about                           print pkgconf version and license to stdout
  --version                         print supported pkg-config version to stdout
  --atleast-pkgconfig-version       check whether or not pkgconf is compatible
                                    with a specified pkg-config version
  --errors-to-stdout                print all errors on stdout instead of stderr
  --print-errors                    ensure all errors are printed
  --short-errors                    be less verbose about some errors
  --silence-errors                  explicitly be silent about errors
  --list-all                        list all known packages
  --list-package-names              list all known package names
  --validate                        validate specific .pc files for correctness

cross-compilation personality support:
  --personality=triplet|filename    sets the personality to 'triplet' or a file named 'filename'
  --dump-personality                dumps details concerning selected personality

checking specific pkg-config database entries:
  --atleast-version                 require a specific version of a module
  --exact-version                   require an exact version of a module
  --max-version                     require a maximum version of a module
  --exists                          check whether or not a module exists
  --uninstalled                     check whether or not an uninstalled module will be used
  --no-uninstalled                  never use uninstalled modules when satisfying dependencies
  --no-provides                     do not use 'provides' rules to resolve dependencies
  --maximum-traverse-depth          maximum allowed depth for dependency graph
  --static                          be more aggressive when computing dependency graph
                                    (for static linking)
  --shared                          use a simplified dependency graph (usually default)
  --pure                            optimize a static dependency graph as if it were a normal
                                    dependency graph
  --env-only                        look only for package entries in PKG_CONFIG_PATH
  --ignore-conflicts                ignore 'conflicts' rules in modules
  --validate                        validate specific .pc files for correctness

querying specific pkg-config database fields:
  --define-variable=varname=value   define variable 'varname' as 'value'
  --variable=varname                print specified variable entry to stdout
  --cflags                          print required CFLAGS to stdout
  --cflags-only-I                   print required include-dir CFLAGS to stdout
  --cflags-only-other               print required non-include-dir CFLAGS to stdout
  --libs                            print required linker flags to stdout
  --libs-only-L                     print required LDPATH linker flags to stdout
  --libs-only-l                     print required LIBNAME linker flags to stdout
  --libs-only-other                 print required other linker flags to stdout
  --print-requires                  print required dependency frameworks to stdout
  --print-requires-private          print required dependency frameworks for static
                                    linking to stdout
  --print-provides                  print provided dependencies to stdout
  --print-variables                 print all known variables in module to stdout
  --path                            show the exact filenames for any matching .pc files
  --modversion                      print the specified module's version to stdout
  --internal-cflags                 do not filter 'internal' cflags from output
  --keep-system-cflags              keep -I%s entries in cflags output
  --keep-system-libs                keep -L%s entries in libs output
  --with-path=path                  adds a directory to the search path
`, "/usr/include", "/usr/lib")
}

func envHas(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}
