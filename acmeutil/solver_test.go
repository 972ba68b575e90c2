package acmeutil

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"pgregory.net/rapid"
)

func TestWebrootSolver(t *testing.T) {
	ctx := context.Background()
	old := syscall.Umask(0o077) // the solver must not depend on a friendly umask
	defer syscall.Umask(old)
	root := t.TempDir()
	s := &WebrootSolver{Root: root}
	ch := Challenge{Type: HTTP01, Domain: "w.example.com", Token: "tok-EN_123", KeyAuth: "tok-EN_123.thumb"}
	if err := s.Present(ctx, ch); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, ".well-known", "acme-challenge", ch.Token)
	data, err := os.ReadFile(p)
	if err != nil || string(data) != ch.KeyAuth {
		t.Fatalf("challenge file: %q %v", data, err)
	}
	for path, want := range map[string]os.FileMode{p: 0o644, filepath.Dir(p): 0o755, filepath.Dir(filepath.Dir(p)): 0o755} {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	if err := s.CleanUp(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("file not removed: %v", err)
	}
	if err := s.CleanUp(ctx, ch); err != nil {
		t.Errorf("second clean-up: %v", err)
	}
	for _, bad := range []string{"../../etc/passwd", "a/b", "..", ""} {
		bc := ch
		bc.Token = bad
		if err := s.Present(ctx, bc); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("Present(%q) = %v, want ErrInvalidToken", bad, err)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(root, ".well-known", "acme-challenge"))
	if len(ents) != 0 {
		t.Errorf("files left: %v", ents)
	}
	if err := (&WebrootSolver{Root: filepath.Join(root, "missing")}).Present(ctx, ch); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("missing webroot: %v", err)
	}
}

func TestHTTPSolver(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "site") })
	h := NewHTTPSolver(next)
	srv := httptest.NewServer(h)
	defer srv.Close()
	ch := Challenge{Token: "abc_DEF-1", KeyAuth: "abc_DEF-1.xyz"}
	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get("/.well-known/acme-challenge/abc_DEF-1"); code != 404 {
		t.Errorf("before Present: %d", code)
	}
	if err := h.Present(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/.well-known/acme-challenge/abc_DEF-1"); code != 200 || body != ch.KeyAuth {
		t.Errorf("after Present: %d %q", code, body)
	}
	if code, body := get("/index.html"); code != 200 || body != "site" {
		t.Errorf("other path: %d %q", code, body)
	}
	h.CleanUp(context.Background(), ch)
	if code, _ := get("/.well-known/acme-challenge/abc_DEF-1"); code != 404 {
		t.Errorf("after CleanUp: %d", code)
	}
	if err := h.Present(context.Background(), Challenge{Token: "../x"}); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("bad token: %v", err)
	}
}

func TestHookSolver(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	h := &HookSolver{PresentCmd: []string{"/bin/sh", "-c", `printf '%s %s %s' "$ACME_TXT_NAME" "$ACME_TXT_VALUE" "$ACME_CHALLENGE_TYPE" > "$0"`, out}}
	ch := Challenge{Type: DNS01, Domain: "h.example.com", Token: "tok", DNSValue: "txtvalue"}
	if err := h.Present(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "_acme-challenge.h.example.com txtvalue dns-01" {
		t.Errorf("hook saw %q", b)
	}
	h.PresentCmd = []string{"/bin/sh", "-c", "echo no credentials >&2; exit 7"}
	err := h.Present(context.Background(), ch)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 7 || ce.Output != "no credentials\n" {
		t.Errorf("failing hook: %v", err)
	}
}

// A hook that prints without end is kept to its last bytes: the error
// shows the tail, this process never holds the whole output.
func TestHookSolverOutputBounded(t *testing.T) {
	h := &HookSolver{PresentCmd: []string{"/bin/sh", "-c", `head -c 20000000 /dev/zero | tr '\0' x; echo; echo the real reason >&2; exit 9`}}
	err := h.Present(context.Background(), Challenge{Type: DNS01, Domain: "h.example.com", Token: "tok", DNSValue: "v"})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 9 {
		t.Fatalf("failing hook: %v", err)
	}
	if len(ce.Output) > 2100 || !strings.HasSuffix(ce.Output, "the real reason\n") || !strings.HasPrefix(ce.Output, "[") || !strings.Contains(ce.Output, "earlier bytes dropped") {
		t.Fatalf("output kept: %d bytes, starting %.60q, ending %q", len(ce.Output), ce.Output, ce.Output[max(0, len(ce.Output)-30):])
	}
}

// tailWriter keeps exactly the last max bytes of everything written, in
// any split of the writes, and counts what it dropped.
func TestTailWriterProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		maxN := rapid.IntRange(1, 64).Draw(t, "max")
		w := &tailWriter{max: maxN}
		var all []byte
		for _, p := range rapid.SliceOf(rapid.SliceOfN(rapid.Byte(), 0, 100)).Draw(t, "writes") {
			if n, err := w.Write(p); n != len(p) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			all = append(all, p...)
		}
		want := all[max(0, len(all)-maxN):]
		if string(w.buf) != string(want) || w.lost != int64(len(all)-len(want)) {
			t.Fatalf("kept %q (lost %d), want %q (lost %d)", w.buf, w.lost, want, len(all)-len(want))
		}
	})
}
