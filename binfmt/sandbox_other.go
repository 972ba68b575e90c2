//go:build !linux

package binfmt

import (
	"context"
	"os"
	"os/exec"
)

// CheckSandbox reports why a Sandbox cannot work here: off Linux, always.
func CheckSandbox() error { return errNotLinux }

// Command fails off Linux.
func (s *Sandbox) Command(ctx context.Context, name string, args ...string) (*exec.Cmd, error) {
	return nil, errNotLinux
}

// Run fails off Linux.
func (s *Sandbox) Run(ctx context.Context, fn, arg string) (string, error) {
	return "", errNotLinux
}

func runSandboxHelper(raw string) int {
	os.Stderr.WriteString("binfmt sandbox: " + errNotLinux.Error() + "\n")
	return SandboxExitSetup
}
