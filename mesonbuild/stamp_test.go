package mesonbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func TestSourceDigest(t *testing.T) {
	dir := t.TempDir()
	touch(t, filepath.Join(dir, "meson.build"))
	touch(t, filepath.Join(dir, "src/a.c"))
	d1, err := SourceDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Build directories, .git and skipped directories do not count.
	touch(t, filepath.Join(dir, "build/meson-private/coredata.dat"))
	touch(t, filepath.Join(dir, "build/x.o"))
	touch(t, filepath.Join(dir, ".git/HEAD"))
	touch(t, filepath.Join(dir, "out/y"))
	if d2, _ := SourceDigest(dir, filepath.Join(dir, "out")); d2 != d1 {
		t.Error("build directory changed the digest")
	}
	// A content change (size or time) does.
	future := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(dir, "src/a.c"), future, future)
	if d3, _ := SourceDigest(dir, filepath.Join(dir, "out")); d3 == d1 {
		t.Error("touching a source did not change the digest")
	}
	if _, err := SourceDigest(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing directory digested")
	}
}

func TestGitRevision(t *testing.T) {
	git := testenv.RequireTool(t, "git")
	dir := t.TempDir()
	if GitRevision(dir) != "" {
		t.Error("revision of a non-checkout")
	}
	touch(t, filepath.Join(dir, "meson.build"))
	run := func(args ...string) string {
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main")
	run("add", ".")
	run("commit", "-q", "-m", "one")
	if got, want := GitRevision(dir), run("rev-parse", "HEAD"); got != want {
		t.Errorf("loose ref: %q, want %q", got, want)
	}
	run("pack-refs", "--all")
	if got, want := GitRevision(dir), run("rev-parse", "HEAD"); got != want {
		t.Errorf("packed ref: %q, want %q", got, want)
	}
	run("checkout", "-q", "--detach")
	if got, want := GitRevision(dir), run("rev-parse", "HEAD"); got != want {
		t.Errorf("detached: %q, want %q", got, want)
	}
}
