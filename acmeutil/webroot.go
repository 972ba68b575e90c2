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
	dir := s.Root
	for _, part := range []string{".well-known", "acme-challenge"} {
		dir = filepath.Join(dir, part)
		if err := notSymlink(dir); err != nil {
			return err
		}
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
	for _, d := range []string{filepath.Join(s.Root, ".well-known"), s.ChallengeDir()} {
		if err := notSymlink(d); err != nil {
			return err
		}
	}
	err := os.Remove(filepath.Join(s.ChallengeDir(), ch.Token))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("acmeutil: removing challenge file: %w", err)
	}
	return nil
}

// notSymlink refuses a challenge directory that is a symlink: whoever can
// put content into the webroot (a deployed site, say) could otherwise point
// .well-known or acme-challenge anywhere and have files written there as
// this process's user. A missing directory is fine (Present creates it).
func notSymlink(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("acmeutil: webroot: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: webroot: %s is a symlink; the challenge directory must be a real directory inside the webroot", ErrInvalidConfig, dir)
	}
	return nil
}
