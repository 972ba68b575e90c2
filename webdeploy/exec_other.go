//go:build !linux

package webdeploy

import (
	"os/exec"
	"time"
)

func setProcessGroup(cmd *exec.Cmd) { cmd.WaitDelay = 5 * time.Second }

func runGroup(cmd *exec.Cmd) error { return cmd.Run() }
