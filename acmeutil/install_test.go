package acmeutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestInstall(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := filepath.Join(dir, "env")
	spec := InstallSpec{
		KeyFile: filepath.Join(dir, "key.pem"), FullchainFile: filepath.Join(dir, "fullchain.pem"),
		CertFile: filepath.Join(dir, "cert.pem"), ChainFile: filepath.Join(dir, "chain.pem"),
		ReloadCmd: []string{"/bin/sh", "-c", `env | grep ^CERT_ | sort >> "$0"`, env},
	}
	c := selfSigned(t, t0, t0.Add(time.Hour), "inst.example.com")
	res, err := Install(ctx, c, spec)
	if err != nil || len(res.Changed) != 4 || !res.Reloaded {
		t.Fatalf("first install: %+v %v", res, err)
	}
	for p, mode := range map[string]os.FileMode{spec.KeyFile: 0o600, spec.FullchainFile: 0o644, spec.CertFile: 0o644} {
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode %v, want %v", p, fi.Mode().Perm(), mode)
		}
	}
	got, _ := os.ReadFile(env)
	for _, want := range []string{"CERT_NAME=inst.example.com", "CERT_KEY_FILE=" + spec.KeyFile, "CERT_FULLCHAIN_FILE=" + spec.FullchainFile, "CERT_SERIAL=" + c.Meta.Serial} {
		if !strings.Contains(string(got), want+"\n") {
			t.Errorf("reload environment lacks %s:\n%s", want, got)
		}
	}
	// Unchanged: no write, no reload.
	res, err = Install(ctx, c, spec)
	if err != nil || len(res.Changed) != 0 || res.Reloaded {
		t.Fatalf("second install: %+v %v", res, err)
	}
	// An existing key keeps its (non-world) mode and its owner.
	os.Chmod(spec.KeyFile, 0o644)
	if os.Geteuid() == 0 {
		os.Chown(spec.KeyFile, 4321, 4321)
		os.Chown(spec.FullchainFile, 4321, 4321)
	}
	os.Chmod(spec.FullchainFile, 0o664)
	c2 := selfSigned(t, t0, t0.Add(time.Hour), "inst.example.com")
	res, err = Install(ctx, c2, spec)
	if err != nil || len(res.Changed) != 4 || !res.Reloaded {
		t.Fatalf("third install: %+v %v", res, err)
	}
	fi, _ := os.Stat(spec.KeyFile)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("key mode %v, want 0640 (existing 0644 without access for others)", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(spec.FullchainFile); fi.Mode().Perm() != 0o664 {
		t.Errorf("fullchain mode %v, want the existing 0664", fi.Mode().Perm())
	}
	if os.Geteuid() == 0 {
		for _, p := range []string{spec.KeyFile, spec.FullchainFile} {
			fi, _ := os.Stat(p)
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != 4321 || st.Gid != 4321 {
				t.Errorf("%s owner %d:%d, want 4321:4321 kept", p, st.Uid, st.Gid)
			}
		}
	}
}

func TestInstallRefusesBrokenAndRollsBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	spec := InstallSpec{KeyFile: filepath.Join(dir, "key.pem"), FullchainFile: filepath.Join(dir, "fullchain.pem"), CertFile: filepath.Join(dir, "cert.pem")}
	good := selfSigned(t, t0, t0.Add(time.Hour), "rb.example.com")
	if _, err := Install(ctx, good, spec); err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for _, p := range []string{spec.KeyFile, spec.FullchainFile, spec.CertFile} {
		before[p], _ = os.ReadFile(p)
	}
	check := func(what string) {
		t.Helper()
		for p, b := range before {
			if now, _ := os.ReadFile(p); string(now) != string(b) {
				t.Errorf("%s: %s changed", what, p)
			}
		}
	}
	other := selfSigned(t, t0, t0.Add(time.Hour), "rb.example.com")
	broken := *good
	broken.KeyPEM = other.KeyPEM
	if _, err := Install(ctx, &broken, spec); !errors.Is(err, ErrCorrupt) {
		t.Errorf("mismatched key: %v", err)
	}
	check("mismatched key")
	garbled := *good
	garbled.CertPEM = []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	if _, err := Install(ctx, &garbled, spec); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbled certificate: %v", err)
	}
	check("garbled certificate")
	// A target that cannot be read stops the install before any write.
	spec2 := spec
	spec2.FullchainFile = filepath.Join(dir, "sub")
	os.Mkdir(spec2.FullchainFile, 0o755)
	if _, err := Install(ctx, other, spec2); err == nil || !strings.Contains(err.Error(), "sub") {
		t.Errorf("unreadable target: %v", err)
	}
	check("unreadable target")
	// The cert file is written first; the fullchain cannot be (its
	// directory does not exist): the cert file is put back.
	spec2.FullchainFile = filepath.Join(dir, "missing-dir", "fullchain.pem")
	if _, err := Install(ctx, other, spec2); err == nil || !strings.Contains(err.Error(), "restored") {
		t.Errorf("failed write: %v", err)
	}
	check("failed write")
}

func TestInstallReloadFailures(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	spec := InstallSpec{KeyFile: filepath.Join(dir, "k"), FullchainFile: filepath.Join(dir, "f"),
		ReloadCmd: []string{"/bin/sh", "-c", "sleep 30"}, ReloadTimeoutSeconds: 1}
	c := selfSigned(t, t0, t0.Add(time.Hour), "rl.example.com")
	res, err := Install(ctx, c, spec)
	var ce *CommandError
	if !errors.As(err, &ce) || !errors.Is(err, context.DeadlineExceeded) || len(res.Changed) != 2 {
		t.Fatalf("timeout: %+v %v", res, err)
	}
	spec.ReloadCmd = []string{filepath.Join(dir, "no-such-command")}
	spec.ReloadPending = true
	if _, err := Install(ctx, c, spec); !errors.As(err, &ce) {
		t.Errorf("missing command: %v", err)
	}
	if err := (&InstallSpec{KeyFile: "relative.pem"}).Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("relative path: %v", err)
	}
	if err := (&InstallSpec{KeyFile: "/a", FullchainFile: "/a"}).Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("same file twice: %v", err)
	}
}
