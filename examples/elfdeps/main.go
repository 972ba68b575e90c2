// Command elfdeps inspects ELF files, resolves their libraries as ld.so
// would, finds what is missing, writes wrappers and patches binaries.
//
// Usage:
//
//	elfdeps tree [--json] [--root DIR] [--library-path P] FILE...
//	elfdeps list [--root DIR] [--library-path P] FILE...
//	elfdeps missing [--json] [--candidates DIR:DIR] [--root DIR] DIR...
//	elfdeps wrap --out DIR [--shell SH] [--sep S] [--argv0 inherit|target|NAME]
//	       [--set V=X] [--set-default V=X] [--unset V] [--prefix V=X] [--suffix V=X]
//	       [--prefix-from V=SRC] [--suffix-from V=SRC] [--add-flag A] BIN|DIR...
//	elfdeps patch [patchelf flags] FILE
//
// tree prints the dependency tree the way lddtree does; list prints the
// load order the way `ld.so --list` does (without addresses and the vDSO);
// missing walks directories and names every unresolved library with the
// chain that needs it and the candidate directories that would satisfy it
// (exit status 1 when something is missing); wrap writes a wrapper script per
// program. --prefix-from/--suffix-from take the value from another variable
// when the wrapper runs: `--suffix-from LD_LIBRARY_PATH=NIX_LD_LIBRARY_PATH`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hostkit-dev/hostkit/elfwrap"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  elfdeps tree [--json] [--root DIR] [--library-path P] FILE...
  elfdeps list [--root DIR] [--library-path P] FILE...
  elfdeps missing [--json] [--candidates DIR:DIR] [--root DIR] DIR...
  elfdeps wrap --out DIR [--set/--set-default/--prefix/--suffix VAR=VALUE] [--unset VAR]
               [--prefix-from/--suffix-from VAR=SRCVAR] [--sep S] [--argv0 inherit|target|NAME]
               [--shell PATH] [--add-flag ARG] BIN|DIR...
  elfdeps patch [patchelf flags] FILE`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "patch" {
		return runPatch(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "tree", "list":
		return runResolve(ctx, args[0], args[1:], stdout, stderr)
	case "missing":
		return runMissing(ctx, args[1:], stdout, stderr)
	case "wrap":
		return runWrap(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "elfdeps: unknown command %q\n%s\n", args[0], usage)
	return 2
}

// parseInterspersed parses flags that may come after positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runResolve(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("elfdeps "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	root := fs.String("root", "", "resolve inside this root directory (sysroot, foreign root file system)")
	llp := fs.String("library-path", "", "LD_LIBRARY_PATH to apply (default: none)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "elfdeps %s: no FILE given\n", cmd)
		return 2
	}
	r := &elfwrap.Resolver{Root: *root, LibraryPath: *llp}
	status := 0
	var trees []*elfwrap.Tree
	for _, f := range files {
		res, err := r.Resolve(ctx, f)
		if err != nil {
			fmt.Fprintf(stderr, "elfdeps %s: %v\n", cmd, err)
			status = 1
			continue
		}
		if len(res.Missing) > 0 {
			status = 1
		}
		switch {
		case cmd == "list":
			if len(files) > 1 {
				fmt.Fprintf(stdout, "%s:\n", f)
			}
			if res.Main.Info != nil && !res.Main.Info.Dynamic {
				fmt.Fprintln(stdout, "\tstatically linked")
				continue
			}
			res.WriteList(stdout)
		case *asJSON:
			trees = append(trees, res.Tree())
		default:
			res.Tree().WriteTree(stdout)
		}
	}
	if *asJSON && cmd == "tree" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(trees); err != nil {
			fmt.Fprintln(stderr, "elfdeps:", err)
			return 1
		}
	}
	return status
}

func runMissing(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("elfdeps missing", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	cands := fs.String("candidates", "", "colon-separated directories that might provide missing libraries (e.g. $NIX_LD_LIBRARY_PATH)")
	root := fs.String("root", "", "resolve inside this root directory")
	llp := fs.String("library-path", "", "LD_LIBRARY_PATH to apply (default: none)")
	dirs, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(dirs) == 0 {
		fmt.Fprintln(stderr, "elfdeps missing: no DIR given")
		return 2
	}
	opt := elfwrap.ScanOptions{Resolver: &elfwrap.Resolver{Root: *root, LibraryPath: *llp}}
	if *cands != "" {
		opt.Candidates = filepath.SplitList(*cands)
	}
	status := 0
	var reps []*elfwrap.ScanReport
	for _, d := range dirs {
		rep, err := elfwrap.Scan(ctx, d, opt)
		if err != nil {
			fmt.Fprintf(stderr, "elfdeps missing: %v\n", err)
			return 1
		}
		reps = append(reps, rep)
		if len(rep.Findings) > 0 {
			status = 1
		}
		if *asJSON {
			continue
		}
		for _, f := range rep.Findings {
			fmt.Fprintf(stdout, "%s\n", f.Path)
			for _, m := range f.Missing {
				fmt.Fprintf(stdout, "    %s: not found (needed by %s)\n", m.Name, strings.Join(m.Chain, " -> "))
				if len(m.SatisfiedBy) > 0 {
					fmt.Fprintf(stdout, "        found in: %s\n", strings.Join(m.SatisfiedBy, ", "))
				} else if len(opt.Candidates) > 0 {
					fmt.Fprintf(stdout, "        in no candidate directory\n")
				}
			}
		}
		for p, e := range rep.Errors {
			fmt.Fprintf(stderr, "elfdeps missing: %s: %s\n", p, e)
		}
		fmt.Fprintf(stdout, "%s: %d dynamically linked ELF files, %d with missing libraries\n", d, rep.Files, len(rep.Findings))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reps); err != nil {
			fmt.Fprintln(stderr, "elfdeps:", err)
			return 1
		}
	}
	return status
}

// envFlag collects environment operations in command-line order.
type envFlag struct {
	ops  *[]elfwrap.EnvOp
	kind elfwrap.EnvOpKind
	from bool
	sep  *string
}

func (e envFlag) String() string { return "" }

func (e envFlag) Set(v string) error {
	op := elfwrap.EnvOp{Kind: e.kind, Sep: *e.sep}
	if e.kind == elfwrap.EnvUnset {
		op.Var = v
	} else {
		name, val, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want VAR=VALUE, got %q", v)
		}
		op.Var = name
		if e.from {
			op.FromVar = val
		} else {
			op.Value = val
		}
	}
	*e.ops = append(*e.ops, op)
	return nil
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runWrap(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("elfdeps wrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write the wrappers into (required)")
	shell := fs.String("shell", "/bin/bash", "shell for the wrapper's #! line")
	sep := fs.String("sep", ":", "separator for the --prefix/--suffix flags that follow")
	argv0 := fs.String("argv0", "inherit", `argv[0] policy: inherit (exec -a "$0"), target, or a fixed name`)
	var ops []elfwrap.EnvOp
	var flags listFlag
	fs.Var(envFlag{&ops, elfwrap.EnvSet, false, sep}, "set", "set VAR=VALUE")
	fs.Var(envFlag{&ops, elfwrap.EnvSetDefault, false, sep}, "set-default", "set VAR=VALUE unless VAR is set")
	fs.Var(envFlag{&ops, elfwrap.EnvUnset, false, sep}, "unset", "unset VAR")
	fs.Var(envFlag{&ops, elfwrap.EnvPrefix, false, sep}, "prefix", "prepend VALUE to VAR=VALUE")
	fs.Var(envFlag{&ops, elfwrap.EnvSuffix, false, sep}, "suffix", "append VALUE to VAR=VALUE")
	fs.Var(envFlag{&ops, elfwrap.EnvPrefix, true, sep}, "prefix-from", "prepend the run-time value of SRC: VAR=SRC")
	fs.Var(envFlag{&ops, elfwrap.EnvSuffix, true, sep}, "suffix-from", "append the run-time value of SRC: VAR=SRC")
	fs.Var(&flags, "add-flag", "argument to pass before the caller's")
	bins, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if *out == "" || len(bins) == 0 {
		fmt.Fprintln(stderr, "elfdeps wrap: need --out DIR and at least one BIN")
		return 2
	}
	tmpl := elfwrap.Wrapper{Shell: *shell, Env: ops, Args: flags}
	switch *argv0 {
	case "inherit":
	case "target":
		tmpl.Argv0Policy = elfwrap.Argv0Target
	default:
		tmpl.Argv0Policy, tmpl.Argv0 = elfwrap.Argv0Fixed, *argv0
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(stderr, "elfdeps wrap:", err)
		return 1
	}
	written, err := elfwrap.WrapPrograms(ctx, *out, tmpl, bins...)
	for _, w := range written {
		fmt.Fprintln(stdout, w)
	}
	if err != nil {
		fmt.Fprintln(stderr, "elfdeps wrap:", err)
		return 1
	}
	return 0
}
