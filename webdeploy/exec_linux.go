package webdeploy

import (
	"os/exec"
	"syscall"
	"time"
)

// setProcessGroup runs cmd in its own process group and makes context
// cancellation kill the whole group (a build's children too), not just
// the direct child.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
}

// runGroup runs cmd (prepared with setProcessGroup) and then kills what
// is left of its process group: a build that exits leaving a background
// child (say "server &") must not leave it running past the deploy.
func runGroup(cmd *exec.Cmd) error {
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return err
}
