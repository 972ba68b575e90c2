package main

import (
	"encoding/hex"
	"fmt"
	"text/tabwriter"

	"github.com/hostkit-dev/hostkit/binfmt"
)

// entryJSON is an entry as --json prints it.
type entryJSON struct {
	Name        string `json:"name"`
	Enabled     bool   `json:"enabled"`
	Type        string `json:"type"`
	Offset      int    `json:"offset,omitempty"`
	Magic       string `json:"magic,omitempty"`
	Mask        string `json:"mask,omitempty"`
	Extension   string `json:"extension,omitempty"`
	Interpreter string `json:"interpreter"`
	Flags       string `json:"flags"`
	Arch        string `json:"arch,omitempty"`
	Register    string `json:"register"`
}

func toJSON(e binfmt.Entry) entryJSON {
	j := entryJSON{Name: e.Name, Enabled: e.Enabled, Type: e.Kind.String(), Offset: e.Offset, Extension: e.Extension,
		Interpreter: e.Interpreter, Flags: e.Flags.String(), Arch: archOf(e.Registration), Register: e.Registration.String()}
	if e.Kind == binfmt.KindMagic {
		j.Magic = hex.EncodeToString(e.Magic)
		if e.Mask != nil {
			j.Mask = hex.EncodeToString(e.Mask)
		}
	}
	return j
}

// archOf names the QEMU target whose ELF header the entry matches.
func archOf(r binfmt.Registration) string {
	if r.Kind != binfmt.KindMagic || r.Offset != 0 {
		return ""
	}
	h := make([]byte, 64)
	copy(h, r.Magic)
	if a, err := binfmt.DetectArch(h); err == nil && a.Target != "" && r.Matches(h, "") {
		return a.Target
	}
	return ""
}

// list prints the entries in kernel order.
func (a *app) list(args []string) int {
	fs := a.flags("list")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(a.stderr, "binfmtctl list: takes no arguments, got %q\n", fs.Args())
		return 2
	}
	m, rc := a.open()
	if m == nil {
		return rc
	}
	entries, err := m.Entries()
	if err != nil {
		return a.fail("%v", err)
	}
	if a.json {
		out := make([]entryJSON, 0, len(entries))
		for _, e := range entries {
			out = append(out, toJSON(e))
		}
		return a.printJSON(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tMATCHES\tFLAGS\tINTERPRETER")
	for _, e := range entries {
		state := "enabled"
		if !e.Enabled {
			state = "disabled"
		}
		what := archOf(e.Registration)
		if e.Kind == binfmt.KindExtension {
			what = "*." + e.Extension
		} else if what == "" {
			what = fmt.Sprintf("magic %d bytes at %d", len(e.Magic), e.Offset)
		}
		flags := e.Flags.String()
		if flags == "" {
			flags = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Name, state, what, flags, e.Interpreter)
	}
	tw.Flush()
	return 0
}

// status says whether binfmt_misc is mounted and enabled.
func (a *app) status(args []string) int {
	fs := a.flags("status")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(a.stderr, "binfmtctl status: takes no arguments, got %q\n", fs.Args())
		return 2
	}
	type statusJSON struct {
		Mount   string `json:"mount"`
		Mounted bool   `json:"mounted"`
		Enabled bool   `json:"enabled"`
		Entries int    `json:"entries"`
		Error   string `json:"error,omitempty"`
	}
	dir := a.mount
	if dir == "" {
		dir = binfmt.DefaultDir
	}
	st := statusJSON{Mount: dir}
	m, err := binfmt.Open(dir)
	if err == nil {
		st.Mounted = true
		if st.Enabled, err = m.Enabled(); err == nil {
			var names []string
			names, err = m.Names()
			st.Entries = len(names)
		}
	}
	if err != nil {
		st.Error = err.Error()
	}
	if a.json {
		// The same exit status as the text form: 1 when not mounted or
		// unreadable.
		if rc := a.printJSON(st); rc != 0 || !st.Mounted || st.Error != "" {
			return 1
		}
		return 0
	}
	switch {
	case !st.Mounted:
		fmt.Fprintf(a.stdout, "binfmt_misc is not mounted at %s\n", dir)
		return 1
	case st.Error != "":
		return a.fail("%s", st.Error)
	}
	state := "enabled"
	if !st.Enabled {
		state = "disabled"
	}
	fmt.Fprintf(a.stdout, "binfmt_misc at %s: %s, %d entries\n", dir, state, st.Entries)
	return 0
}
