package acmeutil

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// crashChildEnv makes TestInstallCrashBeforeReload act as the process that
// crashes: it runs Manager.Check on the store named by the variable.
const crashChildEnv = "ACMEUTIL_TEST_CRASH_STORE"

// A process killed after it replaced the installed files but before the
// reload command finished (SIGKILL, OOM, a power cut of the service
// manager's patience) must leave a trace: the next pass sees identical
// files, and without one the server keeps the old certificate in memory
// until it expires.
func TestInstallCrashBeforeReload(t *testing.T) {
	if root := os.Getenv(crashChildEnv); root != "" {
		m := &Manager{Store: &DirStorage{Root: root, NoSync: true}, DisableARI: true}
		_, err := m.Check(context.Background(), "crash.example.com", false)
		// Not reached: the reload command kills this process.
		t.Fatalf("child survived its reload: %v", err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	store := &DirStorage{Root: filepath.Join(dir, "store"), NoSync: true}
	now := time.Now().UTC()
	c := selfSigned(t, now.Add(-time.Hour), now.Add(90*24*time.Hour), "crash.example.com")
	c.Meta.Renewal.ARINextCheck = now.Add(24 * time.Hour)
	c.Meta.Install = &InstallSpec{
		KeyFile: filepath.Join(dir, "key.pem"), FullchainFile: filepath.Join(dir, "fullchain.pem"),
		// The "reload" is where the process dies: sh kills its parent.
		ReloadCmd: []string{"/bin/sh", "-c", "kill -KILL $PPID; sleep 30"},
	}
	if err := store.Save(ctx, c); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestInstallCrashBeforeReload$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+store.Root)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != -1 {
		t.Fatalf("child was not killed: %v\n%s", err, out)
	}
	for _, f := range []struct {
		path string
		want []byte
	}{{c.Meta.Install.KeyFile, c.KeyPEM}, {c.Meta.Install.FullchainFile, c.FullchainPEM()}} {
		if got, err := os.ReadFile(f.path); err != nil || string(got) != string(f.want) {
			t.Fatalf("%s not installed before the crash (%v)", f.path, err)
		}
	}

	// The next pass, with a working reload command, must reload.
	reloads := filepath.Join(dir, "reloads")
	md, err := store.LoadMetadata(ctx, c.Meta.Name)
	if err != nil {
		t.Fatal(err)
	}
	md.Install.ReloadCmd = []string{"/bin/sh", "-c", `echo reloaded >> "$0"`, reloads}
	if err := store.SaveMetadata(ctx, md); err != nil {
		t.Fatal(err)
	}
	m := &Manager{Store: store, DisableARI: true}
	res, err := m.Check(ctx, c.Meta.Name, false)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(reloads)
	if res.Install == nil || !res.Install.Reloaded || strings.Count(string(log), "reloaded") != 1 {
		t.Fatalf("after a crash between install and reload the next pass did not reload: %+v, reload log %q", res.Install, log)
	}
	md, _ = store.LoadMetadata(ctx, c.Meta.Name)
	if md.Install.ReloadPending {
		t.Fatal("reload still pending after a successful reload")
	}
	// And a further pass does nothing.
	res, err = m.Check(ctx, c.Meta.Name, false)
	if err != nil || res.Install == nil || res.Install.Reloaded || len(res.Install.Changed) != 0 {
		t.Fatalf("third pass: %+v %v, want no write and no reload", res.Install, err)
	}
}
