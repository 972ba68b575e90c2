package mesonbuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// meson prints an error message that holds newlines over several lines
// after "ERROR: "; the whole message is the failure, and the one-line
// summary of the StepError keeps all of it (and the command) on one line.
func TestSetupFailureMultiLineMessage(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	root := t.TempDir()
	src := filepath.Join(root, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "meson.build"),
		[]byte("project('multi', 'c')\nerror('first line\\nsecond line')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &Build{Name: "multi", SourceDir: src, BuildDir: filepath.Join(root, "build"), Tools: tools}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := b.Setup(ctx, SetupConfig{})
	var se *StepError
	if !errors.As(err, &se) || se.Failure == nil {
		t.Fatalf("want a StepError with a Failure, got %v", err)
	}
	if want := "Problem encountered: first line\nsecond line"; se.Failure.Message != want {
		t.Errorf("Message %q, want %q", se.Failure.Message, want)
	}
	if se.Failure.Line != 2 {
		t.Errorf("Line %d, want 2", se.Failure.Line)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	if !strings.Contains(first, "second line") || !strings.Contains(first, "; command: ") {
		t.Errorf("summary line %q lacks the message's second line or the command", first)
	}
}

// The same from meson's terminal output: the message ends at the blank
// line before "A full log can be found at".
func TestParseSetupLogMultiLineTerminal(t *testing.T) {
	out := "The Meson build system\nVersion: 1.0.1\n\n../src/meson.build:2:0: ERROR: Problem encountered: a\nb\n  c\n\nA full log can be found at /x/meson-logs/meson-log.txt\n"
	f, ok := ParseSetupLog([]byte(out))
	if !ok || f.Message != "Problem encountered: a\nb\n  c" || f.File != "../src/meson.build" || f.Line != 2 {
		t.Errorf("got %+v %v", f, ok)
	}
}
