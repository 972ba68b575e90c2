// Command hostreport prints a report on this host by every hostkit package:
// monitors and backlights (ddc), foreign-architecture handlers (binfmt), the
// dynamic loader and unresolved programs (elfwrap), pkg-config and meson
// (mesonbuild), the deploy layout (webdeploy) and certificates (acmeutil).
//
// It runs unprivileged on any Linux machine. What it cannot read it names,
// with the reason (not root, no i2c-dev, no such directory), and where
// hardware is absent it says what it used instead (the simulated monitor).
//
// Usage:
//
//	hostreport [--json] [--timeout D] [--only NAME,...] [section flags]
//
// The exit status is 0 whenever a report could be made, even if some
// sections could not read everything; 2 on bad flags.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Section is one package's part of the report.
type Section struct {
	// Name is the section's short name (the package it reports for).
	Name string `json:"name"`
	// Title is the heading shown in the text report.
	Title string `json:"title"`
	// Facts are what the section found, in order.
	Facts []Fact `json:"facts"`
	// Unavailable lists what the section could not read, each with why.
	Unavailable []string `json:"unavailable,omitempty"`
	// Data is the section's structured result for --json readers.
	Data any `json:"data,omitempty"`
	// Elapsed is how long the section took.
	Elapsed time.Duration `json:"elapsed_ns"`
}

// Fact is one labelled finding.
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Add appends a fact formatted with fmt.Sprint semantics for value.
func (s *Section) Add(label string, value any) {
	s.Facts = append(s.Facts, Fact{Label: label, Value: fmt.Sprint(value)})
}

// Addf appends a fact with a formatted value.
func (s *Section) Addf(label, format string, args ...any) {
	s.Facts = append(s.Facts, Fact{Label: label, Value: fmt.Sprintf(format, args...)})
}

// Miss records something the section could not read and why.
func (s *Section) Miss(format string, args ...any) {
	s.Unavailable = append(s.Unavailable, fmt.Sprintf(format, args...))
}

// runFunc fills in a section. It must respect ctx and never panic on a
// host that lacks what it looks for.
type runFunc func(ctx context.Context, s *Section)

// reporter is a registered section. setup defines the section's own flags
// on the command's flag set and returns the function that runs it.
type reporter struct {
	order int
	name  string
	title string
	setup func(fs *flag.FlagSet) runFunc
	run   runFunc // set by run() after flags are defined
}

var reporters []reporter

// register adds a section without flags; each package's file calls it (or
// registerWithFlags) from init.
func register(order int, name, title string, run runFunc) {
	registerWithFlags(order, name, title, func(*flag.FlagSet) runFunc { return run })
}

// registerWithFlags adds a section that takes flags of its own (a state
// directory, a webroot). Flag names should start with the section's name.
func registerWithFlags(order int, name, title string, setup func(fs *flag.FlagSet) runFunc) {
	reporters = append(reporters, reporter{order: order, name: name, title: title, setup: setup})
}

// Report is the whole report as printed with --json.
type Report struct {
	Generated time.Time `json:"generated"`
	Sections  []Section `json:"sections"`
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hostreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	all := make([]reporter, len(reporters))
	for i, r := range reporters {
		r.run = r.setup(fs)
		all[i] = r
	}
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit for each section")
	only := fs.String("only", "", "comma-separated section names to run (default all)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hostreport: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	selected, err := selectReporters(all, *only)
	if err != nil {
		fmt.Fprintln(stderr, "hostreport:", err)
		return 2
	}
	rep := Report{Generated: time.Now().UTC(), Sections: collect(ctx, selected, *timeout)}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "hostreport:", err)
			return 1
		}
		return 0
	}
	writeText(stdout, rep)
	return 0
}

func selectReporters(all []reporter, only string) ([]reporter, error) {
	sort.SliceStable(all, func(i, j int) bool { return all[i].order < all[j].order })
	if only == "" {
		return all, nil
	}
	byName := map[string]reporter{}
	var names []string
	for _, r := range all {
		byName[r.name] = r
		names = append(names, r.name)
	}
	var out []reporter
	for _, n := range strings.Split(only, ",") {
		r, ok := byName[strings.TrimSpace(n)]
		if !ok {
			return nil, fmt.Errorf("no section %q (have %s)", n, strings.Join(names, ", "))
		}
		out = append(out, r)
	}
	return out, nil
}

// collect runs every section concurrently, each under its own deadline, and
// returns them in report order. A section that panics or overruns is
// reported as such instead of taking the report down.
func collect(ctx context.Context, rs []reporter, timeout time.Duration) []Section {
	out := make([]Section, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = runSection(ctx, r, timeout)
		}()
	}
	wg.Wait()
	return out
}

func runSection(ctx context.Context, r reporter, timeout time.Duration) Section {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	done := make(chan Section, 1)
	go func() {
		s := Section{Name: r.name, Title: r.title}
		defer func() {
			if p := recover(); p != nil {
				s.Miss("the section failed: %v (please report this as a bug)", p)
			}
			done <- s
		}()
		r.run(ctx, &s)
	}()
	select {
	case s := <-done:
		s.Elapsed = time.Since(start)
		return s
	case <-ctx.Done():
	}
	// A section that honours ctx stops its scan and returns what it found
	// with a note; give it a moment to do so before giving up on it.
	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	select {
	case s := <-done:
		s.Elapsed = time.Since(start)
		return s
	case <-grace.C:
		s := Section{Name: r.name, Title: r.title, Elapsed: time.Since(start)}
		s.Miss("gave up after %v: %v", timeout, ctx.Err())
		return s
	}
}

// stopGrace is how long a section may take, after its deadline, to return
// what it found so far.
const stopGrace = 250 * time.Millisecond

func writeText(w io.Writer, rep Report) {
	fmt.Fprintf(w, "hostkit host report, %s\n", rep.Generated.Format(time.RFC3339))
	for _, s := range rep.Sections {
		fmt.Fprintf(w, "\n== %s (%s)\n", s.Title, s.Name)
		width := 0
		for _, f := range s.Facts {
			width = max(width, len(f.Label))
		}
		for _, f := range s.Facts {
			lines := strings.Split(f.Value, "\n")
			fmt.Fprintf(w, "  %-*s  %s\n", width, f.Label, lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(w, "  %-*s  %s\n", width, "", l)
			}
		}
		for _, u := range s.Unavailable {
			fmt.Fprintf(w, "  ! %s\n", u)
		}
	}
}
