//go:build !linux

package mesonbuild

import "os/exec"

// ownProcessGroup is a no-op where process groups are not handled.
func ownProcessGroup(cmd *exec.Cmd) {}
