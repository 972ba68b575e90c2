package acmeutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// WebrootSolver answers HTTP-01 challenges by writing the key authorization
// to <Root>/.well-known/acme-challenge/<token>, where the web server serves
// it (acme.sh's and lego's webroot mode). Directories it creates are 0755,
// the file 0644, so a server running as another user can read them.
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
	dir := s.Root
	for _, part := range []string{".well-known", "acme-challenge"} {
		dir = filepath.Join(dir, part)
		if err := os.Mkdir(dir, 0o755); err == nil {
			// Mkdir applied the umask; the server must be able to enter it.
			if err := os.Chmod(dir, 0o755); err != nil {
				return fmt.Errorf("acmeutil: webroot: %w", err)
			}
		} else if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("acmeutil: webroot: %w", err)
		}
	}
	p := filepath.Join(dir, ch.Token)
	// The file is transient: atomic (never half-written), but not fsynced.
	if err := atomicfile.Write(p, []byte(ch.KeyAuth), atomicfile.Options{Perm: 0o644, ForcePerm: true, NoSync: true}); err != nil {
		return fmt.Errorf("acmeutil: writing challenge file: %w", err)
	}
	return ctx.Err()
}

// CleanUp implements Solver: it removes the token file (not the directories,
// which the web server configuration may rely on).
func (s *WebrootSolver) CleanUp(_ context.Context, ch Challenge) error {
	if err := ValidateToken(ch.Token); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(s.ChallengeDir(), ch.Token))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("acmeutil: removing challenge file: %w", err)
	}
	return nil
}
