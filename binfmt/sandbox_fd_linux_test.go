package binfmt_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
)

func init() {
	binfmt.RegisterSandboxFunc("start-background", startBackgroundInSandbox)
}

// startBackgroundInSandbox starts a process group that outlives the
// function (as a test starting a server would): it touches the file named
// by arg after 30 s. It returns the group's id.
func startBackgroundInSandbox(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
	cmd := exec.Command("/bin/sh", "-c", `sleep 30; touch "$1"`, "sh", arg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	return strconv.Itoa(cmd.Process.Pid), nil
}

// TestSandboxRunReturnsWhileChildrenLive: Run returns when the function
// returns, even if the function left a process running. The helper's
// result and argument pipes (fds 3 and 4) used to leak into such processes,
// so Run waited for them to exit.
func TestSandboxRunReturnsWhileChildrenLive(t *testing.T) {
	binfmttest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := filepath.Join(t.TempDir(), "background-finished")
	out, err := (&binfmt.Sandbox{}).Run(ctx, "start-background", done)
	if err != nil {
		t.Fatal(err)
	}
	pgid, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("result %q", out)
	}
	_, statErr := os.Stat(done)
	syscall.Kill(-pgid, syscall.SIGKILL) // the group the function started
	if statErr == nil {
		t.Errorf("Run returned only after the function's background process (sleep 30) had finished")
	}
}
