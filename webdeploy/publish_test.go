package webdeploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func writeTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readLive(t testing.TB, webroot, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(webroot, CurrentLink, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func commitN(n int) string { return strings.Repeat(fmt.Sprintf("%02x", n%256), 20) }

func TestPublishRollbackPrune(t *testing.T) {
	webroot := t.TempDir()
	p := NewPublisher(webroot, 3)
	ctx := context.Background()
	var names []string
	for i := 1; i <= 5; i++ {
		src := t.TempDir()
		writeTree(t, src, map[string]string{"index.html": fmt.Sprint("v", i), "css/site.css": "body{}", ".git/HEAD": "x"})
		r, err := p.Publish(ctx, src, commitN(i))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, r.Name)
		if !strings.HasSuffix(r.Name, "-"+commitN(i)[:12]) {
			t.Fatalf("release name %q", r.Name)
		}
		if got := readLive(t, webroot, "index.html"); got != fmt.Sprint("v", i) {
			t.Fatalf("live after publish %d: %q", i, got)
		}
		if _, err := os.Stat(filepath.Join(r.Path, ".git")); !os.IsNotExist(err) {
			t.Fatalf(".git was published: %v", err)
		}
	}
	rs, err := p.Releases()
	if err != nil || len(rs) != 3 || rs[2].Name != names[4] || !rs[2].Live || rs[0].Name != names[2] {
		t.Fatalf("kept %+v, %v", rs, err)
	}
	// Rollback to the previous release, then to a named one.
	if r, err := p.Rollback(""); err != nil || r.Name != names[3] || readLive(t, webroot, "index.html") != "v4" {
		t.Fatalf("rollback: %+v %v", r, err)
	}
	if _, err := p.Rollback(names[2]); err != nil || readLive(t, webroot, "index.html") != "v3" {
		t.Fatalf("rollback to %s: %v", names[2], err)
	}
	if _, err := p.Rollback(""); !errors.Is(err, ErrUnknownRelease) {
		t.Fatalf("rollback past the oldest: %v", err)
	}
	if _, err := p.Rollback(names[0]); !errors.Is(err, ErrUnknownRelease) {
		t.Fatalf("rollback to a pruned release: %v", err)
	}
	// Pruning never removes the live release, even when it is the oldest.
	src := t.TempDir()
	writeTree(t, src, map[string]string{"index.html": "v6"})
	if _, err := p.Publish(ctx, src, commitN(6)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Rollback(names[3]); err != nil { // the oldest kept
		t.Fatal(err)
	}
	p.Keep = 1
	p.Prune()
	if rs, _ := p.Releases(); len(rs) != 1 || rs[0].Name != names[3] || readLive(t, webroot, "index.html") != "v4" {
		t.Fatalf("after prune to 1: %+v", rs)
	}
	h := p.Check()
	if len(h.Problems) != 0 || h.Live != names[3] {
		t.Fatalf("health %+v", h)
	}
}

func TestPublishRefusesEscapingSymlinks(t *testing.T) {
	for _, tc := range []struct {
		link, target string
		ok           bool
	}{
		{"a.html", "index.html", true},
		{"sub/a.html", "../index.html", true},
		{"sub/deeper/a.html", "../../index.html", true},
		{"latest", "sub", true},
		{"sub/x", "./y", true},
		{"a.html", "/etc/passwd", false},
		{"a.html", "../outside", false},
		{"sub/a.html", "../../outside", false},
		{"a.html", "sub/../../x", false},
		{"a.html", "sub/..", false},
		{"a.html", "", false},
	} {
		err := LinkStaysInside(tc.link, tc.target)
		if (err == nil) != tc.ok {
			t.Errorf("%s -> %s: %v", tc.link, tc.target, err)
		}
		if err != nil && !errors.Is(err, ErrUnsafeTree) {
			t.Errorf("%s -> %s: %v is not ErrUnsafeTree", tc.link, tc.target, err)
		}
	}
	webroot := t.TempDir()
	p := NewPublisher(webroot, 3)
	good := t.TempDir()
	writeTree(t, good, map[string]string{"index.html": "good", "sub/page.html": "page"})
	os.Symlink("../index.html", filepath.Join(good, "sub", "home.html"))
	if _, err := p.Publish(context.Background(), good, commitN(1)); err != nil {
		t.Fatal(err)
	}
	if got := readLive(t, webroot, "sub/home.html"); got != "good" {
		t.Fatalf("inside symlink: %q", got)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("private"), 0o600)
	bad := t.TempDir()
	writeTree(t, bad, map[string]string{"index.html": "bad"})
	os.Symlink(secret, filepath.Join(bad, "leak.txt"))
	_, err := p.Publish(context.Background(), bad, commitN(2))
	if !errors.Is(err, ErrUnsafeTree) || !strings.Contains(err.Error(), "leak.txt") {
		t.Fatalf("escaping symlink: %v", err)
	}
	if got := readLive(t, webroot, "index.html"); got != "good" {
		t.Fatalf("a refused publish changed the live site: %q", got)
	}
	if h := p.Check(); len(h.Debris) != 0 {
		t.Fatalf("debris left: %v", h.Debris)
	}
	// A FIFO cannot be served.
	fifo := t.TempDir()
	writeTree(t, fifo, map[string]string{"index.html": "x"})
	if err := syscall.Mkfifo(filepath.Join(fifo, "pipe"), 0o644); err == nil {
		if _, err := p.Publish(context.Background(), fifo, commitN(3)); !errors.Is(err, ErrUnsafeTree) {
			t.Fatalf("fifo: %v", err)
		}
	}
	// current must be a symlink webdeploy owns.
	other := t.TempDir()
	os.Mkdir(filepath.Join(other, CurrentLink), 0o755)
	if _, err := NewPublisher(other, 3).Publish(context.Background(), good, commitN(4)); err == nil || !strings.Contains(err.Error(), "not a symlink") {
		t.Fatalf("real current directory: %v", err)
	}
}

// Killing the publisher (a child process) mid-copy leaves the old release
// live and whole; the next publish cleans up and succeeds.
func TestKillMidCopy(t *testing.T) {
	webroot := t.TempDir()
	p := NewPublisher(webroot, 5)
	old := t.TempDir()
	oldFiles := map[string]string{}
	for i := range 50 {
		oldFiles[fmt.Sprintf("page%03d.html", i)] = strings.Repeat("old ", 100)
	}
	writeTree(t, old, oldFiles)
	oldRel, err := p.Publish(context.Background(), old, commitN(1))
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	newFiles := map[string]string{}
	for i := range 400 {
		newFiles[fmt.Sprintf("d%02d/page%04d.html", i%20, i)] = strings.Repeat("new ", 100)
	}
	writeTree(t, src, newFiles)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WEBDEPLOY_TEST_CHILD=publish", "WEBDEPLOY_TEST_WEBROOT="+webroot, "WEBDEPLOY_TEST_SRC="+src)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Wait until the child is well into the copy.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the child never started copying: %s", stderr.String())
		}
		n := 0
		matches, _ := filepath.Glob(filepath.Join(webroot, ReleasesDir, tmpPrefix+"*", "d*", "*.html"))
		n = len(matches)
		if n >= 40 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	if live, _ := p.CurrentName(); live != oldRel.Name {
		t.Fatalf("live is %q after the kill, want %q", live, oldRel.Name)
	}
	for name, content := range oldFiles {
		if got := readLive(t, webroot, name); got != content {
			t.Fatalf("old release damaged: %s", name)
		}
	}
	if h := p.Check(); len(h.Debris) != 1 {
		t.Fatalf("expected the killed copy as debris, got %+v", h)
	}
	// The next publish succeeds and removes the debris.
	rel, err := NewPublisher(webroot, 5).Publish(context.Background(), src, commitN(3))
	if err != nil {
		t.Fatal(err)
	}
	if live, _ := p.CurrentName(); live != rel.Name {
		t.Fatalf("live %q, want %q", live, rel.Name)
	}
	for name, content := range newFiles {
		if got := readLive(t, webroot, name); got != content {
			t.Fatalf("new release incomplete: %s", name)
		}
	}
	if h := p.Check(); len(h.Debris) != 0 || len(h.Problems) != 0 {
		t.Fatalf("after recovery: %+v", h)
	}
}

func BenchmarkPublish100Files(b *testing.B) {
	src := b.TempDir()
	files := map[string]string{}
	for i := range 100 {
		files[fmt.Sprintf("p/%03d.html", i)] = strings.Repeat("x", 4096)
	}
	writeTree(b, src, files)
	p := NewPublisher(b.TempDir(), 2)
	for i := 0; b.Loop(); i++ {
		if _, err := p.Publish(context.Background(), src, commitN(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// Another process holding the webroot's lock (a publish of the server,
// here flock(1)) makes Rollback and Publish wait; with their context
// ended they give up and change nothing. Once the lock is free they run.
func TestPublisherWaitsForAnotherProcess(t *testing.T) {
	flock := testenv.RequireTool(t, "flock")
	webroot := t.TempDir()
	p := NewPublisher(webroot, 5)
	ctx := context.Background()
	var names []string
	for i := 1; i <= 2; i++ {
		src := t.TempDir()
		writeTree(t, src, map[string]string{"index.html": fmt.Sprint("v", i)})
		r, err := p.Publish(ctx, src, commitN(i))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, r.Name)
	}
	// -o: the lock stays with flock itself, not with the shell it runs
	holder := exec.Command(flock, "-o", filepath.Join(webroot, lockFile), "-c", "echo locked; exec sleep 60")
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { syscall.Kill(-holder.Process.Pid, syscall.SIGKILL); holder.Wait() }
	t.Cleanup(stop)
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("flock holder: %q %v", buf, err)
	}

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := p.RollbackContext(short, names[0]); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("rollback while another process holds the lock: %v", err)
	}
	src := t.TempDir()
	writeTree(t, src, map[string]string{"index.html": "v3"})
	short2, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel2()
	if _, err := p.Publish(short2, src, commitN(3)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish while another process holds the lock: %v", err)
	}
	if got := readLive(t, webroot, "index.html"); got != "v2" {
		t.Fatalf("live changed while locked out: %q", got)
	}
	if rs, _ := p.Releases(); len(rs) != 2 {
		t.Fatalf("releases while locked out: %+v", rs)
	}

	stop()
	if _, err := p.Rollback(names[0]); err != nil || readLive(t, webroot, "index.html") != "v1" {
		t.Fatalf("rollback after the lock was released: %v", err)
	}
}

// A current link left half-switched by a crash (atomicfile's temporary
// link in the webroot) is reported by Check and removed by Prune; the
// live release is untouched.
func TestLinkDebrisReportedAndRemoved(t *testing.T) {
	webroot := t.TempDir()
	p := NewPublisher(webroot, 5)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"index.html": "v1"})
	r, err := p.Publish(context.Background(), src, commitN(1))
	if err != nil {
		t.Fatal(err)
	}
	debris := ".hostkit-tmp-" + CurrentLink + "-4242-0"
	if err := os.Symlink(filepath.Join(ReleasesDir, r.Name), filepath.Join(webroot, debris)); err != nil {
		t.Fatal(err)
	}
	if h := p.Check(); len(h.Debris) != 1 || h.Debris[0] != debris {
		t.Fatalf("Check debris %v, want [%s]", h.Debris, debris)
	}
	if removed := p.Prune(); len(removed) != 1 || removed[0] != debris {
		t.Fatalf("Prune removed %v", removed)
	}
	if _, err := os.Lstat(filepath.Join(webroot, debris)); !os.IsNotExist(err) || readLive(t, webroot, "index.html") != "v1" {
		t.Fatalf("after Prune: %v, live %q", err, readLive(t, webroot, "index.html"))
	}
}
