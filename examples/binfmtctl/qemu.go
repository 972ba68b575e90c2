package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/hostkit-dev/hostkit/binfmt"
)

// conf prints (install=false) or registers (install=true) QEMU's handlers.
func (a *app) conf(args []string, install bool) int {
	name := "conf"
	if install {
		name = "install"
	}
	fs := a.flags(name)
	dir := fs.String("qemu-path", binfmt.DefaultQEMUDir, "directory of the qemu emulators")
	suffix := fs.String("suffix", "-static", "suffix of the emulators' names (Debian's wrappers: -binfmt-P)")
	flagStr := fs.String("flags", "F", "registration flags, any of P O C F")
	replace := false
	if install {
		fs.BoolVar(&replace, "replace", false, "replace an entry of the same name that differs")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	flags, err := binfmt.ParseFlags(*flagStr)
	if err != nil {
		fmt.Fprintf(a.stderr, "binfmtctl %s: --flags: %v\n", name, err)
		return 2
	}
	targets := fs.Args()
	if install && len(targets) == 0 {
		fmt.Fprintf(a.stderr, "binfmtctl install: name the architectures, or all\n")
		return 2
	}
	opts := binfmt.QEMUOptions{Dir: *dir, Suffix: *suffix, Flags: flags}
	host := binfmt.HostFamily()
	all := len(targets) == 0 || len(targets) == 1 && targets[0] == "all"
	regs, err := binfmt.QEMURegistrations(targets, opts, "")
	if err != nil {
		fmt.Fprintf(a.stderr, "binfmtctl %s: %v\n", name, err)
		return 2
	}
	var keep []binfmt.Registration
	var skipped []string
	for _, r := range regs {
		tg, _ := binfmt.LookupQEMUTarget(strings.TrimPrefix(r.Name, "qemu-"))
		if tg.Family == host && (all || install) {
			skipped = append(skipped, tg.Name)
			continue
		}
		keep = append(keep, r)
	}
	if !install {
		if a.json {
			out := make([]entryJSON, 0, len(keep))
			for _, r := range keep {
				out = append(out, toJSON(binfmt.Entry{Registration: r, Enabled: true}))
			}
			return a.printJSON(out)
		}
		data, err := binfmt.FormatBinfmtD(keep, "")
		if err != nil {
			return a.fail("%v", err)
		}
		a.stdout.Write(data)
		return 0
	}
	// Like qemu-binfmt-conf.sh and tonistiigi/binfmt, install mounts
	// binfmt_misc when it is absent.
	m, err := binfmt.OpenOrMount(a.mount)
	if err != nil {
		return a.fail("%v", err)
	}
	type result struct {
		Name   string `json:"name"`
		Result string `json:"result"`
		Error  string `json:"error,omitempty"`
	}
	var results []result
	for _, s := range skipped {
		results = append(results, result{Name: "qemu-" + s, Result: "skipped", Error: "the host's own family (" + host + ")"})
	}
	failed := false
	for _, r := range keep {
		res := result{Name: r.Name, Result: "installed"}
		err := m.Register(r, binfmt.RegisterOptions{Replace: replace})
		if errors.Is(err, binfmt.ErrExists) {
			if cur, gerr := m.Entry(r.Name); gerr == nil && cur.Registration.Equal(r) {
				res.Result, err = "already installed", nil
			} else {
				err = fmt.Errorf("%w (it differs: use --replace)", err)
			}
		}
		if err != nil {
			res.Result, res.Error, failed = "failed", err.Error(), true
		}
		results = append(results, res)
	}
	if a.json {
		a.printJSON(results)
	} else {
		for _, r := range results {
			line := r.Name + ": " + r.Result
			if r.Error != "" {
				line += ": " + r.Error
			}
			fmt.Fprintln(a.stdout, line)
		}
	}
	if failed {
		return 1
	}
	return 0
}

// sandbox runs a command with a private binfmt_misc holding QEMU handlers.
func (a *app) sandbox(args []string) int {
	fs := a.flags("sandbox")
	dir := fs.String("qemu-path", binfmt.DefaultQEMUDir, "directory of the qemu emulators")
	suffix := fs.String("suffix", "-static", "suffix of the emulators' names")
	flagStr := fs.String("flags", "F", "registration flags, any of P O C F")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	i := 0
	for i < len(rest) && rest[i] != "--" {
		i++
	}
	if i == len(rest) || i == len(rest)-1 || i == 0 {
		fmt.Fprintln(a.stderr, "binfmtctl sandbox: want ARCH...|all -- COMMAND [ARG...]")
		return 2
	}
	flags, err := binfmt.ParseFlags(*flagStr)
	if err != nil {
		fmt.Fprintf(a.stderr, "binfmtctl sandbox: --flags: %v\n", err)
		return 2
	}
	targets := rest[:i]
	skip := ""
	if len(targets) == 1 && targets[0] == "all" {
		skip = binfmt.HostFamily()
	}
	regs, err := binfmt.QEMURegistrations(targets, binfmt.QEMUOptions{Dir: *dir, Suffix: *suffix, Flags: flags}, skip)
	if err != nil {
		fmt.Fprintf(a.stderr, "binfmtctl sandbox: %v\n", err)
		return 2
	}
	sb := &binfmt.Sandbox{Dir: a.mount, Registrations: regs}
	cmd, err := sb.Command(a.ctx, rest[i+1], rest[i+2:]...)
	if err != nil {
		return a.fail("%v", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, a.stdout, a.stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		return a.fail("%v", err)
	}
	return 0
}
