package mesonbuild

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrStepFailed is matched by every *StepError.
	ErrStepFailed = errors.New("build step failed")
	// ErrDependencyFailed marks a project that was not built because a
	// project it depends on failed (or was itself not built).
	ErrDependencyFailed = errors.New("a dependency failed")
	// ErrOptionNotApplied is returned when meson accepted a -D option but
	// introspection shows a different value afterwards.
	ErrOptionNotApplied = errors.New("option not applied")
	// ErrBadChain is returned for an invalid chain: a duplicate or empty
	// name, an unknown dependency, a cycle, a missing source directory,
	// two projects in one build directory, a prefix that PATH-like lists
	// or pkg-config cannot hold.
	ErrBadChain = errors.New("invalid chain")
)

// StepError is a failed step of one project: which project, which step,
// the command, its log, and the lines of the log that explain it.
type StepError struct {
	Project string
	Step    Step
	// Command is the program and arguments that failed.
	Command []string
	// ExitCode is the command's exit status (-1 if it did not run or was
	// killed).
	ExitCode int
	// Log is the file holding the step's complete output.
	Log string
	// MesonLog is meson-log.txt, for setup and configure failures.
	MesonLog string
	// Failure is what meson's log says, for setup failures.
	Failure *SetupFailure
	// Lines are the relevant lines: the tail of meson-log.txt for a setup
	// failure, the FAILED edge and compiler output for a compile failure.
	Lines []string
	// Err is the underlying error (an *exec.ExitError, a context error,
	// ErrOptionNotApplied...).
	Err error
}

// Error gives a one-line summary (project, step, what went wrong, the
// command that failed, the log files) followed by the relevant log lines.
func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mesonbuild: project %q: %s failed", e.Project, e.Step)
	if f := e.Failure; f != nil {
		switch {
		case f.Dependency != "" && f.Found != "":
			fmt.Fprintf(&b, ": dependency %q version %s wanted, found %s", f.Dependency, orAny(f.Wanted), f.Found)
		case f.Dependency != "":
			fmt.Fprintf(&b, ": dependency %q (version %s) not found", f.Dependency, orAny(f.Wanted))
		case f.Message != "":
			// The summary is one line: a message of several lines is
			// joined.
			fmt.Fprintf(&b, ": %s", strings.ReplaceAll(f.Message, "\n", " / "))
		}
		if f.File != "" {
			fmt.Fprintf(&b, " (%s:%d)", f.File, f.Line)
		}
	} else if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if len(e.Command) > 0 {
		fmt.Fprintf(&b, "; command: %s", shellJoin(e.Command))
	}
	if e.Log != "" {
		fmt.Fprintf(&b, "; log: %s", e.Log)
	}
	if e.MesonLog != "" {
		fmt.Fprintf(&b, "; meson log: %s", e.MesonLog)
	}
	for _, l := range e.Lines {
		b.WriteString("\n    | ")
		b.WriteString(l)
	}
	return b.String()
}

func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

// Unwrap returns the underlying error.
func (e *StepError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrStepFailed) true for every StepError.
func (e *StepError) Is(target error) bool { return target == ErrStepFailed }

// OptionError says which option did not take the value asked for.
type OptionError struct {
	Name string
	Want string
	Got  string
}

// Error says which option has which value instead of the one asked.
func (e *OptionError) Error() string {
	return fmt.Sprintf("option %s is %s after configuring, want %s", e.Name, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrOptionNotApplied) true.
func (e *OptionError) Is(target error) bool { return target == ErrOptionNotApplied }
