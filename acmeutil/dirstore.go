package acmeutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// File names inside a certificate's directory in a DirStorage.
const (
	KeyFileName       = "privkey.pem"
	CertFileName      = "cert.pem"
	ChainFileName     = "chain.pem"
	FullchainFileName = "fullchain.pem"
	MetaFileName      = "meta.json"
)

// DirStorage is a Storage in a directory tree:
//
//	<root>/certs/<name>/privkey.pem     the certificate's key, 0600
//	<root>/certs/<name>/cert.pem        the leaf certificate
//	<root>/certs/<name>/chain.pem       the issuer chain
//	<root>/certs/<name>/fullchain.pem   leaf + chain
//	<root>/certs/<name>/meta.json       Metadata
//	<root>/accounts/<ca>/account.key    account key, 0600
//	<root>/accounts/<ca>/account.json   AccountRecord
//	<root>/locks/<name>.lock            flock(2) lock files
//
// Save writes the five files into a new directory and swaps it with the old
// one atomically (renameat2 RENAME_EXCHANGE; file by file, metadata last,
// where the file system cannot), and Load checks that key, certificate and
// metadata belong together, so a reader never acts on a mixed set.
// The lock is flock(2) on a file, which also excludes other processes on
// the same machine (and on NFS v4, other machines).
type DirStorage struct {
	// Root is the state directory. It is created (0700) on first write.
	Root string
	// NoSync skips fsync (tests and benchmarks only).
	NoSync bool
}

var _ Storage = (*DirStorage)(nil)

// NewDirStorage returns a DirStorage rooted at root.
func NewDirStorage(root string) *DirStorage { return &DirStorage{Root: root} }

// CertDir is the directory holding the named certificate's files.
func (s *DirStorage) CertDir(name string) string { return filepath.Join(s.Root, "certs", name) }

func (s *DirStorage) opts(perm fs.FileMode) atomicfile.Options {
	return atomicfile.Options{Perm: perm, ForcePerm: true, NoSync: s.NoSync}
}

// Lock implements Storage with flock(2) on <root>/locks/<name>.lock.
func (s *DirStorage) Lock(ctx context.Context, name string) (func(), error) {
	if err := ValidateCertName(name); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.Root, "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("acmeutil: lock directory: %w", err)
	}
	return flockWait(ctx, filepath.Join(dir, name+".lock"))
}

// List implements Storage.
func (s *DirStorage) List(ctx context.Context) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.Root, "certs"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("acmeutil: listing certificates: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && ValidateCertName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, ctx.Err()
}

func (s *DirStorage) readFile(name, file string, limit int64) ([]byte, error) {
	p := filepath.Join(s.CertDir(name), file)
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, p)
		}
		return nil, fmt.Errorf("acmeutil: %w", err)
	}
	defer f.Close()
	data, err := readAllLimit(f, limit)
	if err != nil {
		return nil, fmt.Errorf("acmeutil: reading %s: %w", p, err)
	}
	return data, nil
}

// LoadMetadata implements Storage.
func (s *DirStorage) LoadMetadata(ctx context.Context, name string) (*Metadata, error) {
	if err := ValidateCertName(name); err != nil {
		return nil, err
	}
	data, err := s.readFile(name, MetaFileName, 1<<20)
	if err != nil {
		return nil, err
	}
	m, err := ParseMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(s.CertDir(name), MetaFileName), err)
	}
	if m.Name != name {
		return nil, fmt.Errorf("%w: %s: name %q does not match its directory", ErrCorrupt, filepath.Join(s.CertDir(name), MetaFileName), m.Name)
	}
	return m, ctx.Err()
}

// Load implements Storage. The key file must not be readable by group or
// others (ErrKeyPermissions).
func (s *DirStorage) Load(ctx context.Context, name string) (*Certificate, error) {
	m, err := s.LoadMetadata(ctx, name)
	if err != nil {
		return nil, err
	}
	c := &Certificate{Meta: *m}
	keyPath := filepath.Join(s.CertDir(name), KeyFileName)
	if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600 (run: chmod 600 %s)", ErrKeyPermissions, keyPath, fi.Mode().Perm(), keyPath)
	}
	if c.KeyPEM, err = s.readFile(name, KeyFileName, 1<<20); err != nil {
		return nil, err
	}
	if c.CertPEM, err = s.readFile(name, CertFileName, 1<<20); err != nil {
		return nil, err
	}
	if c.ChainPEM, err = s.readFile(name, ChainFileName, 1<<20); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.CertDir(name), err)
	}
	return c, nil
}

// Save implements Storage. Call it while holding the certificate's lock.
func (s *DirStorage) Save(ctx context.Context, c *Certificate) error {
	if err := c.Meta.validate(); err != nil {
		return err
	}
	if err := c.Check(); err != nil {
		return err
	}
	meta, err := c.Meta.Marshal()
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
		perm fs.FileMode
	}{
		{KeyFileName, c.KeyPEM, 0o600},
		{CertFileName, c.CertPEM, 0o644},
		{ChainFileName, c.ChainPEM, 0o644},
		{FullchainFileName, c.FullchainPEM(), 0o644},
		{MetaFileName, meta, 0o644},
	}
	certs := filepath.Join(s.Root, "certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		return fmt.Errorf("acmeutil: certificate directory: %w", err)
	}
	dir := s.CertDir(c.Meta.Name)
	// The whole set goes into a new directory that then replaces the old
	// one in a single atomic exchange, so no reader or crash ever sees a key
	// from one certificate beside another's certificate. (The leading dot
	// keeps it out of List.)
	tmp, err := os.MkdirTemp(certs, ".new-"+c.Meta.Name+"-")
	if err != nil {
		return fmt.Errorf("acmeutil: saving certificate %q: %w", c.Meta.Name, err)
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(tmp, f.name), f.data, s.opts(f.perm)); err != nil {
			return fmt.Errorf("acmeutil: saving certificate %q: %w", c.Meta.Name, err)
		}
	}
	err = exchangeDirs(tmp, dir)
	switch {
	case err == nil:
		// tmp now holds the previous set; the deferred RemoveAll drops it.
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("acmeutil: saving certificate %q: %w", c.Meta.Name, err)
		}
	case errors.Is(err, errExchangeUnsupported):
		// Fall back to replacing file by file, metadata last; Load
		// detects a mixed set (key/certificate/metadata mismatch).
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("acmeutil: certificate directory: %w", err)
		}
		for _, f := range files {
			if err := atomicfile.Write(filepath.Join(dir, f.name), f.data, s.opts(f.perm)); err != nil {
				return fmt.Errorf("acmeutil: saving certificate %q: %w", c.Meta.Name, err)
			}
		}
	default:
		return fmt.Errorf("acmeutil: saving certificate %q: %w", c.Meta.Name, err)
	}
	if !s.NoSync {
		if err := atomicfile.SyncDir(certs); err != nil {
			return fmt.Errorf("acmeutil: saving certificate %q: %w", c.Meta.Name, err)
		}
	}
	return nil
}

// SaveMetadata implements Storage.
func (s *DirStorage) SaveMetadata(ctx context.Context, m *Metadata) error {
	if err := m.validate(); err != nil {
		return err
	}
	dir := s.CertDir(m.Name)
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("%w: certificate %q: %v", ErrNotFound, m.Name, err)
	}
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, MetaFileName), data, s.opts(0o644)); err != nil {
		return fmt.Errorf("acmeutil: saving metadata of %q: %w", m.Name, err)
	}
	return ctx.Err()
}

// accountDir is the directory for a CA's account: its host, port and path
// made into a single safe file name.
func (s *DirStorage) accountDir(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%w: CA directory URL %q", ErrInvalidConfig, server)
	}
	var b strings.Builder
	for _, r := range u.Host + u.Path {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), "._")
	if name == "" {
		return "", fmt.Errorf("%w: CA directory URL %q", ErrInvalidConfig, server)
	}
	return filepath.Join(s.Root, "accounts", name), nil
}

// LoadAccount implements Storage. The key file must be 0600 (ErrKeyPermissions).
func (s *DirStorage) LoadAccount(ctx context.Context, server string) (*AccountRecord, error) {
	dir, err := s.accountDir(server)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "account.json")
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: no account for %s in %s", ErrNotFound, server, dir)
		}
		return nil, fmt.Errorf("acmeutil: %w", err)
	}
	var a AccountRecord
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrCorrupt, p, jsonErrorWhere(data, err))
	}
	if a.Server != server {
		return nil, fmt.Errorf("%w: %s is for %q, not %q", ErrCorrupt, p, a.Server, server)
	}
	if a.URL == "" {
		return nil, fmt.Errorf("%w: %s: field url is empty", ErrCorrupt, p)
	}
	if a.Key, err = LoadKeyFile(filepath.Join(dir, "account.key")); err != nil {
		return nil, err
	}
	return &a, ctx.Err()
}

// SaveAccount implements Storage.
func (s *DirStorage) SaveAccount(ctx context.Context, a *AccountRecord) error {
	dir, err := s.accountDir(a.Server)
	if err != nil {
		return err
	}
	if a.Key == nil {
		return fmt.Errorf("%w: account record without a key", ErrInvalidConfig)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("acmeutil: account directory: %w", err)
	}
	keyPEM, err := MarshalKey(a.Key)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "account.key"), keyPEM, s.opts(0o600)); err != nil {
		return fmt.Errorf("acmeutil: saving account key: %w", err)
	}
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "account.json"), append(data, '\n'), s.opts(0o644)); err != nil {
		return fmt.Errorf("acmeutil: saving account: %w", err)
	}
	return ctx.Err()
}
