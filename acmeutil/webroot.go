package acmeutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WebrootSolver answers HTTP-01 challenges by writing the key authorization
// to <Root>/.well-known/acme-challenge/<token>, where the web server serves
// it (acme.sh's and lego's webroot mode). Directories it creates are 0755,
// the file 0644, so a server running as another user can read them.
// Root itself may be a symlink, but .well-known and acme-challenge below it
// must be real directories: a symlink there is refused (ErrInvalidConfig),
// never followed out of the webroot.
type WebrootSolver struct {
	// Root is the web server's document root for the challenge path.
	Root string
}

// ChallengeType implements Solver.
func (s *WebrootSolver) ChallengeType() string { return HTTP01 }

// ChallengeDir is <Root>/.well-known/acme-challenge.
func (s *WebrootSolver) ChallengeDir() string {
	return filepath.Join(s.Root, ".well-known", "acme-challenge")
}

// Present implements Solver.
func (s *WebrootSolver) Present(ctx context.Context, ch Challenge) error {
	if err := ValidateToken(ch.Token); err != nil {
		return err
	}
	fi, err := os.Stat(s.Root)
	if err != nil {
		return fmt.Errorf("%w: webroot: %v", ErrInvalidConfig, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: webroot %s is not a directory", ErrInvalidConfig, s.Root)
	}
	dir, err := openChallengeDir(s.Root, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	// The file is transient: atomic (never half-written), but not fsynced.
	if err := writeChallengeFile(dir, ch.Token, []byte(ch.KeyAuth)); err != nil {
		return fmt.Errorf("acmeutil: writing challenge file %s: %w", filepath.Join(s.ChallengeDir(), ch.Token), err)
	}
	return ctx.Err()
}

// CleanUp implements Solver: it removes the token file (not the directories,
// which the web server configuration may rely on).
func (s *WebrootSolver) CleanUp(_ context.Context, ch Challenge) error {
	if err := ValidateToken(ch.Token); err != nil {
		return err
	}
	dir, err := openChallengeDir(s.Root, false)
	if err != nil || dir == nil {
		return err // nil: no challenge directory, nothing to remove
	}
	defer dir.Close()
	err = removeChallengeFile(dir, ch.Token)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("acmeutil: removing challenge file %s: %w", filepath.Join(s.ChallengeDir(), ch.Token), err)
	}
	return nil
}
