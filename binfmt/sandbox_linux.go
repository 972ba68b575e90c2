package binfmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// CheckSandbox reports why a Sandbox cannot work here, or nil: the kernel
// version (6.7 or later) and whether user namespaces can be created are
// checked; the error wraps ErrKernelTooOld for an old kernel.
func CheckSandbox() error {
	if err := checkKernel(unameRelease()); err != nil {
		return err
	}
	if data, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err == nil && strings.TrimSpace(string(data)) == "0" {
		return errors.New("binfmt: user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)")
	}
	return nil
}

func (s *Sandbox) spec() (sandboxSpec, error) {
	sp := sandboxSpec{Dir: s.Dir}
	if sp.Dir == "" {
		sp.Dir = DefaultDir
	}
	for _, r := range s.Registrations {
		line, err := r.Encode()
		if err != nil {
			return sp, err
		}
		sp.Regs = append(sp.Regs, line)
	}
	return sp, nil
}

func (s *Sandbox) helper(ctx context.Context, sp sandboxSpec) (*exec.Cmd, error) {
	if !sandboxMainRan.Load() {
		return nil, errors.New("binfmt: the program must call binfmt.SandboxMain() at the start of main or TestMain before it uses a Sandbox")
	}
	if err := CheckSandbox(); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("binfmt: sandbox: cannot find this program to re-execute: %w", err)
	}
	raw, err := json.Marshal(sp)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self)
	// The marker argument lets SandboxMain catch a replaced environment
	// instead of running the program (or a test binary's tests) again.
	cmd.Args = []string{self, sandboxArg}
	cmd.Env = append(os.Environ(), sandboxEnv+"="+string(raw))
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	return cmd, nil
}

// Command returns a command that runs name with args inside the sandbox,
// after the private binfmt_misc is mounted and the registrations are made.
// Set its Stdin, Stdout and Stderr as with exec.Command; add to its Env
// rather than replacing it. If the setup fails the command exits with
// SandboxExitSetup and says why on its standard error.
func (s *Sandbox) Command(ctx context.Context, name string, args ...string) (*exec.Cmd, error) {
	sp, err := s.spec()
	if err != nil {
		return nil, err
	}
	sp.Argv = append([]string{name}, args...)
	return s.helper(ctx, sp)
}

// Run runs the function registered under fn (RegisterSandboxFunc) inside
// the sandbox and returns its result.
func (s *Sandbox) Run(ctx context.Context, fn, arg string) (string, error) {
	if _, ok := sandboxFuncs.Load(fn); !ok {
		return "", fmt.Errorf("binfmt: sandbox: no function %q registered (RegisterSandboxFunc)", fn)
	}
	sp, err := s.spec()
	if err != nil {
		return "", err
	}
	sp.Func = fn
	cmd, err := s.helper(ctx, sp)
	if err != nil {
		return "", err
	}
	// fd 3 carries the result back, fd 4 the argument in (it may be too
	// big for the environment).
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	ar, aw, err := os.Pipe()
	if err != nil {
		w.Close()
		return "", err
	}
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	cmd.ExtraFiles = []*os.File{w, ar}
	err = cmd.Start()
	w.Close()
	ar.Close()
	if err != nil {
		aw.Close()
		return "", fmt.Errorf("binfmt: sandbox: cannot start a process in a new user namespace: %w", err)
	}
	go func() {
		defer aw.Close()
		io.WriteString(aw, arg)
	}()
	out, readErr := io.ReadAll(r)
	waitErr := cmd.Wait()
	var res sandboxResult
	if jerr := json.Unmarshal(out, &res); jerr != nil || readErr != nil {
		if cerr := ctx.Err(); cerr != nil {
			// exec.CommandContext killed the helper.
			return "", fmt.Errorf("binfmt: sandbox: function %s stopped: %w (%v)", fn, cerr, errors.Join(waitErr, readErr))
		}
		return "", fmt.Errorf("binfmt: sandbox: the helper gave no result (%v): %s", errors.Join(waitErr, readErr), strings.TrimSpace(stderr.String()))
	}
	if res.Err != "" {
		return res.Out, &SandboxError{Msg: res.Err}
	}
	if waitErr != nil {
		return res.Out, fmt.Errorf("binfmt: sandbox: %w: %s", waitErr, strings.TrimSpace(stderr.String()))
	}
	return res.Out, nil
}

// runSandboxHelper runs in the re-executed process, inside the new
// namespaces.
func runSandboxHelper(raw string) int {
	var sp sandboxSpec
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "binfmt sandbox: %v\n", err)
		if sp.Func != "" {
			writeResult(sandboxResult{Err: err.Error()})
			return 0
		}
		return SandboxExitSetup
	}
	if err := json.Unmarshal([]byte(raw), &sp); err != nil {
		return fail(fmt.Errorf("bad instructions: %w", err))
	}
	m, err := setupPrivate(sp)
	if err != nil {
		return fail(err)
	}
	if sp.Func != "" {
		// The result and argument pipes are for this process only: were
		// they inherited by processes the function starts and leaves
		// running, Run would wait for those to exit.
		unix.CloseOnExec(3)
		unix.CloseOnExec(4)
		v, ok := sandboxFuncs.Load(sp.Func)
		if !ok {
			return fail(fmt.Errorf("no function %q registered in this program (call RegisterSandboxFunc before SandboxMain)", sp.Func))
		}
		arg, err := io.ReadAll(os.NewFile(4, "arg"))
		if err != nil {
			return fail(fmt.Errorf("reading the argument: %w", err))
		}
		out, err := v.(SandboxFunc)(context.Background(), m, string(arg))
		res := sandboxResult{Out: out}
		if err != nil {
			res.Err = err.Error()
		}
		if err := writeResult(res); err != nil {
			fmt.Fprintf(os.Stderr, "binfmt sandbox: cannot pass the result back: %v\n", err)
			return 1
		}
		return 0
	}
	if len(sp.Argv) == 0 {
		return fail(errors.New("nothing to run"))
	}
	path, err := exec.LookPath(sp.Argv[0])
	if err != nil {
		return fail(err)
	}
	err = unix.Exec(path, sp.Argv, os.Environ())
	return fail(fmt.Errorf("exec %s: %w", path, err))
}

func writeResult(res sandboxResult) error {
	f := os.NewFile(3, "result")
	if f == nil {
		return errors.New("no result pipe")
	}
	defer f.Close()
	return json.NewEncoder(f).Encode(res)
}

// setupPrivate makes the mounts private, mounts a fresh binfmt_misc at
// sp.Dir and registers sp.Regs.
func setupPrivate(sp sandboxSpec) (*Mount, error) {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, fmt.Errorf("making mounts private: %w", err)
	}
	if err := os.MkdirAll(sp.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := unix.Mount("binfmt_misc", sp.Dir, "binfmt_misc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		if errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("mounting binfmt_misc at %s in a user namespace: %w (%w)", sp.Dir, err, ErrKernelTooOld)
		}
		return nil, fmt.Errorf("mounting binfmt_misc at %s: %w", sp.Dir, err)
	}
	m, err := Open(sp.Dir)
	if err != nil {
		return nil, err
	}
	for _, line := range sp.Regs {
		r, err := Parse(line)
		if err != nil {
			return nil, err
		}
		if err := m.Register(r, RegisterOptions{}); err != nil {
			return nil, err
		}
	}
	return m, nil
}
