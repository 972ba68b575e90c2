package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hostkit-dev/hostkit/binfmt"
)

func init() {
	registerWithFlags(20, "binfmt", "Foreign-architecture programs (binfmt_misc)", func(fs *flag.FlagSet) runFunc {
		dir := fs.String("binfmt-mount", binfmt.DefaultDir, "binfmt_misc mount to report on")
		return func(ctx context.Context, s *Section) { reportBinfmt(ctx, s, *dir) }
	})
}

// binfmtData is the section's --json data.
type binfmtData struct {
	Mount      string          `json:"mount"`
	Mounted    bool            `json:"mounted"`
	Enabled    bool            `json:"enabled"`
	HostFamily string          `json:"host_family"`
	Entries    []binfmtHandler `json:"entries"`
	CanRun     []string        `json:"can_run"`
	Configured []string        `json:"configured,omitempty"`
	Emulators  []string        `json:"emulators,omitempty"`
}

type binfmtHandler struct {
	Name        string `json:"name"`
	Enabled     bool   `json:"enabled"`
	Arch        string `json:"arch,omitempty"`
	Flags       string `json:"flags"`
	Interpreter string `json:"interpreter"`
}

// reportBinfmt says whether binfmt_misc is mounted and enabled, lists the
// handlers, and which foreign architectures this host can run through them.
// Everything it reads is world-readable; it changes nothing.
func reportBinfmt(ctx context.Context, s *Section, dir string) {
	d := binfmtData{Mount: dir, HostFamily: binfmt.HostFamily(), Entries: []binfmtHandler{}, CanRun: []string{}}
	s.Data = &d
	s.Add("host CPU family", d.HostFamily+" (runs natively; emulators for it are skipped)")
	m, err := binfmt.Open(dir)
	switch {
	case errors.Is(err, binfmt.ErrNotMounted):
		s.Addf("binfmt_misc", "not mounted at %s: no foreign program runs (mount -t binfmt_misc binfmt_misc %s)", dir, dir)
	case err != nil:
		s.Miss("binfmt_misc at %s: %v", dir, err)
	default:
		d.Mounted = true
		if d.Enabled, err = m.Enabled(); err != nil {
			s.Miss("binfmt_misc status: %v", err)
		}
		entries, err := m.Entries()
		if err != nil {
			s.Miss("binfmt_misc entries: %v", err)
		}
		state := "enabled"
		if !d.Enabled {
			state = "disabled as a whole (status)"
		}
		s.Addf("binfmt_misc", "mounted at %s, %s, %d entries", dir, state, len(entries))
		var lines []string
		for _, e := range entries {
			h := binfmtHandler{Name: e.Name, Enabled: e.Enabled, Flags: e.Flags.String(), Interpreter: e.Interpreter, Arch: entryArch(e.Registration)}
			d.Entries = append(d.Entries, h)
			st := "on "
			if !e.Enabled {
				st = "off"
			}
			what := h.Arch
			if e.Kind == binfmt.KindExtension {
				what = "*." + e.Extension
			}
			flags := h.Flags
			if flags == "" {
				flags = "-"
			}
			lines = append(lines, fmt.Sprintf("%s %-18s %-12s %-4s %s", st, e.Name, what, flags, e.Interpreter))
		}
		if len(lines) > 0 {
			s.Add("handlers (kernel order)", strings.Join(lines, "\n"))
		}
		for _, tg := range binfmt.QEMUTargets() {
			if ctx.Err() != nil {
				s.Miss("stopped: %v", ctx.Err())
				return
			}
			if tg.Family == d.HostFamily {
				continue
			}
			f := binfmt.Facts{Path: "/" + tg.Name, Header: tg.Magic(), Mounted: true, Enabled: d.Enabled, MountDir: dir,
				Entries: entries, HostFamily: d.HostFamily,
				Interpreter: func(p string, _ bool) binfmt.InterpreterInfo { return binfmt.InspectInterpreter(p) }}
			if binfmt.Explain(f).Runs {
				d.CanRun = append(d.CanRun, tg.Name)
			}
		}
	}
	if len(d.CanRun) > 0 {
		s.Add("foreign architectures it can run", strings.Join(d.CanRun, " "))
	} else {
		s.Add("foreign architectures it can run", "none")
	}
	rules, err := binfmt.LoadBinfmtD("", nil)
	if err != nil {
		s.Miss("binfmt.d: %v", err)
	}
	for _, r := range rules {
		d.Configured = append(d.Configured, r.Registration.Name)
	}
	if len(rules) > 0 {
		note := ""
		if !d.Mounted {
			note = " (applied by systemd-binfmt once binfmt_misc is mounted)"
		}
		s.Addf("configured in binfmt.d", "%d rules%s: %s", len(rules), note, strings.Join(d.Configured, " "))
	}
	for _, tg := range binfmt.QEMUTargets() {
		p := tg.Interpreter(binfmt.QEMUOptions{Suffix: "-static"})
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			d.Emulators = append(d.Emulators, tg.Program)
		}
	}
	d.Emulators = dedup(d.Emulators)
	if len(d.Emulators) > 0 {
		s.Addf("static QEMU emulators", "%d in %s: %s", len(d.Emulators), binfmt.DefaultQEMUDir, strings.Join(d.Emulators, " "))
	} else {
		s.Add("static QEMU emulators", "none in "+binfmt.DefaultQEMUDir+" (apt-get install qemu-user-static)")
	}
}

// entryArch names the QEMU target an entry's magic is for, or "".
func entryArch(r binfmt.Registration) string {
	if r.Kind != binfmt.KindMagic || r.Offset != 0 {
		return ""
	}
	h := make([]byte, 64)
	copy(h, r.Magic)
	if a, err := binfmt.DetectArch(h); err == nil && r.Matches(h, "") {
		return a.Target
	}
	return ""
}

func dedup(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}
