package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// webhookd send can sign for an "hmac" hook configured with another
// algorithm, prefix and encoding than the defaults, as the verifier
// checks them (before, only -header was settable, so such a hook always
// answered 401).
func TestSendGenericHMACSettings(t *testing.T) {
	ss := newSetup(t, nil, "1m")
	b, err := os.ReadFile(ss.config)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["hooks"] = []any{map[string]any{"id": "site", "provider": "hmac", "secret": secret,
		"header": "X-Sig", "algorithm": "sha512", "prefix": "sha512=", "encoding": "base64"}}
	b, _ = json.Marshal(cfg)
	if err := os.WriteFile(ss.config, b, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "-config", ss.config, "-listen", "127.0.0.1:0")
	t.Setenv("WEBHOOKD_SECRET", secret)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"send", "-url", srv.url + "/hooks/site", "-provider", "hmac",
		"-header", "X-Sig", "-algorithm", "sha512", "-prefix", "sha512=", "-encoding", "base64",
		"-repo", "other/repo", "-commit", strings.Repeat("a", 40)}, &out, &errb)
	// The push is for a repository no site deploys, so an authenticated
	// delivery is answered 200 "ignored"; a bad signature would be 401.
	if code != 0 || !strings.Contains(out.String(), "200") || !strings.Contains(out.String(), "ignored") {
		t.Fatalf("send to an hmac/sha512/base64 hook: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
