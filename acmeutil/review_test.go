package acmeutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Content planted in the webroot (a deployed site's .well-known symlink)
// must not redirect challenge files out of it.
func TestWebrootSolverRefusesSymlinkedChallengeDir(t *testing.T) {
	ctx := context.Background()
	ch := Challenge{Type: HTTP01, Domain: "w.example.com", Token: "tok-EN_123", KeyAuth: "tok-EN_123.thumb"}
	for _, link := range []string{".well-known", ".well-known/acme-challenge"} {
		root, outside := t.TempDir(), t.TempDir()
		os.MkdirAll(filepath.Join(outside, "acme-challenge"), 0o755)
		l := filepath.Join(root, link)
		os.MkdirAll(filepath.Dir(l), 0o755)
		if err := os.Symlink(outside, l); err != nil {
			t.Fatal(err)
		}
		s := &WebrootSolver{Root: root}
		if err := s.Present(ctx, ch); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s symlinked: Present = %v, want ErrInvalidConfig", link, err)
		}
		for _, p := range []string{filepath.Join(outside, ch.Token), filepath.Join(outside, "acme-challenge", ch.Token)} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s symlinked: challenge file written outside the webroot at %s", link, p)
			}
		}
		// CleanUp must not delete through the link either.
		victim := filepath.Join(outside, ch.Token)
		if link == ".well-known" {
			victim = filepath.Join(outside, "acme-challenge", ch.Token)
		}
		os.WriteFile(victim, []byte("keep"), 0o644)
		if err := s.CleanUp(ctx, ch); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s symlinked: CleanUp = %v, want ErrInvalidConfig", link, err)
		}
		if _, err := os.Stat(victim); err != nil {
			t.Errorf("%s symlinked: CleanUp removed %s through the link", link, victim)
		}
	}
	// A symlinked Root (webroot -> release) is the admin's choice and works.
	real := t.TempDir()
	linked := filepath.Join(t.TempDir(), "current")
	os.Symlink(real, linked)
	if err := (&WebrootSolver{Root: linked}).Present(ctx, ch); err != nil {
		t.Fatalf("symlinked Root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(real, ".well-known", "acme-challenge", ch.Token)); err != nil {
		t.Fatal(err)
	}
}
