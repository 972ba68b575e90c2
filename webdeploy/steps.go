package webdeploy

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"mvdan.cc/sh/v3/syntax"
)

// Source is a site's cached clone, updated with the real git.
type Source struct {
	// URL is where git fetches from (from the configuration only).
	URL string
	// Dir is the cached clone (created on first use).
	Dir string
	// SSHKey is a private key file for SSH URLs.
	SSHKey string
	// TokenFile holds an HTTPS token sent as basic auth with TokenUser.
	TokenFile string
	TokenUser string
	// Git is the git program (default "git" from PATH).
	Git string
}

// ExitError reports a step's program that failed, with its exit status.
type ExitError struct {
	Step string // "fetch", "checkout", "build"
	Code int    // exit status, -1 if killed by a signal
	Err  error
}

// Error names the step and its exit status.
func (e *ExitError) Error() string {
	return fmt.Sprintf("%s failed (exit status %d): %v", e.Step, e.Code, e.Err)
}

// Unwrap returns the error from running the process.
func (e *ExitError) Unwrap() error { return e.Err }

func (s *Source) gitEnv() ([]string, error) {
	env := baseEnv()
	env = append(env, "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/true", "SSH_ASKPASS=/bin/true", "LC_ALL=C")
	if s.SSHKey != "" {
		q, err := syntax.Quote(s.SSHKey, syntax.LangPOSIX)
		if err != nil {
			return nil, fmt.Errorf("ssh_key path: %w", err)
		}
		env = append(env, "GIT_SSH_COMMAND=ssh -i "+q+" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new")
	}
	if s.TokenFile != "" {
		tok, err := readConfigFile(s.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("token_file: %w", err)
		}
		user := s.TokenUser
		if user == "" {
			user = "x-access-token"
		}
		cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + strings.TrimSpace(string(tok))))
		// Passed through the environment, not argv, so it is not visible in ps.
		env = append(env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader", "GIT_CONFIG_VALUE_0=Authorization: Basic "+cred)
	}
	return env, nil
}

func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "USER", "LANG", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if _, ok := os.LookupEnv("PATH"); !ok {
		env = append(env, "PATH=/usr/local/bin:/usr/bin:/bin")
	}
	return env
}

func (s *Source) git(ctx context.Context, log io.Writer, env []string, step string, args ...string) error {
	g := s.Git
	if g == "" {
		g = "git"
	}
	shown := make([]string, len(args))
	for i, a := range args {
		shown[i] = redactURL(a)
	}
	fmt.Fprintf(log, "$ git %s\n", strings.Join(shown, " "))
	cmd := exec.CommandContext(ctx, g, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	setProcessGroup(cmd)
	return exitError(step, runGroup(cmd))
}

// redactURL hides the user information of a URL argument (such as
// https://user:token@host/repo) so credentials in a configured repository
// URL never reach the deploy log; other arguments are returned unchanged.
func redactURL(a string) string {
	u, err := url.Parse(a)
	if err != nil || u.User == nil || u.Host == "" {
		return a
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// Checkout makes Dir a clean checkout of exactly commit: it fetches the
// commit from URL into the cached clone (creating it if needed), checks it
// out detached and removes every untracked file.
func (s *Source) Checkout(ctx context.Context, commit string, log io.Writer) error {
	if _, err := objectName("commit", commit); err != nil {
		return err
	}
	env, err := s.gitEnv()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(s.Dir, ".git")); err != nil {
		if err := os.MkdirAll(filepath.Dir(s.Dir), 0o755); err != nil {
			return err
		}
		os.RemoveAll(s.Dir) // a half-made clone from a crash
		if err := s.git(ctx, log, env, "fetch", "init", "-q", s.Dir); err != nil {
			return err
		}
	}
	if err := s.git(ctx, log, env, "fetch", "-C", s.Dir, "config", "remote.origin.url", s.URL); err != nil {
		return err
	}
	if err := s.git(ctx, log, env, "fetch", "-C", s.Dir, "fetch", "-q", "--no-tags", "--no-recurse-submodules", "origin", commit); err != nil {
		// Servers that refuse fetching by object name: fetch all branches and tags.
		fmt.Fprintln(log, "fetching the commit by name failed; fetching branches and tags")
		if err := s.git(ctx, log, env, "fetch", "-C", s.Dir, "fetch", "-q", "--no-recurse-submodules", "origin",
			"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"); err != nil {
			return err
		}
	}
	if err := s.git(ctx, log, env, "checkout", "-C", s.Dir, "checkout", "-q", "--force", "--detach", commit+"^{commit}"); err != nil {
		return err
	}
	if err := s.git(ctx, log, env, "checkout", "-C", s.Dir, "clean", "-q", "-ffdx"); err != nil {
		return err
	}
	var head bytes.Buffer
	g := s.Git
	if g == "" {
		g = "git"
	}
	cmd := exec.CommandContext(ctx, g, "-C", s.Dir, "rev-parse", "HEAD")
	cmd.Env, cmd.Stdout = env, &head
	if err := cmd.Run(); err != nil {
		return exitError("checkout", err)
	}
	if got := strings.TrimSpace(head.String()); got != commit {
		return fmt.Errorf("checkout: HEAD is %s, expected %s", got, commit)
	}
	return nil
}

// IsAncestor reports whether commit a is an ancestor of commit b (or the
// same commit) in the cached clone, as git merge-base --is-ancestor
// decides. Both must be object names (full or abbreviated hex); an error
// means git could not tell, e.g. because b is not in the clone.
func (s *Source) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	for _, c := range []string{a, b} {
		if _, err := objectNamePrefix(c); err != nil {
			return false, fmt.Errorf("commit %q: %v", c, err)
		}
	}
	env, err := s.gitEnv()
	if err != nil {
		return false, err
	}
	g := s.Git
	if g == "" {
		g = "git"
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, g, "-C", s.Dir, "merge-base", "--is-ancestor", a, b)
	cmd.Env, cmd.Stderr = env, &capWriter{w: &stderr, left: 4096}
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return false, nil
	}
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		return false, fmt.Errorf("git merge-base: %s", msg)
	}
	return false, fmt.Errorf("git merge-base: %w", err)
}

// Build runs the build step in dir. With Command set it runs that argv
// directly; with Shell set, /bin/sh -c Shell. env is added to a minimal
// environment (PATH, HOME, USER, LANG, TMPDIR). Output goes to log. The
// whole process group is killed when ctx ends.
func (b *BuildConfig) Run(ctx context.Context, dir string, env []string, log io.Writer) error {
	var argv []string
	switch {
	case len(b.Command) > 0:
		argv = b.Command
	case b.Shell != "":
		argv = []string{"/bin/sh", "-c", b.Shell}
	default:
		fmt.Fprintln(log, "no build step configured; publishing the checkout")
		return nil
	}
	fmt.Fprintf(log, "$ %s\n", quoteArgv(argv))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	for k, v := range b.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Stdin = nil
	setProcessGroup(cmd)
	return exitError("build", runGroup(cmd))
}

func quoteArgv(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		q, err := syntax.Quote(a, syntax.LangBash)
		if err != nil {
			q = fmt.Sprintf("%q", a)
		}
		parts[i] = q
	}
	return strings.Join(parts, " ")
}

func exitError(step string, err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Step: step, Code: ee.ExitCode(), Err: err}
	}
	return &ExitError{Step: step, Code: -1, Err: err}
}

// capWriter stops writing after max bytes, noting the truncation once.
type capWriter struct {
	w         io.Writer
	left      int64
	truncated bool
}

func (c *capWriter) Write(p []byte) (int, error) {
	n := len(p)
	if c.left <= 0 {
		if !c.truncated {
			c.truncated = true
			fmt.Fprintf(c.w, "\n[log truncated at %v]\n", time.Now().UTC().Format(time.RFC3339))
		}
		return n, nil
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	m, err := c.w.Write(p)
	c.left -= int64(m)
	if err != nil {
		return m, err
	}
	return n, nil
}
