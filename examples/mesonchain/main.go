// Command mesonchain builds a chain of meson projects into a prefix (or
// one each), in dependency order, with a progress display, and prints
// where everything went and the environment to use it.
//
// Usage:
//
//	mesonchain [flags] [chain.json]
//
// The chain comes from a JSON file (see mesonbuild.ChainFile), from -p
// flags, or both (flags add projects and override the file's settings):
//
//	mesonchain -prefix ~/prefix -workdir ~/work -runpath \
//	    -p wlroots=~/src/wlroots -p sway=~/src/sway:wlroots \
//	    -D wlroots:examples=false -clangd ~/src
//
// Exit status: 0 when every project is built or up to date, 1 when one
// failed (its error, with the relevant log lines, goes to standard error),
// 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/hostkit-dev/hostkit/mesonbuild"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// listFlag collects repeated flag values.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mesonchain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		file         = fs.String("f", "", "chain file (JSON); may also be given as the argument")
		prefix       = fs.String("prefix", "", "install prefix (with -prefix-per-project, the directory of per-project prefixes)")
		perProject   = fs.Bool("prefix-per-project", false, "install each project into PREFIX/<name>")
		workdir      = fs.String("workdir", "", "directory for build directories (default: the chain file's directory, or the current one)")
		buildtype    = fs.String("buildtype", "", "default meson build type")
		pkgconfig    = fs.String("pkg-config", "", "pkg-config program for meson to use")
		replacePC    = fs.Bool("replace-pkg-config-path", false, "search only the prefixes' .pc files (PKG_CONFIG_LIBDIR) instead of adding them before the system's")
		runpath      = fs.Bool("runpath", false, "link programs with a RUNPATH to the prefixes' library directories")
		envScript    = fs.String("env-script", "", "write a shell script that sets the environment for using the results")
		clangd       = fs.String("clangd", "", "write the merged compile_commands.json into this directory")
		clangdSource = fs.Bool("clangd-source-config", false, "also write a .clangd into each project's source directory")
		keepGoing    = fs.Bool("keep-going", false, "build projects that do not depend on a failed one")
		force        = fs.Bool("force", false, "rebuild every project even when up to date")
		checkLinking = fs.Bool("check-linking", false, "report how each installed program resolves its libraries")
		verbose      = fs.Bool("v", false, "copy meson's and ninja's output to standard error")
		projects     listFlag
		options      listFlag
	)
	fs.Var(&projects, "p", "project `name=source[:dep,dep...]` (repeatable)")
	fs.Var(&options, "D", "option `project:name=value` for a project (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mesonchain [flags] [chain.json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 || fs.NArg() == 1 && *file != "" {
		fmt.Fprintln(stderr, "mesonchain: give one chain file")
		return 2
	}
	if fs.NArg() == 1 {
		*file = fs.Arg(0)
	}

	chain := &mesonbuild.Chain{}
	if *file != "" {
		data, err := os.ReadFile(*file)
		if err != nil {
			fmt.Fprintln(stderr, "mesonchain:", err)
			return 2
		}
		abs, _ := filepath.Abs(*file)
		if chain, err = mesonbuild.ParseChainFile(*file, data, filepath.Dir(abs)); err != nil {
			fmt.Fprintln(stderr, "mesonchain:", err)
			return 2
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	str := func(name string, dst *string, v string) {
		if set[name] {
			*dst = v
		}
	}
	boolean := func(name string, dst *bool, v bool) {
		if set[name] {
			*dst = v
		}
	}
	str("prefix", &chain.Prefix, *prefix)
	str("workdir", &chain.WorkDir, *workdir)
	str("buildtype", &chain.BuildType, *buildtype)
	str("pkg-config", &chain.PkgConfig, *pkgconfig)
	str("env-script", &chain.EnvScript, *envScript)
	str("clangd", &chain.Clangd, *clangd)
	boolean("prefix-per-project", &chain.PrefixPerProject, *perProject)
	boolean("replace-pkg-config-path", &chain.ReplacePkgConfigPath, *replacePC)
	boolean("runpath", &chain.Runpath, *runpath)
	boolean("clangd-source-config", &chain.ClangdSourceConfig, *clangdSource)
	boolean("keep-going", &chain.KeepGoing, *keepGoing)
	chain.Force = *force
	for _, p := range projects {
		proj, err := parseProjectFlag(p)
		if err != nil {
			fmt.Fprintln(stderr, "mesonchain:", err)
			return 2
		}
		chain.Projects = append(chain.Projects, proj)
	}
	for _, o := range options {
		if err := applyOptionFlag(chain, o); err != nil {
			fmt.Fprintln(stderr, "mesonchain:", err)
			return 2
		}
	}
	if chain.WorkDir == "" {
		chain.WorkDir = "."
	}
	if chain.Prefix == "" || len(chain.Projects) == 0 {
		fmt.Fprintln(stderr, "mesonchain: need a prefix and at least one project (a chain file, or -prefix and -p)")
		fs.Usage()
		return 2
	}
	if _, err := chain.Order(); err != nil {
		fmt.Fprintln(stderr, "mesonchain:", err)
		return 2
	}

	disp := newDisplay(stderr)
	chain.Progress = disp.progress
	if *verbose {
		chain.Output = stderr
	}
	res, err := chain.Run(ctx)
	disp.finish()
	if res == nil {
		fmt.Fprintln(stderr, "mesonchain:", err)
		return 1
	}
	report(stdout, res)
	if *checkLinking {
		reportLinking(ctx, stdout, res)
	}
	if err != nil {
		fmt.Fprintln(stderr)
		for _, p := range res.Projects {
			if p.Status == mesonbuild.StatusFailed {
				fmt.Fprintln(stderr, p.Err)
			}
		}
		var se *mesonbuild.StepError
		if !errors.As(err, &se) {
			fmt.Fprintln(stderr, "mesonchain:", err)
		}
		return 1
	}
	return 0
}

// parseProjectFlag reads name=source[:dep,dep].
func parseProjectFlag(s string) (mesonbuild.Project, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" || rest == "" {
		return mesonbuild.Project{}, fmt.Errorf("-p %q: want name=source[:dep,dep...]", s)
	}
	src, deps, _ := strings.Cut(rest, ":")
	p := mesonbuild.Project{Name: name, Source: src}
	for _, d := range strings.Split(deps, ",") {
		if d = strings.TrimSpace(d); d != "" {
			p.DependsOn = append(p.DependsOn, d)
		}
	}
	return p, nil
}

// applyOptionFlag reads project:name=value.
func applyOptionFlag(c *mesonbuild.Chain, s string) error {
	proj, kv, ok := strings.Cut(s, ":")
	k, v, ok2 := strings.Cut(kv, "=")
	if !ok || !ok2 || proj == "" || k == "" {
		return fmt.Errorf("-D %q: want project:name=value", s)
	}
	for i := range c.Projects {
		if c.Projects[i].Name == proj {
			if c.Projects[i].Options == nil {
				c.Projects[i].Options = map[string]string{}
			}
			c.Projects[i].Options[k] = v
			return nil
		}
	}
	return fmt.Errorf("-D %q: no project %q", s, proj)
}

// display shows progress: one rewritten status line on a terminal, a
// line per step and per project otherwise.
type display struct {
	w        io.Writer
	tty      bool
	lastLen  int
	hasTrail bool
}

func newDisplay(w io.Writer) *display {
	d := &display{w: w}
	if f, ok := w.(*os.File); ok {
		if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			d.tty = true
		}
	}
	return d
}

func (d *display) progress(p mesonbuild.Progress) {
	switch p.Kind {
	case mesonbuild.ProgressStepStart:
		d.status(fmt.Sprintf("%s: %s", p.Project, p.Step), !d.tty)
	case mesonbuild.ProgressEdge:
		if d.tty {
			d.status(fmt.Sprintf("%s: [%d/%d] %s", p.Project, p.Done, p.Total, p.Description), false)
		}
	case mesonbuild.ProgressProjectDone:
		d.clear()
		fmt.Fprintf(d.w, "%s: %s\n", p.Project, p.Description)
	}
}

func (d *display) status(s string, newline bool) {
	if newline {
		fmt.Fprintln(d.w, s)
		return
	}
	if len(s) > 110 {
		// Cut at a character boundary, never inside a UTF-8 sequence.
		cut := 107
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	pad := ""
	if d.lastLen > len(s) {
		pad = strings.Repeat(" ", d.lastLen-len(s))
	}
	fmt.Fprintf(d.w, "\r%s%s", s, pad)
	d.lastLen, d.hasTrail = len(s), true
}

func (d *display) clear() {
	if d.hasTrail {
		fmt.Fprintf(d.w, "\r%s\r", strings.Repeat(" ", d.lastLen))
		d.hasTrail, d.lastLen = false, 0
	}
}

func (d *display) finish() { d.clear() }

func report(w io.Writer, res *mesonbuild.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECT\tSTATUS\tSETUP\tEDGES\tPREFIX\tBUILD DIR")
	for _, p := range res.Projects {
		setup, edges := "-", "-"
		if p.Status == mesonbuild.StatusBuilt {
			setup, edges = p.Setup.String(), fmt.Sprint(p.Compile.Edges)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Status, setup, edges, p.Prefix, p.BuildDir)
	}
	tw.Flush()
	for _, p := range res.Projects {
		if len(p.Installed) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s installed %d files, among them:\n", p.Name, len(p.Installed))
		for _, f := range interesting(p.Installed, 8) {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	if res.CompileCommands != "" {
		fmt.Fprintf(w, "\ncompile_commands.json: %s (%d entries)\n", res.CompileCommands, res.CompileCommandEntries)
	}
	if res.EnvScript != "" {
		fmt.Fprintf(w, "env script: . %s\n", res.EnvScript)
	}
	fmt.Fprintln(w, "\nenvironment for using the results:")
	for _, kv := range res.Env.Vars(os.Environ()) {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(w, "  export %s=%s\n", k, shellQuote(v))
	}
}

// interesting lists programs, libraries and .pc files first.
func interesting(files []string, max int) []string {
	var first, rest []string
	for _, f := range files {
		if strings.Contains(f, "/bin/") || strings.HasSuffix(f, ".pc") || strings.Contains(filepath.Base(f), ".so") {
			first = append(first, f)
		} else {
			rest = append(rest, f)
		}
	}
	all := append(first, rest...)
	if len(all) > max {
		all = append(all[:max:max], fmt.Sprintf("... and %d more", len(all)-max))
	}
	return all
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-:+,=@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func reportLinking(ctx context.Context, w io.Writer, res *mesonbuild.Result) {
	reps := res.CheckLinking(ctx, nil, nil)
	fmt.Fprintln(w, "\nrun-time linking of installed programs (without LD_LIBRARY_PATH):")
	if len(reps) == 0 {
		fmt.Fprintln(w, "  no dynamically linked programs were installed")
	}
	for _, r := range reps {
		switch {
		case r.Err != nil:
			fmt.Fprintf(w, "  %s: cannot examine: %v\n", r.Program, r.Err)
		case r.OK():
			fmt.Fprintf(w, "  %s: ok (%d libraries from the prefix)\n", r.Program, len(r.FromPrefix))
		default:
			fmt.Fprintf(w, "  %s: PROBLEM", r.Program)
			if len(r.Missing) > 0 {
				fmt.Fprintf(w, "; not found: %s", strings.Join(r.Missing, ", "))
			}
			if len(r.Elsewhere) > 0 {
				fmt.Fprintf(w, "; taken from outside the prefix: %s", strings.Join(r.Elsewhere, ", "))
			}
			fmt.Fprintln(w, " (use -runpath, or source the env script)")
		}
	}
}
