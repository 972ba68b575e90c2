package acmeutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDirStorageRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := &DirStorage{Root: filepath.Join(t.TempDir(), "state"), NoSync: true}
	if names, err := s.List(ctx); err != nil || len(names) != 0 {
		t.Fatalf("empty store: %v %v", names, err)
	}
	c := selfSigned(t, t0, t0.Add(90*24*time.Hour), "store.example.com", "www.store.example.com")
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, "store.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Meta, got.Meta); diff != "" {
		t.Error(diff)
	}
	if string(got.FullchainPEM()) != string(c.FullchainPEM()) {
		t.Error("fullchain differs")
	}
	dir := s.CertDir("store.example.com")
	for f, mode := range map[string]os.FileMode{KeyFileName: 0o600, CertFileName: 0o644, ChainFileName: 0o644, FullchainFileName: 0o644, MetaFileName: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v mode %v, want %v", f, err, fi.Mode().Perm(), mode)
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("certificate directory mode %v, want 0700", fi.Mode().Perm())
	}
	// Replacing the certificate swaps the whole set and leaves no debris.
	c2 := selfSigned(t, t0, t0.Add(90*24*time.Hour), "store.example.com", "www.store.example.com")
	if err := s.Save(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load(ctx, "store.example.com"); err != nil || got.Meta.Serial != c2.Meta.Serial {
		t.Fatalf("after replacing: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(s.Root, "certs"))
	if len(ents) != 1 {
		t.Errorf("certs/ holds %d entries after two saves, want 1", len(ents))
	}
	os.Mkdir(filepath.Join(s.Root, "certs", ".hidden"), 0o700)
	if names, _ := s.List(ctx); len(names) != 1 || names[0] != "store.example.com" {
		t.Errorf("List = %v", names)
	}
	if _, err := s.Load(ctx, "missing.example.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if _, err := s.Load(ctx, "../x"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("bad name: %v", err)
	}
}

// A key from another certificate is detected, not served.
func TestDirStorageMismatchedKey(t *testing.T) {
	ctx := context.Background()
	s := &DirStorage{Root: t.TempDir(), NoSync: true}
	a := selfSigned(t, t0, t0.Add(time.Hour), "a.example.com")
	b := selfSigned(t, t0, t0.Add(time.Hour), "b.example.com")
	if err := s.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.CertDir("a.example.com"), KeyFileName), b.KeyPEM, 0o600)
	_, err := s.Load(ctx, "a.example.com")
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("got %v", err)
	}
	// Save refuses such a record too, writing nothing.
	bad := *a
	bad.KeyPEM = b.KeyPEM
	bad.Meta.Name, bad.Meta.Domains = "c.example.com", []string{"c.example.com"}
	if err := s.Save(ctx, &bad); err == nil {
		t.Error("Save accepted a key that does not match")
	}
	if _, err := os.Stat(s.CertDir("c.example.com")); !os.IsNotExist(err) {
		t.Error("Save left a directory behind")
	}
}

func TestDirStorageLock(t *testing.T) {
	s := &DirStorage{Root: t.TempDir()}
	ctx := context.Background()
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := s.Lock(ctx, "lock.example.com")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Errorf("%d holders at once", maxInside.Load())
	}
	unlock, _ := s.Lock(ctx, "lock.example.com")
	defer unlock()
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(cctx, "lock.example.com"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("held lock: %v, want deadline exceeded", err)
	}
}

func TestDirStorageAccount(t *testing.T) {
	ctx := context.Background()
	s := &DirStorage{Root: t.TempDir(), NoSync: true}
	const server = "https://acme.example:14000/dir"
	if _, err := s.LoadAccount(ctx, server); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no account: %v", err)
	}
	key, _ := GenerateKey(KeyEC256)
	if err := s.SaveAccount(ctx, &AccountRecord{Server: server, URL: "https://acme.example/acct/1", Key: key}); err != nil {
		t.Fatal(err)
	}
	a, err := s.LoadAccount(ctx, server)
	if err != nil || a.URL != "https://acme.example/acct/1" || !publicKeysEqual(a.Key.Public(), key.Public()) {
		t.Fatalf("%+v %v", a, err)
	}
	dir, _ := s.accountDir(server)
	os.Chmod(filepath.Join(dir, "account.key"), 0o640)
	if _, err := s.LoadAccount(ctx, server); !errors.Is(err, ErrKeyPermissions) || !strings.Contains(err.Error(), "0640") {
		t.Errorf("group-readable key: %v", err)
	}
	if _, err := s.LoadAccount(ctx, "https://other.example/dir"); !errors.Is(err, ErrNotFound) {
		t.Errorf("other CA: %v", err)
	}
}
