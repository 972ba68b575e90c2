package acmeutil

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Whoever can write the webroot (the site's owner, a deploy tool) can swap
// .well-known for a symlink at any moment, not only before Present checks.
// A check followed by path-based Mkdir/Chmod/Write lets that swap send the
// chmod 0755 or the challenge file through the link; the directories must
// be walked without following links, and the file created relative to the
// directory that was checked.
func TestWebrootSolverSymlinkSwapRace(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	outside := t.TempDir()
	victim := filepath.Join(outside, "private")
	if err := os.Mkdir(victim, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(victim, "acme-challenge"), 0o700); err != nil {
		t.Fatal(err)
	}
	wk := filepath.Join(root, ".well-known")
	s := &WebrootSolver{Root: root}

	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the attacker: whenever .well-known is a real directory, replace it by a link
		defer wg.Done()
		for n := 0; !stop.Load(); n++ {
			if fi, err := os.Lstat(wk); err == nil && fi.IsDir() {
				aside := filepath.Join(root, "aside")
				os.RemoveAll(aside)
				if os.Rename(wk, aside) == nil {
					os.Symlink(victim, wk)
				}
			}
		}
	}()
	escaped := func() string {
		if fi, err := os.Stat(victim); err == nil && fi.Mode().Perm() != 0o700 {
			return "chmod " + fi.Mode().Perm().String() + " applied through the link to " + victim
		}
		if fi, err := os.Stat(filepath.Join(victim, "acme-challenge")); err == nil && fi.Mode().Perm() != 0o700 {
			return "chmod " + fi.Mode().Perm().String() + " applied through the link to " + filepath.Join(victim, "acme-challenge")
		}
		ents, _ := os.ReadDir(filepath.Join(victim, "acme-challenge"))
		ents2, _ := os.ReadDir(victim)
		if len(ents) > 0 || len(ents2) > 1 {
			return "file written through the link into " + victim
		}
		return ""
	}
	var found string
	deadline := time.Now().Add(3 * time.Second)
	for i := 0; time.Now().Before(deadline) && found == ""; i++ {
		// Reset: no .well-known, so Present has to create it.
		os.Remove(wk)
		os.RemoveAll(wk)
		ch := Challenge{Type: HTTP01, Domain: "r.example.com", Token: "tok" + itoa(i), KeyAuth: "ka"}
		_ = s.Present(ctx, ch)
		found = escaped()
	}
	stop.Store(true)
	wg.Wait()
	if found != "" {
		t.Fatal(found)
	}
}
