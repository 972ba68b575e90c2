package webdeploy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
)

// buildScript is the site's own build: it renders public/ from src/ and
// obeys marker files so tests can make it slow, fail or hang.
const buildScript = `#!/bin/sh
set -e
[ -f fail ] && { echo "build failing on purpose" >&2; exit 3; }
[ -f hang ] && sleep 600
[ -f slow ] && sleep "$(cat slow)"
mkdir -p public
sed "s/@COMMIT@/$DEPLOY_COMMIT/; s|@REF@|$DEPLOY_REF|" src/index.html > public/index.html
cp src/style.css public/style.css
`

type site struct {
	repo    *webhooktest.Repo
	webroot string
	cfg     *webdeploy.Config
	d       *webdeploy.Deployer
}

func newSite(t *testing.T, timeout time.Duration, logKeep int) *site {
	t.Helper()
	repo := webhooktest.NewRepo(t)
	webroot := t.TempDir()
	cfg := &webdeploy.Config{
		StateDir: t.TempDir(),
		Hooks:    []webdeploy.HookConfig{{ID: "site", Provider: webdeploy.GitHub, Secret: testSecret}},
		Sites: []webdeploy.SiteConfig{{
			Name: "site", Repository: repo.Bare, Webroot: webroot, Output: "public",
			Rules:   []webdeploy.Rule{{Branches: []string{"main"}}},
			Build:   webdeploy.BuildConfig{Command: []string{"/bin/sh", "build.sh"}},
			Timeout: webdeploy.Duration(timeout), LogKeep: logKeep,
		}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := webdeploy.NewDeployer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d.Shutdown(ctx)
	})
	return &site{repo: repo, webroot: webroot, cfg: cfg, d: d}
}

func (s *site) commit(t *testing.T, n int, extra map[string]string) string {
	files := map[string]string{
		"build.sh":       buildScript,
		"src/index.html": fmt.Sprintf("<h1>version %d</h1><p>@COMMIT@ @REF@</p>\n", n),
		"src/style.css":  fmt.Sprintf("/* version %d */\n", n),
	}
	for k, v := range extra {
		files[k] = v
	}
	return s.repo.Commit(fmt.Sprint("version ", n), files)
}

func (s *site) enqueue(t *testing.T, sha string) {
	t.Helper()
	ev := &webdeploy.PushEvent{Provider: webdeploy.GitHub, Event: webdeploy.EventPush, Ref: "refs/heads/main", After: sha, Repository: "me/site"}
	if err := s.d.Enqueue("site", ev, "d-"+sha[:8]+fmt.Sprint(time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
}

func (s *site) waitIdle(t *testing.T) webdeploy.SiteStatus {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !s.d.Idle() {
		if time.Now().After(deadline) {
			st, _ := s.d.Status("site")
			t.Fatalf("deployer still busy: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	st, err := s.d.Status("site")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (s *site) live(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.webroot, "current", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeployWithGit(t *testing.T) {
	s := newSite(t, time.Minute, 2)
	c1 := s.commit(t, 1, nil)
	s.repo.Push("main")
	s.enqueue(t, c1)
	st := s.waitIdle(t)
	if got, want := s.live(t), fmt.Sprintf("<h1>version 1</h1><p>%s refs/heads/main</p>\n", c1); got != want {
		t.Fatalf("live %q, want %q", got, want)
	}
	if st.LiveCommit != c1 || st.Counters.Deployed != 1 || len(st.History) != 1 || st.History[0].Status != webdeploy.StatusSucceeded {
		t.Fatalf("status %+v", st)
	}
	// A failing build keeps the live release and says why.
	c2 := s.commit(t, 2, map[string]string{"fail": "1"})
	s.repo.Push("main")
	s.enqueue(t, c2)
	st = s.waitIdle(t)
	r := st.History[len(st.History)-1]
	if r.Status != webdeploy.StatusFailed || r.ExitCode != 3 || !strings.Contains(r.Error, "build") {
		t.Fatalf("failed build record %+v", r)
	}
	log, err := os.ReadFile(r.Log)
	if err != nil || !strings.Contains(string(log), "build failing on purpose") {
		t.Fatalf("log %s: %v %q", r.Log, err, log)
	}
	if !strings.Contains(s.live(t), "version 1") {
		t.Fatalf("a failed build changed the live site: %q", s.live(t))
	}
	// A commit that is not in the repository fails at fetch.
	s.enqueue(t, strings.Repeat("ab", 20))
	st = s.waitIdle(t)
	if r := st.History[len(st.History)-1]; r.Status != webdeploy.StatusFailed || !strings.Contains(r.Error, "checkout") && !strings.Contains(r.Error, "fetch") {
		t.Fatalf("unknown commit: %+v", r)
	}
	// Back to good; logs are rotated to LogKeep.
	c3 := s.commit(t, 3, map[string]string{"fail": ""})
	os.Remove(filepath.Join(s.repo.Work, "fail"))
	c3 = s.repo.Commit("remove fail", nil)
	s.repo.Push("main")
	s.enqueue(t, c3)
	st = s.waitIdle(t)
	if !strings.Contains(s.live(t), "version 3") || st.LiveCommit != c3 {
		t.Fatalf("live %q, status %+v", s.live(t), st)
	}
	logs, _ := filepath.Glob(filepath.Join(s.cfg.StateDir, "sites", "site", "logs", "*.log"))
	if len(logs) != 2 {
		t.Fatalf("%d logs kept, want 2: %v", len(logs), logs)
	}
	c := st.Counters
	if c.Accepted != 4 || c.Deployed != 2 || c.Failed != 2 || c.Builds != 4 {
		t.Fatalf("counters %+v", c)
	}
	// The status survives a restart (status.json).
	if err := s.d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	d2, err := webdeploy.NewDeployer(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := d2.Status("site")
	d2.Shutdown(context.Background())
	if st2.Counters != c || st2.LiveCommit != c3 {
		t.Fatalf("reloaded status %+v", st2)
	}
}

// 100 pushes during a slow build cause at most 2 builds, and the live
// release is the last pushed commit.
func TestCoalescing(t *testing.T) {
	s := newSite(t, time.Minute, 20)
	first := s.commit(t, 0, map[string]string{"slow": "2"})
	var shas []string
	for i := 1; i <= 100; i++ {
		shas = append(shas, s.commit(t, i, map[string]string{"slow": "0"}))
	}
	s.repo.Push("main")
	s.enqueue(t, first)
	// Wait until the first (slow) build is running, then push 100 times.
	for {
		st, _ := s.d.Status("site")
		if st.Running != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, sha := range shas {
		s.enqueue(t, sha)
	}
	st := s.waitIdle(t)
	last := shas[len(shas)-1]
	if st.Counters.Builds > 2 {
		t.Fatalf("%d builds for 101 pushes", st.Counters.Builds)
	}
	if !strings.Contains(s.live(t), "version 100") || st.LiveCommit != last {
		t.Fatalf("live %q (%s), want version 100 (%s)", s.live(t), st.LiveCommit, last)
	}
	c := st.Counters
	if c.Accepted != 101 || c.Deployed+c.Failed+c.Coalesced != 101 || c.Coalesced != 99 {
		t.Fatalf("accounting %+v", c)
	}
	total := 0
	for _, r := range st.History {
		total += r.Deliveries
	}
	if total != 101 {
		t.Fatalf("history answers %d deliveries, want 101", total)
	}
}

func TestHangingBuildTimesOut(t *testing.T) {
	s := newSite(t, time.Minute, 20)
	c1 := s.commit(t, 1, nil)
	s.repo.Push("main")
	s.enqueue(t, c1)
	s.waitIdle(t)
	// Now a short timeout (set while idle; Enqueue orders it before the next deploy).
	s.cfg.Sites[0].Timeout = webdeploy.Duration(3 * time.Second)
	c2 := s.commit(t, 2, map[string]string{"hang": "1"})
	s.repo.Push("main")
	start := time.Now()
	s.enqueue(t, c2)
	st := s.waitIdle(t)
	r := st.History[len(st.History)-1]
	if r.Status != webdeploy.StatusTimedOut {
		t.Fatalf("hanging build: %+v", r)
	}
	if el := time.Since(start); el > 60*time.Second {
		t.Fatalf("the timeout did not stop the build's children (took %v)", el)
	}
	if !strings.Contains(s.live(t), "version 1") {
		t.Fatalf("live changed: %q", s.live(t))
	}
}

func TestShutdownCancelsAfterGrace(t *testing.T) {
	s := newSite(t, 10*time.Minute, 20)
	c := s.commit(t, 1, map[string]string{"hang": "1"})
	s.repo.Push("main")
	s.enqueue(t, c)
	for {
		st, _ := s.d.Status("site")
		if st.Running != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.enqueue(t, c) // queued behind: dropped at shutdown
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.d.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown reported a clean finish while a build hung")
	}
	st, _ := s.d.Status("site")
	if len(st.History) != 1 || st.History[0].Status != webdeploy.StatusCanceled || st.Counters.Dropped != 1 {
		t.Fatalf("after shutdown: %+v", st)
	}
	if err := s.d.Enqueue("site", &webdeploy.PushEvent{After: c}, "x"); !errors.Is(err, webdeploy.ErrClosed) {
		t.Fatalf("enqueue after shutdown: %v", err)
	}
}

// A push of an ancestor of the live commit that is not forced (what a
// captured delivery replayed under a new id looks like) is refused and the
// live site stays; a forced push may go back; after a manual rollback the
// newer commit may be deployed again; a rebuild of the live commit runs.
func TestRewindRefusedUnlessForced(t *testing.T) {
	s := newSite(t, time.Minute, 20)
	c1 := s.commit(t, 1, nil)
	c2 := s.commit(t, 2, nil)
	s.repo.Push("main")
	s.enqueue(t, c1)
	s.waitIdle(t)
	s.enqueue(t, c2)
	s.waitIdle(t)

	s.enqueue(t, c1) // replay of the first push, new delivery id
	st := s.waitIdle(t)
	r := st.History[len(st.History)-1]
	if r.Status != webdeploy.StatusRefused || !strings.Contains(r.Error, "ancestor of the live commit") || r.Release != "" {
		t.Fatalf("rewind record %+v", r)
	}
	if !strings.Contains(s.live(t), "version 2") || st.LiveCommit != c2 || st.Counters.Skipped != 1 || st.Counters.Deployed != 2 {
		t.Fatalf("after a refused rewind: live %q, status %+v", s.live(t), st)
	}

	// a rebuild of the live commit is not a rewind
	s.enqueue(t, c2)
	if st = s.waitIdle(t); st.History[len(st.History)-1].Status != webdeploy.StatusSucceeded {
		t.Fatalf("rebuild of the live commit: %+v", st.History[len(st.History)-1])
	}

	// a forced push may move the site back
	ev := &webdeploy.PushEvent{Provider: webdeploy.GitHub, Event: webdeploy.EventPush, Ref: "refs/heads/main", After: c1, Forced: true, Repository: "me/site"}
	if err := s.d.Enqueue("site", ev, "forced-back"); err != nil {
		t.Fatal(err)
	}
	st = s.waitIdle(t)
	if r := st.History[len(st.History)-1]; r.Status != webdeploy.StatusSucceeded || !r.Forced || !strings.Contains(s.live(t), "version 1") {
		t.Fatalf("forced rewind: %+v, live %q", r, s.live(t))
	}

	// c2 is newer than the live c1 again: deployed; then a manual rollback
	// to the c1 release makes c2 deployable once more, and c1 a rebuild
	s.enqueue(t, c2)
	s.waitIdle(t)
	pub := webdeploy.NewPublisher(s.webroot, 0)
	rs, err := pub.Releases()
	if err != nil {
		t.Fatal(err)
	}
	var c1Release string
	for _, rel := range rs {
		if strings.HasPrefix(c1, rel.Commit) && !rel.Live {
			c1Release = rel.Name
		}
	}
	if c1Release == "" {
		t.Fatalf("no kept release of %s in %+v", c1, rs)
	}
	if _, err := pub.Rollback(c1Release); err != nil {
		t.Fatal(err)
	}
	s.enqueue(t, c2)
	st = s.waitIdle(t)
	if r := st.History[len(st.History)-1]; r.Status != webdeploy.StatusSucceeded || !strings.Contains(s.live(t), "version 2") {
		t.Fatalf("deploy after a manual rollback: %+v, live %q", r, s.live(t))
	}
	c := st.Counters
	if c.Accepted != c.Deployed+c.Failed+c.Coalesced+c.Skipped+c.Dropped {
		t.Fatalf("accounting %+v", c)
	}
}
