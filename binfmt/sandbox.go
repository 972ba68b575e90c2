package binfmt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// sandboxEnv carries a helper's instructions to the re-executed program.
const sandboxEnv = "HOSTKIT_BINFMT_SANDBOX"

// sandboxArg is the re-executed program's only argument.
const sandboxArg = "hostkit-binfmt-sandbox-helper"

// SandboxExitSetup is the exit status of a sandboxed command whose private
// binfmt_misc could not be set up (the reason is on its standard error).
const SandboxExitSetup = 125

// Sandbox runs commands and functions in a new user and mount namespace
// with a private binfmt_misc instance: registrations made there affect only
// that namespace and its children, and the machine's own binfmt_misc is
// neither mounted nor written. It needs Linux 6.7 or later (where each user
// namespace can have its own binfmt_misc) and a kernel that lets this user
// create user namespaces.
//
// A Go process cannot move itself into a new user namespace once it runs
// threads, so the sandbox re-executes the current program
// (os.Executable) in the new namespaces; that program must call
// SandboxMain first thing in main (or TestMain), which carries out the
// sandbox's work and exits.
type Sandbox struct {
	// Dir is where the private binfmt_misc is mounted inside the sandbox
	// ("" means DefaultDir: inside the private mount namespace the
	// instance then sits where every tool looks for it).
	Dir string
	// Registrations are made, in order, before the command or function
	// runs.
	Registrations []Registration
}

// SandboxFunc is a function run inside a sandbox: it gets the private
// binfmt_misc and the argument given to Sandbox.Run, and returns a result
// string passed back to the caller.
type SandboxFunc func(ctx context.Context, m *Mount, arg string) (string, error)

var (
	sandboxFuncs   sync.Map // name -> SandboxFunc
	sandboxMainRan atomic.Bool
)

// RegisterSandboxFunc makes fn available to Sandbox.Run under name. Call it
// from init (or before SandboxMain) so the re-executed program knows it too.
func RegisterSandboxFunc(name string, fn SandboxFunc) {
	sandboxFuncs.Store(name, fn)
}

type sandboxSpec struct {
	Dir  string   `json:"dir"`
	Regs []string `json:"regs"`
	Argv []string `json:"argv,omitempty"`
	Func string   `json:"func,omitempty"`
}

type sandboxResult struct {
	Out string `json:"out"`
	Err string `json:"err,omitempty"`
}

// SandboxMain must be called at the start of main (or TestMain) of any
// program that uses Sandbox. In a normal start it returns at once; in a
// process started by a Sandbox it sets up the private binfmt_misc, runs the
// command or function, and exits.
func SandboxMain() {
	sandboxMainRan.Store(true)
	raw, ok := os.LookupEnv(sandboxEnv)
	if !ok {
		if len(os.Args) == 2 && os.Args[1] == sandboxArg {
			os.Stderr.WriteString("binfmt sandbox: " + sandboxEnv + " is missing: add to the command's Env, do not replace it\n")
			os.Exit(SandboxExitSetup)
		}
		return
	}
	os.Unsetenv(sandboxEnv)
	os.Exit(runSandboxHelper(raw))
}

// checkKernel says whether a kernel release gives each user namespace its
// own binfmt_misc (6.7 and later).
func checkKernel(rel string) error {
	maj, min, ok := parseRelease(rel)
	if !ok {
		return errors.New("binfmt: cannot read the kernel version from " + strconv.Quote(rel))
	}
	if maj < 6 || maj == 6 && min < 7 {
		return fmt.Errorf("binfmt: kernel %s: %w", rel, ErrKernelTooOld)
	}
	return nil
}

func parseRelease(rel string) (maj, min int, ok bool) {
	a, rest, found := strings.Cut(rel, ".")
	if !found {
		return 0, 0, false
	}
	b := rest
	if i := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		b = rest[:i]
	}
	var err1, err2 error
	maj, err1 = strconv.Atoi(a)
	min, err2 = strconv.Atoi(b)
	return maj, min, err1 == nil && err2 == nil
}

// SandboxError is an error returned by a function run in a sandbox (its
// message crosses the process boundary; its type does not).
type SandboxError struct {
	// Msg is the function's error message.
	Msg string
}

// Error implements error.
func (e *SandboxError) Error() string { return e.Msg }
