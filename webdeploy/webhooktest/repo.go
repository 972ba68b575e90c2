package webhooktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// Repo is a bare git repository (the "forge" side) with a work tree to
// commit from, for tests that push and then deliver a webhook.
type Repo struct {
	t    testing.TB
	git  string
	Bare string // the bare repository: configure it as the site's repository
	Work string // a clone to commit in
}

// NewRepo creates an empty bare repository and a work clone under
// t.TempDir(). It needs git (the test is marked unavailable without it).
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	g := testenv.RequireTool(t, "git")
	dir := t.TempDir()
	r := &Repo{t: t, git: g, Bare: filepath.Join(dir, "site.git"), Work: filepath.Join(dir, "work")}
	r.run("", "init", "-q", "--bare", "-b", "main", r.Bare)
	r.run("", "init", "-q", "-b", "main", r.Work)
	r.run(r.Work, "remote", "add", "origin", r.Bare)
	return r
}

func (r *Repo) run(dir string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command(r.git, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=webhooktest", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=webhooktest", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Commit writes files (path -> content) into the work tree, commits them
// and returns the new commit id. It does not push.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.Work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.run(r.Work, "add", "-A")
	r.run(r.Work, "commit", "-q", "--allow-empty", "-m", msg)
	return r.run(r.Work, "rev-parse", "HEAD")
}

// Push pushes the work tree's HEAD to branch in the bare repository
// (forcing, like a rewrite would) and returns the pushed commit.
func (r *Repo) Push(branch string) string {
	r.t.Helper()
	r.run(r.Work, "push", "-q", "--force", "origin", "HEAD:refs/heads/"+branch)
	return r.run(r.Work, "rev-parse", "HEAD")
}
