package mesonbuild

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the command in a process group of its own and makes
// cancellation kill the whole group, so compilers started by ninja do not
// outlive a cancelled build (and keep its output pipe open).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
