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

// A failed setup leaves meson-logs/meson-log.txt behind. When the next
// setup fails before meson opens its log (here: the source directory no
// longer holds a meson.build), the old log's error must not be reported
// as the cause.
func TestSetupFailureNotFromStaleLog(t *testing.T) {
	t.Parallel()
	tools := requireMeson(t)
	root := t.TempDir()
	src := filepath.Join(root, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	build := filepath.Join(root, "build")
	if err := os.WriteFile(filepath.Join(src, "meson.build"),
		[]byte("project('stale', 'c')\ndependency('hostkit-stale-dep-nope')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &Build{Name: "stale", SourceDir: src, BuildDir: build, Tools: tools}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := b.Setup(ctx, SetupConfig{})
	var se *StepError
	if !errors.As(err, &se) || se.Failure == nil || se.Failure.Dependency != "hostkit-stale-dep-nope" {
		t.Fatalf("first setup: want a missing-dependency failure, got %v", err)
	}
	if err := os.Rename(filepath.Join(src, "meson.build"), filepath.Join(src, "meson.build.off")); err != nil {
		t.Fatal(err)
	}
	_, err = b.Setup(ctx, SetupConfig{})
	if !errors.As(err, &se) {
		t.Fatalf("second setup: want a StepError, got %v", err)
	}
	msg := err.Error()
	first, _, _ := strings.Cut(msg, "\n")
	if strings.Contains(first, "hostkit-stale-dep-nope") || (se.Failure != nil && se.Failure.Dependency != "") {
		t.Errorf("second setup reports the previous run's error:\n%s", msg)
	}
	if !strings.Contains(first, "Neither directory contains a build file") {
		t.Errorf("second setup's error does not give meson's message:\n%s", msg)
	}
}
