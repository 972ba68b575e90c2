package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

const demoLib = `int hkdemo_answer(void) { return 42; }
`

const demoExt = `#define PY_SSIZE_T_CLEAN
#include <Python.h>
int hkdemo_answer(void);
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(hkdemo_answer()); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, "the answer"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "hkdemo", NULL, -1, methods};
PyMODINIT_FUNC PyInit_hkdemo(void) { return PyModule_Create(&mod); }
`

// python runs a Python interpreter with a clean environment (no pyenv or
// other shims on PATH) plus env.
func python(t *testing.T, ctx context.Context, exe string, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", "HOME=" + t.TempDir()}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func mustPython(t *testing.T, ctx context.Context, exe string, env []string, args ...string) string {
	t.Helper()
	out, errs, err := python(t, ctx, exe, env, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s%s", exe, args, err, out, errs)
	}
	return strings.TrimSpace(out)
}

func gcc(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(testenv.RequireTool(t, "gcc"), args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
}

// TestVenvScenario is the proof, end to end: a C extension in a venv
// needs a library off the search path; import fails; `missing` names the
// library and the directory that has it; `wrap` makes a python3 wrapper that
// appends $NIX_LD_LIBRARY_PATH to LD_LIBRARY_PATH and keeps argv[0]; a venv
// made from the wrapper links the wrapper, and the import works there.
func TestVenvScenario(t *testing.T) {
	testenv.RequireLinux(t)
	py := testenv.RequireFile(t, "/usr/bin/python3", "apt-get install python3 python3-venv python3-dev")
	testenv.RequireDebianPackage(t, "python3-venv")
	testenv.RequireDebianPackage(t, "python3-dev")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d := t.TempDir()
	libDir := filepath.Join(d, "nix", "store", "demo-lib", "lib")
	os.MkdirAll(libDir, 0o755)
	src := filepath.Join(d, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "lib.c"), []byte(demoLib), 0o644)
	os.WriteFile(filepath.Join(src, "ext.c"), []byte(demoExt), 0o644)
	gcc(t, "-shared", "-fPIC", "-Wl,-soname,libhkdemo.so", "-o", filepath.Join(libDir, "libhkdemo.so"), filepath.Join(src, "lib.c"))
	inc := mustPython(t, ctx, py, nil, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])")
	suffix := mustPython(t, ctx, py, nil, "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
	ext := filepath.Join(src, "hkdemo"+suffix)
	gcc(t, "-shared", "-fPIC", "-I"+inc, "-o", ext, filepath.Join(src, "ext.c"), "-L"+libDir, "-lhkdemo")

	// A venv from the real interpreter: the import fails.
	venv1 := filepath.Join(d, "venv1")
	mustPython(t, ctx, py, nil, "-m", "venv", "--without-pip", venv1)
	install := func(venv string) {
		site := mustPython(t, ctx, filepath.Join(venv, "bin", "python3"), nil, "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])")
		b, err := os.ReadFile(ext)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(site, filepath.Base(ext)), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	install(venv1)
	_, errs, err := python(t, ctx, filepath.Join(venv1, "bin", "python3"), nil, "-c", "import hkdemo")
	if err == nil || !strings.Contains(errs, "libhkdemo.so: cannot open shared object file") {
		t.Fatalf("import in venv1 should fail with 'cannot open shared object file': %v\n%s", err, errs)
	}

	// missing names the library, the chain and the directory.
	var out, stderr bytes.Buffer
	if code := run(ctx, []string{"missing", "--candidates", "/nonexistent:" + libDir, venv1}, &out, &stderr); code != 1 {
		t.Fatalf("missing exit %d (want 1)\n%s%s", code, out.String(), stderr.String())
	}
	if !strings.Contains(out.String(), "libhkdemo.so: not found") || !strings.Contains(out.String(), "found in: "+libDir+"\n") {
		t.Fatalf("missing does not name the library and %s:\n%s", libDir, out.String())
	}

	// wrap python3 with the nix-ld style suffix.
	wrapped := filepath.Join(d, "wrapped")
	out.Reset()
	stderr.Reset()
	if code := run(ctx, []string{"wrap", "--out", wrapped, "--suffix-from", "LD_LIBRARY_PATH=NIX_LD_LIBRARY_PATH", py}, &out, &stderr); code != 0 {
		t.Fatalf("wrap exit %d: %s", code, stderr.String())
	}
	wpy := filepath.Join(wrapped, "python3")
	script, err := os.ReadFile(wpy)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), `exec -a "$0" '/usr/bin/python3' "$@"`) {
		t.Fatalf("wrapper does not exec -a \"$0\":\n%s", script)
	}

	// A venv created from the wrapped interpreter links the wrapper.
	venv2 := filepath.Join(d, "venv2")
	mustPython(t, ctx, wpy, nil, "-m", "venv", "--without-pip", venv2)
	link, err := os.Readlink(filepath.Join(venv2, "bin", "python3"))
	if err != nil {
		t.Fatal(err)
	}
	if link != wpy {
		t.Fatalf("venv2/bin/python3 links %s, want the wrapper %s", link, wpy)
	}
	install(venv2)
	// Without NIX_LD_LIBRARY_PATH the import still fails...
	if _, errs, err := python(t, ctx, filepath.Join(venv2, "bin", "python3"), nil, "-c", "import hkdemo"); err == nil {
		t.Fatal("import worked without NIX_LD_LIBRARY_PATH: the test proves nothing")
	} else if !strings.Contains(errs, "cannot open shared object file") {
		t.Fatalf("unexpected failure: %s", errs)
	}
	// ...with it, it works, inside the venv.
	got := mustPython(t, ctx, filepath.Join(venv2, "bin", "python3"), []string{"NIX_LD_LIBRARY_PATH=" + libDir},
		"-c", "import hkdemo, sys; print(hkdemo.answer(), sys.prefix, sys.prefix != sys.base_prefix)")
	if want := "42 " + venv2 + " True"; got != want {
		t.Fatalf("in venv2: %q, want %q", got, want)
	}
}
