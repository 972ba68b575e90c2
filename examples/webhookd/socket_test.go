package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// -socket naming a file that is not a socket (a typo, a config file)
// must be refused, not deleted.
func TestSocketRefusesToDeleteRegularFile(t *testing.T) {
	ss := newSetup(t, nil, "1m")
	path := filepath.Join(t.TempDir(), "precious.conf")
	if err := os.WriteFile(path, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuf
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "-config", ss.config, "-socket", path}, &out, &errb) }()
	var code int
	select {
	case code = <-done:
	case <-time.After(5 * time.Second):
		cancel()
		code = <-done
		t.Errorf("webhookd served on %s, which was a regular file", path)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "keep me\n" {
		t.Fatalf("-socket at a regular file destroyed it (exit %d): %v %q; stderr %s", code, err, b, errb.String())
	}
	if code != 1 || !strings.Contains(errb.String(), path) || !strings.Contains(errb.String(), "not a socket") {
		t.Fatalf("exit %d, stderr %q: want 1 and an error naming %s as not a socket", code, errb.String(), path)
	}
}

// A second webhookd started on the socket of a running one must not
// unlink it from under the first (which would then be unreachable).
func TestSocketInUseNotStolen(t *testing.T) {
	ss := newSetup(t, nil, "1m")
	sock := filepath.Join(t.TempDir(), "webhookd.sock")
	startServer(t, "-config", ss.config, "-socket", sock)
	var out, errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "-config", ss.config, "-socket", sock}, &out, &errb) }()
	var code int
	select {
	case code = <-done:
	case <-time.After(3 * time.Second):
		cancel()
		code = <-done
	}
	if code != 1 || !strings.Contains(errb.String(), "in use") {
		t.Errorf("second server on a live socket: exit %d, stderr %q; want 1 and \"in use\"", code, errb.String())
	}
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatalf("the first server lost its socket: %v", err)
	}
	c.Close()
}

// A stale socket file left by a killed run is replaced, and the new
// socket is group-writable only (0660).
func TestSocketStaleReplacedMode(t *testing.T) {
	ss := newSetup(t, nil, "1m")
	sock := filepath.Join(t.TempDir(), "webhookd.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // leaves the socket file with nobody listening
	startServer(t, "-config", ss.config, "-socket", sock)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode %v, want socket 0660", fi.Mode())
	}
}
