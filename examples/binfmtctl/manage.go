package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/hostkit-dev/hostkit/binfmt"
)

// uninstall removes entries by name or glob; an argument that is exactly an
// entry's name removes that entry only (names may hold glob characters).
func (a *app) uninstall(args []string) int {
	fs := a.flags("uninstall")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(a.stderr, "binfmtctl uninstall: name the entries (names or globs such as qemu-*)")
		return 2
	}
	m, rc := a.open()
	if m == nil {
		return rc
	}
	names, err := m.Names()
	if err != nil {
		return a.fail("%v", err)
	}
	var removed []string
	failed := false
	for _, pat := range fs.Args() {
		// An entry whose name is exactly the argument is that entry (names
		// may hold glob characters and backslashes); otherwise the
		// argument is a pattern.
		exact := slices.Contains(names, pat)
		isGlob := !exact && strings.ContainsAny(pat, "*?[")
		if _, err := path.Match(pat, ""); err != nil && !exact {
			fmt.Fprintf(a.stderr, "binfmtctl uninstall: bad pattern %q: %v\n", pat, err)
			return 2
		}
		matched := false
		for _, n := range names {
			if exact && n != pat {
				continue
			}
			if ok, _ := path.Match(pat, n); !exact && (!ok || isGlob && n == "WSLInterop") {
				continue
			}
			matched = true
			if err := m.Remove(n); err != nil && !errors.Is(err, binfmt.ErrNotFound) {
				fmt.Fprintf(a.stderr, "binfmtctl: %v\n", err)
				failed = true
				continue
			}
			removed = append(removed, n)
		}
		if !matched && !isGlob {
			fmt.Fprintf(a.stderr, "binfmtctl: no entry %q\n", pat)
			failed = true
		}
	}
	if a.json {
		a.printJSON(map[string][]string{"removed": removed})
	} else {
		for _, n := range removed {
			fmt.Fprintln(a.stdout, "removed", n)
		}
	}
	if failed {
		return 1
	}
	return 0
}

// apply registers binfmt.d rules like systemd-binfmt: each rule replaces an
// entry of the same name; a bad line is reported and the others applied.
func (a *app) apply(args []string) int {
	fs := a.flags("apply")
	root := fs.String("root", "", "read the binfmt.d directories under `DIR`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var rules []binfmt.ConfRule
	var loadErr error
	if fs.NArg() == 0 {
		rules, loadErr = binfmt.LoadBinfmtD(*root, nil)
	} else {
		var errs []error
		for _, f := range fs.Args() {
			data, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			rs, err := binfmt.ParseBinfmtD(bytes.NewReader(data), f)
			rules = append(rules, rs...)
			errs = append(errs, err)
		}
		loadErr = errors.Join(errs...)
	}
	code := 0
	if loadErr != nil {
		fmt.Fprintf(a.stderr, "binfmtctl apply: %v\n", loadErr)
		code = 1
	}
	m, rc := a.open()
	if m == nil {
		return rc
	}
	applied := 0
	for _, r := range rules {
		if err := m.Register(r.Registration, binfmt.RegisterOptions{Replace: true}); err != nil {
			fmt.Fprintf(a.stderr, "binfmtctl apply: %s:%d: %v\n", r.File, r.Line, err)
			code = 1
			continue
		}
		applied++
	}
	if a.json {
		a.printJSON(map[string]int{"applied": applied, "rules": len(rules)})
	} else if applied != len(rules) || code != 0 {
		fmt.Fprintf(a.stdout, "applied %d of %d rules\n", applied, len(rules))
	}
	return code
}
