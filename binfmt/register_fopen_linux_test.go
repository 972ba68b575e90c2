package binfmt_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
)

func init() {
	binfmt.RegisterSandboxFunc("f-open-errors", fOpenErrorsInSandbox)
}

// fOpenErrorsInSandbox registers one F entry per interpreter path given and
// returns each Register error's text ("" when it registered).
func fOpenErrorsInSandbox(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
	var interps []string
	if err := json.Unmarshal([]byte(arg), &interps); err != nil {
		return "", err
	}
	out := make([]string, len(interps))
	for i, interp := range interps {
		r := binfmt.Registration{Name: "fopen", Kind: binfmt.KindExtension, Extension: "hk", Interpreter: interp, Flags: binfmt.FlagFixBinary}
		if err := m.Register(r, binfmt.RegisterOptions{}); err != nil {
			out[i] = err.Error()
			continue
		}
		if err := m.Remove(r.Name); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// TestRegisterFixBinaryOpenErrors: with F the kernel opens the interpreter
// when the entry is written, so every failure to open it (not only ENOENT)
// comes back from the write; the error must say that the interpreter, not
// the entry, was at fault.
func TestRegisterFixBinaryOpenErrors(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	interps := []string{
		"/nonexistent/qemu",            // ENOENT
		"/etc/passwd/qemu",             // ENOTDIR
		"/" + strings.Repeat("i", 300), // ENAMETOOLONG (a component over NAME_MAX)
		dir,                            // EACCES (a directory)
		loop,                           // ELOOP
		"/etc/passwd",                  // EACCES (not executable)
	}
	raw, _ := json.Marshal(interps)
	var errs []string
	if err := json.Unmarshal([]byte(binfmttest.Run(t, &binfmt.Sandbox{}, "f-open-errors", string(raw))), &errs); err != nil {
		t.Fatal(err)
	}
	for i, interp := range interps {
		switch {
		case errs[i] == "":
			t.Errorf("F with interpreter %q registered; want an error", interp)
		case !strings.Contains(errs[i], "opens the interpreter") || !strings.Contains(errs[i], interp):
			t.Errorf("F with interpreter %q: error %q does not say the interpreter could not be opened", interp, errs[i])
		}
	}
}
