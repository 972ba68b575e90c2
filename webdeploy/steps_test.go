package webdeploy

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Credentials come from the configuration and reach git through its
// environment (not argv, where ps would show them).
func TestGitCredentialsFromConfig(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte("ghp_example\n"), 0o600)
	env, err := (&Source{TokenFile: tok}).gitEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := "GIT_CONFIG_VALUE_0=Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:ghp_example"))
	if !contains(env, "GIT_CONFIG_KEY_0=http.extraHeader") || !contains(env, want) || !contains(env, "GIT_TERMINAL_PROMPT=0") {
		t.Fatalf("token env: %q", env)
	}
	key := filepath.Join(dir, "deploy key's file")
	env, err = (&Source{SSHKey: key}).gitEnv()
	if err != nil {
		t.Fatal(err)
	}
	var ssh string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "GIT_SSH_COMMAND="); ok {
			ssh = v
		}
	}
	// The key path is quoted for the shell git runs GIT_SSH_COMMAND with:
	// the shell reads back exactly the path.
	q, ok := strings.CutPrefix(ssh, "ssh -i ")
	q, _, ok2 := strings.Cut(q, " -o IdentitiesOnly=yes")
	if !ok || !ok2 {
		t.Fatalf("GIT_SSH_COMMAND %q", ssh)
	}
	out, err := exec.Command("/bin/sh", "-c", "printf %s "+q).Output()
	if err != nil || string(out) != key {
		t.Fatalf("quoted key path %s reads back as %q (%v)", q, out, err)
	}
	if _, err := (&Source{TokenFile: filepath.Join(dir, "missing")}).gitEnv(); err == nil || !strings.Contains(err.Error(), "token_file") {
		t.Fatalf("missing token file: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestCapWriter(t *testing.T) {
	var b strings.Builder
	w := &capWriter{w: &b, left: 10}
	for range 5 {
		if n, err := w.Write([]byte("0123456")); n != 7 || err != nil {
			t.Fatal(n, err)
		}
	}
	if !strings.HasPrefix(b.String(), "0123456012\n[log truncated") || strings.Count(b.String(), "truncated") != 1 {
		t.Fatalf("%q", b.String())
	}
}
