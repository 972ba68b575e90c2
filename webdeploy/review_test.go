package webdeploy

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A Verifier not built by NewVerifier has no secret and no permission to
// run unsigned: it must refuse deliveries, not accept them all.
func TestZeroVerifierRefuses(t *testing.T) {
	for name, v := range map[string]*Verifier{
		"zero":              {},
		"nil":               nil,
		"github, no secret": {c: VerifierConfig{Provider: GitHub}},
	} {
		err := v.Verify(http.Header{}, []byte(`{"ref":"refs/heads/main"}`), time.Now())
		if !errors.Is(err, ErrNoSecret) {
			t.Errorf("%s Verifier: Verify = %v, want ErrNoSecret", name, err)
		}
		if v != nil && v.Unsigned() {
			t.Errorf("%s Verifier reports Unsigned", name)
		}
	}
	// The explicit opt-in still works.
	v, err := NewVerifier(VerifierConfig{Provider: GitHub, AllowUnsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(http.Header{}, []byte("x"), time.Now()); err != nil || !v.Unsigned() {
		t.Fatalf("AllowUnsigned verifier: %v, unsigned %v", err, v.Unsigned())
	}
}

// A build output that is a symlink (or lies under one) must not be
// followed: publishing it would copy the link's target (say /etc) into
// the webroot.
func TestPublishRefusesSymlinkedOutput(t *testing.T) {
	secretDir := t.TempDir()
	os.WriteFile(filepath.Join(secretDir, "shadow"), []byte("private"), 0o600)
	clone := t.TempDir()
	os.Symlink(secretDir, filepath.Join(clone, "public"))
	os.Symlink(secretDir, filepath.Join(clone, "site"))

	webroot := t.TempDir()
	p := NewPublisher(webroot, 3)
	_, err := p.Publish(context.Background(), filepath.Join(clone, "public"), strings.Repeat("a", 40))
	if !errors.Is(err, ErrUnsafeTree) {
		t.Fatalf("publishing a symlinked output: %v, want ErrUnsafeTree", err)
	}
	if _, err := os.Stat(filepath.Join(webroot, CurrentLink, "shadow")); err == nil {
		t.Fatal("the symlink's target was published")
	}
	// An intermediate component that is a symlink: site/ -> secretDir.
	os.Mkdir(filepath.Join(secretDir, "out"), 0o755)
	if err := noSymlinkBelow(clone, "site/out"); !errors.Is(err, ErrUnsafeTree) {
		t.Fatalf("output under a symlinked directory: %v, want ErrUnsafeTree", err)
	}
	os.MkdirAll(filepath.Join(clone, "real", "out"), 0o755)
	if err := noSymlinkBelow(clone, "real/out"); err != nil {
		t.Fatalf("real output directory: %v", err)
	}
	if err := noSymlinkBelow(clone, "."); err != nil {
		t.Fatalf("output '.': %v", err)
	}
}

// Credentials in a configured repository URL must not be written to the
// deploy log by the "$ git ..." echo.
func TestGitLogRedactsURLCredentials(t *testing.T) {
	var log bytes.Buffer
	s := &Source{Git: "/bin/true"}
	err := s.git(context.Background(), &log, nil, "fetch", "-C", "/x", "config", "remote.origin.url", "https://deploy:s3cr3t-token@git.example/o/site.git")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "s3cr3t-token") || strings.Contains(log.String(), "deploy:") {
		t.Fatalf("credentials in the deploy log: %q", log.String())
	}
	if !strings.Contains(log.String(), "git.example/o/site.git") {
		t.Fatalf("the URL's host and path should still be shown: %q", log.String())
	}
	for _, a := range []string{"origin", "-q", "git@host:o/r.git", "/srv/repo", "+refs/heads/*:refs/remotes/origin/*"} {
		if got := redactURL(a); got != a {
			t.Errorf("redactURL(%q) = %q, want it unchanged", a, got)
		}
	}
}

// A build that exits while a background child it started keeps running
// must not leak that child past the deploy.
func TestBuildLeavesNoProcesses(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	b := &BuildConfig{Shell: "sleep 300 >/dev/null 2>&1 </dev/null & echo $! > " + pidFile}
	var log bytes.Buffer
	if err := b.Run(context.Background(), dir, nil, &log); err != nil {
		t.Fatalf("build: %v\n%s", err, log.String())
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(data))
	t.Cleanup(func() { // never leave the sleep behind, even when the test fails
		if n, err := strconv.Atoi(pid); err == nil {
			syscall.Kill(n, syscall.SIGKILL)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := os.ReadFile("/proc/" + pid + "/stat")
		// Gone, or a zombie waiting for init to reap it: not running.
		if err != nil || strings.Contains(string(st), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the build's background child %s still runs after the build returned: %s", pid, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A receiver with no sink would accept a signed push and then panic on a
// nil interface; it must be refused when built instead.
func TestNewReceiverNeedsSink(t *testing.T) {
	if rc, err := NewReceiver(&Config{}, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewReceiver without a sink: %v, %v; want ErrConfig", rc, err)
	}
	if rc, err := NewReceiver(nil, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewReceiver(nil, nil): %v, %v; want ErrConfig", rc, err)
	}
}

// Enqueue is public (any Sink caller can reach it): a commit that is not
// an object name must not name a log file outside the site's logs
// directory, nor reach git; a ref must pass ValidateRef.
func TestEnqueueValidatesEvent(t *testing.T) {
	state := t.TempDir()
	cfg := &Config{
		StateDir: state,
		Hooks:    []HookConfig{{ID: "site", Provider: GitHub, Secret: "s"}},
		Sites: []SiteConfig{{Name: "site", Repository: filepath.Join(t.TempDir(), "none.git"), Webroot: t.TempDir(),
			Rules: []Rule{{Branches: []string{"main"}}}, Timeout: Duration(10 * time.Second)}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := NewDeployer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d.Shutdown(ctx)
	})
	good := strings.Repeat("ab", 20)
	for name, ev := range map[string]*PushEvent{
		"traversing commit": {Ref: "refs/heads/main", After: "/../../../../escaped-by-commit"},
		"option commit":     {Ref: "refs/heads/main", After: "--upload-pack=touch /tmp/x"},
		"option ref":        {Ref: "--exec=x", After: good},
		"newline ref":       {Ref: "refs/heads/ma\nin", After: good},
		"nil event":         nil,
	} {
		if err := d.Enqueue("site", ev, "d1"); err == nil {
			t.Errorf("%s: Enqueue accepted it", name)
		}
	}
	if err := d.Enqueue("site", &PushEvent{Ref: "refs/heads/main", After: good}, "bad\ndelivery"); err == nil {
		t.Error("a delivery id with a newline was accepted")
	}
	d.Shutdown(context.Background())
	logs := filepath.Join(state, "sites", "site", "logs")
	filepath.WalkDir(state, func(p string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".log") && filepath.Dir(p) != logs {
			t.Errorf("a log file was created outside the logs directory: %s", p)
		}
		return nil
	})
	st, _ := d.Status("site")
	if st.Counters.Accepted != 0 {
		t.Fatalf("refused events were counted as accepted: %+v", st.Counters)
	}
}
