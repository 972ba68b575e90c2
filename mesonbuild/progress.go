package mesonbuild

import (
	"strconv"
	"strings"
)

// Step names one stage of building a project.
type Step string

// The steps of a build, in order.
const (
	StepSetup     Step = "setup"     // meson setup (fresh or --wipe)
	StepConfigure Step = "configure" // meson configure: changed options on a configured directory
	StepCompile   Step = "compile"   // ninja
	StepTest      Step = "test"      // meson test
	StepInstall   Step = "install"   // meson install
)

// ProgressKind says what a Progress report is about.
type ProgressKind int

// Progress kinds.
const (
	// ProgressStepStart: a step of a project begins.
	ProgressStepStart ProgressKind = iota
	// ProgressEdge: ninja finished or started an edge ([Done/Total]).
	ProgressEdge
	// ProgressProjectDone: a project finished (Description says how).
	ProgressProjectDone
)

// Progress is delivered to a progress callback while builds run. Callbacks
// are called from the goroutine running the build, one at a time.
type Progress struct {
	Kind    ProgressKind
	Project string
	Step    Step
	// Done and Total are ninja's [n/m] counters (ProgressEdge only).
	Done, Total int
	// Description is ninja's description of the edge ("Compiling C object
	// x.o"), or the outcome of a project (built, up to date, failed...).
	Description string
}

// NinjaStatus is the NINJA_STATUS value the driver sets so that progress
// lines have the form ParseProgress reads, whatever the user's own setting.
const NinjaStatus = "[%f/%t] "

// ParseProgress reads one of ninja's status lines, "[n/m] description"
// (n finished edges out of m, ninja's default NINJA_STATUS). ok is false
// for any other line: compiler output, "ninja: no work to do.", a
// malformed counter, or n > m.
func ParseProgress(line string) (done, total int, desc string, ok bool) {
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "[") {
		return 0, 0, "", false
	}
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return 0, 0, "", false
	}
	a, b, found := strings.Cut(line[1:end], "/")
	if !found {
		return 0, 0, "", false
	}
	d, err1 := parseCount(a)
	t, err2 := parseCount(b)
	if !err1 || !err2 || d > t {
		return 0, 0, "", false
	}
	return d, t, strings.TrimSpace(line[end+1:]), true
}

func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// NinjaFailure extracts the part of ninja's output that explains a failed
// build: from the first "FAILED:" line to the end, without the progress
// lines of edges that ran in parallel. When there is no FAILED line (ninja
// itself failed: a missing build.ninja, a dependency cycle) it returns the
// last max lines.
func NinjaFailure(lines []string, max int) []string {
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "FAILED: ") || l == "FAILED:" {
			start = i
			break
		}
	}
	if start < 0 {
		return tail(lines, max)
	}
	var out []string
	for _, l := range lines[start:] {
		if _, _, _, ok := ParseProgress(l); ok {
			continue
		}
		out = append(out, l)
	}
	if max > 0 && len(out) > max {
		out = out[:max]
	}
	return out
}

func tail(lines []string, n int) []string {
	if n > 0 && len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}
