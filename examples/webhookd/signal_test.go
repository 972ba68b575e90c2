package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperWebhookd runs main() when the test binary is started as a
// webhookd child by a signal test; otherwise it does nothing.
func TestHelperWebhookd(t *testing.T) {
	args := os.Getenv("WEBHOOKD_TEST_ARGS")
	if args == "" {
		return
	}
	var a []string
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		t.Fatal(err)
	}
	os.Args = append([]string{"webhookd"}, a...)
	main()
}

// SIGHUP (the terminal going away, a stray `kill -HUP`) must not kill
// webhookd on the spot: that left the running build's process group
// (started with Setpgid) orphaned and still running, with status.json
// claiming a running deploy. It shuts down like SIGTERM instead.
func TestSIGHUPDoesNotOrphanBuild(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "build.pid")
	ss := newSetup(t, []string{"/bin/sh", "-c", "echo $$ > " + pidFile + "; exec sleep 300"}, "2m")
	c := ss.push(t, 1, nil)
	args, _ := json.Marshal([]string{"serve", "-config", ss.config, "-listen", "127.0.0.1:0", "-grace", "1s"})
	out := &syncBuf{}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWebhookd$")
	cmd.Env = append(os.Environ(), "WEBHOOKD_TEST_ARGS="+string(args))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				syscall.Kill(-pid, syscall.SIGKILL)
			}
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	var url string
	for url == "" {
		if m := listenRE.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhookd did not start: %s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, a := deliver(t, http.DefaultClient, url+"/hooks/site", c, ""); code != 202 {
		t.Fatalf("delivery: %d %+v", code, a)
	}
	var pid int
	for pid == 0 {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the build never started: %s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	select {
	case <-exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("webhookd did not stop after SIGHUP and its 1s grace: %s", out.String())
	}
	// The build's group is killed by the deployer when the grace ends;
	// give the kernel a moment to reap it.
	deadline = time.Now().Add(30 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after SIGHUP webhookd is gone (%v) but its build (pid %d) still runs: %s", cmd.ProcessState, pid, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
