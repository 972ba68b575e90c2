package acmeutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// InstallSpec says where a certificate is installed and how the server is
// told (acme.sh's --install-cert). It is kept in the certificate's
// metadata, so every renewal installs the same way.
type InstallSpec struct {
	// KeyFile receives the private key: a new file 0600; an existing file
	// keeps its owner and mode, except that access for others is removed.
	KeyFile string `json:"key_file,omitempty"`
	// FullchainFile receives leaf + chain (nginx ssl_certificate).
	FullchainFile string `json:"fullchain_file,omitempty"`
	// CertFile and ChainFile receive the leaf and the chain, if set.
	CertFile  string `json:"cert_file,omitempty"`
	ChainFile string `json:"chain_file,omitempty"`
	// ReloadCmd runs (argv, no shell) after any file changed, with the
	// CERT_* environment (see Install).
	ReloadCmd []string `json:"reload_cmd,omitempty"`
	// ReloadTimeoutSeconds bounds the reload command; 0 means 60.
	ReloadTimeoutSeconds int `json:"reload_timeout_seconds,omitempty"`
	// ReloadPending records that files changed but the reload failed, so
	// the next Install reloads even if nothing changes.
	ReloadPending bool `json:"reload_pending,omitempty"`
}

// Validate checks that the paths are absolute and distinct, that at least one
// file is named, and that the reload command is non-empty when given.
func (s *InstallSpec) Validate() error {
	seen := map[string]string{}
	n := 0
	for _, f := range []struct{ field, path string }{
		{"key_file", s.KeyFile}, {"fullchain_file", s.FullchainFile},
		{"cert_file", s.CertFile}, {"chain_file", s.ChainFile},
	} {
		if f.path == "" {
			continue
		}
		n++
		if !filepath.IsAbs(f.path) || strings.ContainsRune(f.path, 0) {
			return fmt.Errorf("%w: install %s %q is not an absolute path", ErrInvalidConfig, f.field, f.path)
		}
		c := filepath.Clean(f.path)
		if other, dup := seen[c]; dup {
			return fmt.Errorf("%w: install %s and %s are the same file %s", ErrInvalidConfig, other, f.field, c)
		}
		seen[c] = f.field
	}
	if n == 0 {
		return fmt.Errorf("%w: install names no file (give a key file and a fullchain file)", ErrInvalidConfig)
	}
	if s.ReloadCmd != nil && (len(s.ReloadCmd) == 0 || s.ReloadCmd[0] == "") {
		return fmt.Errorf("%w: install reload_cmd is empty", ErrInvalidConfig)
	}
	if s.ReloadTimeoutSeconds < 0 {
		return fmt.Errorf("%w: install reload_timeout_seconds is negative", ErrInvalidConfig)
	}
	return nil
}

// InstallResult says what Install did.
type InstallResult struct {
	// Changed lists the files whose content was replaced.
	Changed []string
	// Reloaded is true when the reload command ran and succeeded.
	Reloaded bool
	// ReloadOutput is the tail of the reload command's output.
	ReloadOutput string
}

type installFile struct {
	path string
	data []byte
	key  bool
}

// Install copies c's files to the paths in spec, each atomically, and runs
// the reload command when any content changed (or spec.ReloadPending).
// The certificate is checked first (key matches leaf) so nothing is
// written for a broken one; if a write fails, files already replaced are
// restored to their previous content. A failed reload is returned as a
// *CommandError (with the result showing what changed). The reload
// command's environment adds CERT_NAME, CERT_DOMAINS, CERT_KEY_FILE,
// CERT_FULLCHAIN_FILE, CERT_FILE, CERT_CHAIN_FILE, CERT_SERIAL and
// CERT_NOT_AFTER (RFC 3339).
func Install(ctx context.Context, c *Certificate, spec InstallSpec) (InstallResult, error) {
	var res InstallResult
	if err := spec.Validate(); err != nil {
		return res, err
	}
	if err := c.Check(); err != nil {
		return res, fmt.Errorf("not installing: %w", err)
	}
	files := []installFile{
		{spec.CertFile, c.CertPEM, false},
		{spec.ChainFile, c.ChainPEM, false},
		{spec.FullchainFile, c.FullchainPEM(), false},
		{spec.KeyFile, c.KeyPEM, true},
	}
	// Read every target first, so that an unreadable one stops the install
	// before anything is written.
	type step struct {
		installFile
		old     []byte
		existed bool
		opt     atomicfile.Options
	}
	var steps []step
	for _, f := range files {
		if f.path == "" {
			continue
		}
		old, err := os.ReadFile(f.path)
		existed := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("acmeutil: install: %w", err)
		}
		if existed && bytes.Equal(old, f.data) {
			continue
		}
		opt := atomicfile.Options{Perm: 0o644, KeepOwner: true}
		if f.key {
			opt.Perm, opt.ForcePerm = 0o600, true
			if fi, err := os.Stat(f.path); err == nil {
				opt.Perm = fi.Mode().Perm() &^ 0o007
			}
		}
		steps = append(steps, step{f, old, existed, opt})
	}
	for i, st := range steps {
		if err := atomicfile.Write(st.path, st.data, st.opt); err != nil {
			// Put back what was already replaced: never leave a key
			// from one certificate beside another certificate.
			for j := i - 1; j >= 0; j-- {
				b := steps[j]
				if b.existed {
					_ = atomicfile.Write(b.path, b.old, b.opt)
				} else {
					_ = os.Remove(b.path)
				}
			}
			return InstallResult{}, fmt.Errorf("acmeutil: installing %s (previous files restored): %w", st.path, err)
		}
		res.Changed = append(res.Changed, st.path)
	}
	if len(spec.ReloadCmd) == 0 || (len(res.Changed) == 0 && !spec.ReloadPending) {
		return res, nil
	}
	out, err := runReload(ctx, spec, c)
	res.ReloadOutput = out
	if err != nil {
		return res, err
	}
	res.Reloaded = true
	return res, nil
}

// installDiffers reports whether Install would write a file: a target
// that is missing, unreadable or holds other content than c's.
func installDiffers(c *Certificate, spec InstallSpec) bool {
	for _, f := range []struct {
		path string
		data []byte
	}{{spec.CertFile, c.CertPEM}, {spec.ChainFile, c.ChainPEM}, {spec.FullchainFile, c.FullchainPEM()}, {spec.KeyFile, c.KeyPEM}} {
		if f.path == "" {
			continue
		}
		if old, err := os.ReadFile(f.path); err != nil || !bytes.Equal(old, f.data) {
			return true
		}
	}
	return false
}

func runReload(ctx context.Context, spec InstallSpec, c *Certificate) (string, error) {
	timeout := time.Duration(spec.ReloadTimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	argv := spec.ReloadCmd
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	serial, notAfter := c.Meta.Serial, c.Meta.NotAfter
	if c.Leaf != nil {
		serial, notAfter = c.Leaf.SerialNumber.Text(16), c.Leaf.NotAfter
	}
	cmd.Env = append(os.Environ(),
		"CERT_NAME="+c.Meta.Name,
		"CERT_DOMAINS="+strings.Join(c.Meta.Domains, " "),
		"CERT_KEY_FILE="+spec.KeyFile,
		"CERT_FULLCHAIN_FILE="+spec.FullchainFile,
		"CERT_FILE="+spec.CertFile,
		"CERT_CHAIN_FILE="+spec.ChainFile,
		"CERT_SERIAL="+serial,
		"CERT_NOT_AFTER="+notAfter.UTC().Format(time.RFC3339),
	)
	out := &tailWriter{max: 4096}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	o := out.String()
	if err == nil {
		return o, nil
	}
	code := -1
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (timeout %v)", ctx.Err(), timeout)
	}
	return o, &CommandError{Purpose: "reload", Argv: argv, ExitCode: code, Output: o, Err: err}
}
