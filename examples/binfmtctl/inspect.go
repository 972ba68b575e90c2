package main

import (
	"fmt"

	"github.com/hostkit-dev/hostkit/binfmt"
)

// match says which entry the kernel would use for each file.
func (a *app) match(args []string) int {
	fs := a.flags("match")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(a.stderr, "binfmtctl match: name the files")
		return 2
	}
	m, rc := a.open()
	if m == nil {
		return rc
	}
	type matchJSON struct {
		File    string        `json:"file"`
		Entry   string        `json:"entry,omitempty"`
		Reason  string        `json:"reason"`
		Skipped []binfmt.Skip `json:"skipped,omitempty"`
		Error   string        `json:"error,omitempty"`
	}
	var out []matchJSON
	code := 0
	for _, f := range fs.Args() {
		res, err := m.Match(f)
		j := matchJSON{File: f, Reason: res.Reason, Skipped: res.Skipped}
		if err != nil {
			j.Error, code = err.Error(), 1
		} else if res.Entry != nil {
			j.Entry = res.Entry.Name
		}
		out = append(out, j)
	}
	if a.json {
		a.printJSON(out)
		return code
	}
	for _, j := range out {
		switch {
		case j.Error != "":
			fmt.Fprintf(a.stdout, "%s: error: %s\n", j.File, j.Error)
		case j.Entry != "":
			fmt.Fprintf(a.stdout, "%s: %s (%s)\n", j.File, j.Entry, j.Reason)
		default:
			fmt.Fprintf(a.stdout, "%s: no entry (%s)\n", j.File, j.Reason)
		}
		for _, s := range j.Skipped {
			fmt.Fprintf(a.stdout, "  skipped %s: %s\n", s.Name, s.Reason)
		}
	}
	return code
}

// why diagnoses each file (binfmt.Diagnose).
func (a *app) why(args []string) int {
	fs := a.flags("why")
	root := fs.String("root", "", "the root `DIR` the program runs in (a container or chroot)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(a.stderr, "binfmtctl why: name the files")
		return 2
	}
	var ds []*binfmt.Diagnosis
	code := 0
	for _, f := range fs.Args() {
		d, err := binfmt.Diagnose(a.ctx, f, binfmt.DiagnoseOptions{MountDir: a.mount, Root: *root})
		if err != nil {
			a.fail("%v", err)
			code = 1
			continue
		}
		if !d.Runs {
			code = 1
		}
		ds = append(ds, d)
	}
	if a.json {
		a.printJSON(ds)
		return code
	}
	for _, d := range ds {
		fmt.Fprintln(a.stdout, d.Summary())
		if d.Entry != nil {
			fmt.Fprintf(a.stdout, "  entry %s: %s\n", d.Entry.Name, d.Match.Reason)
		}
		for _, p := range d.Problems {
			kind := "warning"
			if p.Fatal {
				kind = "error"
			}
			fmt.Fprintf(a.stdout, "  %s [%s]: %s\n", kind, p.Code, p.Message)
			if p.Fix != "" {
				fmt.Fprintf(a.stdout, "    fix: %s\n", p.Fix)
			}
		}
	}
	return code
}
