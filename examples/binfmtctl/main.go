// Command binfmtctl manages binfmt_misc handlers: list and inspect them,
// print or install QEMU's registrations, remove them, and say which handler
// runs a file or why a file does not run ("exec format error").
//
// Usage:
//
//	binfmtctl [--mount DIR] [--json] COMMAND [options] [args]
//
//	list                      the registered entries, in the order the kernel tries them
//	status                    whether binfmt_misc is mounted and enabled
//	conf [--qemu-path DIR] [--suffix S] [--flags POCF] [ARCH...|all]
//	                          print QEMU's registrations as binfmt.d lines
//	install [same options] [--replace] ARCH...|all
//	                          register QEMU's handlers, skipping the host's own family
//	                          (mounting binfmt_misc first when it is absent)
//	uninstall NAME|GLOB...    remove entries (a glob never removes WSLInterop)
//	apply [--root DIR] [FILE...]
//	                          register the rules of binfmt.d files, as systemd-binfmt
//	                          does (default: every file in the four binfmt.d directories)
//	match FILE...             which entry runs each file, or why none does
//	why [--root DIR] FILE...  whether each file runs here and, if not, why
//	sandbox [conf options] ARCH...|all -- COMMAND [ARG...]
//	                          run COMMAND in a new user and mount namespace with a
//	                          private binfmt_misc holding those handlers (Linux 6.7+)
//
// --mount names the binfmt_misc mount (default /proc/sys/fs/binfmt_misc);
// --json prints machine-readable output. The exit status is 0 on success, 1
// when an operation failed or a file does not run (why), 2 on bad usage.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hostkit-dev/hostkit/binfmt"
)

func main() {
	binfmt.SandboxMain()
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

type app struct {
	ctx            context.Context
	stdout, stderr io.Writer
	mount          string
	json           bool
}

const usage = `usage: binfmtctl [--mount DIR] [--json] COMMAND [options] [args]

commands:
  list                      registered entries, in the order the kernel tries them
  status                    whether binfmt_misc is mounted and enabled
  conf [--qemu-path DIR] [--suffix S] [--flags POCF] [ARCH...|all]
                            print QEMU's registrations as binfmt.d lines
  install [same options] [--replace] ARCH...|all
                            register QEMU's handlers (skipping the host's family)
  uninstall NAME|GLOB...    remove entries
  apply [--root DIR] [FILE...]
                            register binfmt.d rules as systemd-binfmt does
  match FILE...             which entry runs each file, or why none does
  why [--root DIR] FILE...  whether each file runs here and, if not, why
  sandbox [conf options] ARCH...|all -- COMMAND [ARG...]
                            run COMMAND with a private binfmt_misc holding those
                            handlers, in a new user and mount namespace
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, stdout: stdout, stderr: stderr}
	global := flag.NewFlagSet("binfmtctl", flag.ContinueOnError)
	global.SetOutput(stderr)
	global.Usage = func() { fmt.Fprint(stderr, usage) }
	a.common(global)
	if err := global.Parse(args); err != nil {
		return 2
	}
	if global.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := global.Arg(0), global.Args()[1:]
	switch cmd {
	case "list":
		return a.list(rest)
	case "status":
		return a.status(rest)
	case "conf":
		return a.conf(rest, false)
	case "install":
		return a.conf(rest, true)
	case "uninstall":
		return a.uninstall(rest)
	case "apply":
		return a.apply(rest)
	case "match":
		return a.match(rest)
	case "why":
		return a.why(rest)
	case "sandbox":
		return a.sandbox(rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "binfmtctl: unknown command %q\n%s", cmd, usage)
	return 2
}

// common defines the global flags on a flag set (so they work before and
// after the command).
func (a *app) common(fs *flag.FlagSet) {
	fs.StringVar(&a.mount, "mount", a.mount, "binfmt_misc mount `DIR` (default "+binfmt.DefaultDir+")")
	fs.BoolVar(&a.json, "json", a.json, "print JSON")
}

func (a *app) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("binfmtctl "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	a.common(fs)
	return fs
}

func (a *app) fail(format string, args ...any) int {
	fmt.Fprintf(a.stderr, "binfmtctl: "+format+"\n", args...)
	return 1
}

func (a *app) printJSON(v any) int {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return a.fail("%v", err)
	}
	return 0
}

func (a *app) open() (*binfmt.Mount, int) {
	m, err := binfmt.Open(a.mount)
	if err != nil {
		return nil, a.fail("%v", err)
	}
	return m, 0
}
