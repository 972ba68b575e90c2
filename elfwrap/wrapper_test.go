package elfwrap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"mvdan.cc/sh/v3/syntax"
	"pgregory.net/rapid"
)

// dumpEnv makes the test binary print its argv and environment as JSON:
// the wrapped "program" in wrapper tests.
const dumpEnv = "HOSTKIT_ELFWRAP_DUMP"

// dump is what the target saw; raw bytes travel as base64 so that values
// which are not UTF-8 survive the JSON.
type dump struct {
	RawArgs [][]byte          `json:"args"`
	RawEnv  map[string][]byte `json:"env"`
	Args    []string          `json:"-"`
	Env     map[string]string `json:"-"`
	Set     map[string]bool   `json:"-"`
}

func TestMain(m *testing.M) {
	if os.Getenv(dumpEnv) == "1" {
		d := dump{RawEnv: map[string][]byte{}}
		for _, a := range os.Args {
			d.RawArgs = append(d.RawArgs, []byte(a))
		}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			d.RawEnv[k] = []byte(v)
		}
		json.NewEncoder(os.Stdout).Encode(d)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tbLite is what both *testing.T and *rapid.T provide.
type tbLite interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func parseBash(t tbLite, script []byte) {
	t.Helper()
	if _, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(script), "wrapper"); err != nil {
		t.Fatalf("mvdan.cc/sh cannot parse the wrapper: %v\n%s", err, script)
	}
}

// runWrapper writes w into a temp dir, runs it with args and env under
// real bash, and returns what the target saw.
func runWrapper(t tbLite, bash string, w *Wrapper, env []string, args ...string) (dump, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w.Target = self
	w.Shell = bash
	script, err := w.Script()
	if err != nil {
		t.Fatal(err)
	}
	parseBash(t, script)
	dir, err := os.MkdirTemp("", "elfwrap-wrapper-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "prog")
	if err := WriteWrapper(path, w, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append([]string{dumpEnv + "=1", "PATH=/usr/bin:/bin"}, env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the wrapper: %v\n%s", err, script)
	}
	var d dump
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	d.Env, d.Set = map[string]string{}, map[string]bool{}
	for k, v := range d.RawEnv {
		d.Env[k], d.Set[k] = string(v), true
	}
	for _, a := range d.RawArgs {
		d.Args = append(d.Args, string(a))
	}
	return d, path
}

func TestWrapperOperations(t *testing.T) {
	bash := testenv.RequireTool(t, "bash")
	w := &Wrapper{
		Env: []EnvOp{
			{Kind: EnvSet, Var: "A", Value: "it's $HOME `x` \\ \"q\"\nline2"},
			{Kind: EnvSetDefault, Var: "B", Value: "default"},
			{Kind: EnvSetDefault, Var: "C", Value: "default"},
			{Kind: EnvUnset, Var: "D"},
			{Kind: EnvSuffix, Var: "LD_LIBRARY_PATH", FromVar: "NIX_LD_LIBRARY_PATH"},
			{Kind: EnvPrefix, Var: "P", Value: "/new dir", Sep: ";"},
			{Kind: EnvSuffix, Var: "S", Value: "/x"},
			{Kind: EnvSuffix, Var: "E", FromVar: "UNSET_SOURCE"},
		},
		Args:       []string{"--first", "two words"},
		AppendArgs: []string{"--last"},
	}
	d, path := runWrapper(t, bash, w, []string{"C=keep", "D=gone", "NIX_LD_LIBRARY_PATH=/nix/lib", "P=/old", "S="}, "user arg", "*")
	want := map[string]string{"A": w.Env[0].Value, "B": "default", "C": "keep", "LD_LIBRARY_PATH": "/nix/lib", "P": "/new dir;/old", "S": "/x"}
	for k, v := range want {
		if d.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, d.Env[k], v)
		}
	}
	if d.Set["D"] || d.Set["E"] {
		t.Errorf("D or E set: %v", d.Env)
	}
	if !cmp.Equal(d.Args, []string{path, "--first", "two words", "user arg", "*", "--last"}) {
		t.Errorf("args %q (argv[0] must be the wrapper's $0)", d.Args)
	}
	// Suffix onto an existing value.
	d, _ = runWrapper(t, bash, &Wrapper{Env: w.Env[4:5]}, []string{"NIX_LD_LIBRARY_PATH=/nix/lib", "LD_LIBRARY_PATH=/a"})
	if d.Env["LD_LIBRARY_PATH"] != "/a:/nix/lib" {
		t.Errorf("suffix onto /a: %q", d.Env["LD_LIBRARY_PATH"])
	}
	// Without NIX_LD_LIBRARY_PATH nothing changes (no empty element).
	d, _ = runWrapper(t, bash, &Wrapper{Env: w.Env[4:5]}, []string{"LD_LIBRARY_PATH=/a"})
	if d.Env["LD_LIBRARY_PATH"] != "/a" {
		t.Errorf("suffix of nothing: %q", d.Env["LD_LIBRARY_PATH"])
	}
	// A separator with a newline inside a run-time suffix.
	d, _ = runWrapper(t, bash, &Wrapper{Env: []EnvOp{{Kind: EnvSuffix, Var: "L", FromVar: "S", Sep: "\n\t'"}}}, []string{"S=/s", "L=/l"})
	if d.Env["L"] != "/l\n\t'/s" {
		t.Errorf("newline separator: %q", d.Env["L"])
	}
	d, _ = runWrapper(t, bash, &Wrapper{Argv0Policy: Argv0Fixed, Argv0: "fixed name"}, nil)
	if d.Args[0] != "fixed name" {
		t.Errorf("fixed argv0: %q", d.Args[0])
	}
}

var (
	anyText  = rapid.StringOfN(rapid.RuneFrom(rapidRanges), 0, 24, -1)
	anyBytes = rapid.Custom(func(t *rapid.T) string {
		return string(rapid.SliceOfN(rapid.ByteRange(1, 255), 0, 16).Draw(t, "raw"))
	})
	anyValue = rapid.OneOf(anyText, anyBytes)
)

// TestWrapperQuotingParses: for any bytes but NUL in values, separators,
// arguments and argv0, the script parses with mvdan.cc/sh and each quoted
// word reads back (through mvdan's own evaluation of the literal) as the
// input.
func TestWrapperQuotingParses(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		v := anyValue.Draw(rt, "v")
		f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader("x "+ShellQuote(v)+"\n"), "")
		if err != nil {
			rt.Fatalf("%q: %v", ShellQuote(v), err)
		}
		call := f.Stmts[0].Cmd.(*syntax.CallExpr)
		if len(call.Args) != 2 {
			rt.Fatalf("%q is %d words", ShellQuote(v), len(call.Args)-1)
		}
		w := &Wrapper{Target: "/bin/" + v, Env: []EnvOp{{Kind: EnvSuffix, Var: "V", Value: v, Sep: v}}, Args: []string{v}, Argv0Policy: Argv0Fixed, Argv0: v}
		if strings.ContainsRune(v, '\n') {
			w.Target = "/bin/x"
		}
		script, err := w.Script()
		if err != nil {
			rt.Fatal(err)
		}
		parseBash(rt, script)
	})
}

// TestWrapperQuotingUnderBash runs wrappers under real bash with values
// drawn from the same generators (20 fixed seeds, 6 values each): every
// value reaches the program unchanged.
func TestWrapperQuotingUnderBash(t *testing.T) {
	bash := testenv.RequireTool(t, "bash")
	gen := rapid.SliceOfN(anyValue, 6, 6)
	for seed := 0; seed < 20; seed++ {
		v := gen.Example(seed)
		pre := v[1] + "x"
		w := &Wrapper{
			Env: []EnvOp{{Kind: EnvSet, Var: "V", Value: v[0]}, {Kind: EnvPrefix, Var: "W", Value: pre, Sep: v[2]},
				{Kind: EnvSuffix, Var: "X", FromVar: "SRC", Sep: v[2]}},
			Args:        []string{v[3]},
			AppendArgs:  []string{v[4]},
			Argv0Policy: Argv0Fixed, Argv0: v[5] + "0",
		}
		d, _ := runWrapper(t, bash, w, []string{"W=old", "X=x", "SRC=" + pre}, "mid")
		sep := v[2]
		if sep == "" {
			sep = ":" // EnvOp's default separator
		}
		if d.Env["V"] != v[0] {
			t.Errorf("seed %d: V = %q, want %q", seed, d.Env["V"], v[0])
		}
		if d.Env["W"] != pre+sep+"old" {
			t.Errorf("seed %d: W = %q, want %q", seed, d.Env["W"], pre+sep+"old")
		}
		if d.Env["X"] != "x"+sep+pre {
			t.Errorf("seed %d: X = %q, want %q", seed, d.Env["X"], "x"+sep+pre)
		}
		if want := []string{v[5] + "0", v[3], "mid", v[4]}; !cmp.Equal(d.Args, want) {
			t.Errorf("seed %d: args %q, want %q", seed, d.Args, want)
		}
	}
}

var rapidRanges = []rune{' ', '\'', '"', '$', '`', '\\', '\n', '\t', '!', '*', '?', '[', ']', '{', '}', '~', '#', ';', '&', '|', '<', '>', '(', ')', 'a', 'é', '日'}

func TestWrapperRejects(t *testing.T) {
	cases := map[string]*Wrapper{
		"relative target": {Target: "bin/x"},
		"bad var":         {Target: "/bin/x", Env: []EnvOp{{Kind: EnvSet, Var: "1A", Value: "x"}}},
		"bad from var":    {Target: "/bin/x", Env: []EnvOp{{Kind: EnvSuffix, Var: "A", FromVar: "$(rm -rf /)"}}},
		"NUL in value":    {Target: "/bin/x", Env: []EnvOp{{Kind: EnvSet, Var: "A", Value: "a\x00b"}}},
		"dash with -a":    {Target: "/bin/x", Shell: "/bin/dash"},
		"env sh with -a":  {Target: "/bin/x", Shell: "/usr/bin/env sh"},
		"env -S dash":     {Target: "/bin/x", Shell: "/usr/bin/env -S LC_ALL=C dash -e"},
		"env sh, not UTF-8": {Target: "/bin/x", Shell: "/usr/bin/env sh", Argv0Policy: Argv0Target,
			Env: []EnvOp{{Kind: EnvSet, Var: "V", Value: "a\xffb"}}},
		"NUL in argument": {Target: "/bin/x", Args: []string{"\x00"}},
	}
	for name, w := range cases {
		if _, err := w.Script(); !errors.Is(err, ErrBadWrapper) {
			t.Errorf("%s: %v, want ErrBadWrapper", name, err)
		}
	}
}

func TestShellName(t *testing.T) {
	for line, want := range map[string]string{
		"/bin/bash": "bash", "/usr/bin/env sh": "sh", "/usr/bin/env -S dash -e": "dash",
		"/usr/bin/env LC_ALL=C bash": "bash", "/usr/bin/env": "env", "/bin/sh -e": "sh",
	} {
		if got := shellName(line); got != want {
			t.Errorf("shellName(%q) = %q, want %q", line, got, want)
		}
	}
	// through env, bash stays bash: exec -a is allowed
	if _, err := (&Wrapper{Target: "/bin/x", Shell: "/usr/bin/env bash"}).Script(); err != nil {
		t.Errorf("env bash: %v", err)
	}
}

func TestWrapProgramsKeepsMode(t *testing.T) {
	src := t.TempDir()
	out := t.TempDir()
	os.WriteFile(filepath.Join(src, "tool"), []byte("#!/bin/sh\n"), 0o750)
	os.WriteFile(filepath.Join(src, "data"), []byte("x"), 0o644)
	got, err := WrapPrograms(context.Background(), out, Wrapper{}, src)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got, []string{filepath.Join(out, "tool")}) {
		t.Fatalf("wrote %v", got)
	}
	st, _ := os.Stat(got[0])
	if st.Mode().Perm() != 0o750 {
		t.Errorf("mode %v, want 0750", st.Mode())
	}
	b, _ := os.ReadFile(got[0])
	parseBash(t, b)
	if !strings.Contains(string(b), ShellQuote(filepath.Join(src, "tool"))) {
		t.Errorf("wrapper does not exec the tool:\n%s", b)
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".hostkit-tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func FuzzWrapperScript(f *testing.F) {
	f.Add("value with 'quotes' and $x", ":", "arg\n")
	f.Fuzz(func(t *testing.T, val, sep, arg string) {
		w := &Wrapper{Target: "/bin/true", Env: []EnvOp{{Kind: EnvSuffix, Var: "V", Value: val, Sep: sep}}, Args: []string{arg}}
		script, err := w.Script()
		if err != nil {
			if !strings.ContainsRune(val+sep+arg, 0) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		parseBash(t, script)
	})
}

// Debian 12's dash reads $'\xff' literally, so a /bin/sh wrapper cannot
// carry bytes that are not UTF-8: Script refuses them instead of writing a
// script that hands the program different bytes. UTF-8 values (quotes,
// dollars, backslashes, newlines, control bytes) still arrive intact.
func TestWrapperDashNonUTF8(t *testing.T) {
	dash := testenv.RequireTool(t, "dash")
	bad := &Wrapper{Shell: dash, Target: "/bin/x", Argv0Policy: Argv0Target, Env: []EnvOp{{Kind: EnvSet, Var: "V", Value: "a\xffb"}}}
	if _, err := bad.Script(); !errors.Is(err, ErrBadWrapper) {
		t.Errorf("non-UTF-8 value for dash: %v, want ErrBadWrapper", err)
	}
	bad = &Wrapper{Shell: "/bin/sh", Target: "/bin/x", Argv0Policy: Argv0Target, Args: []string{"\xfe"}}
	if _, err := bad.Script(); !errors.Is(err, ErrBadWrapper) {
		t.Errorf("non-UTF-8 argument for sh: %v, want ErrBadWrapper", err)
	}
	val := "a\u00e9b'$x\\\n\x01-"
	w := &Wrapper{Argv0Policy: Argv0Target, Env: []EnvOp{{Kind: EnvSet, Var: "V", Value: val}}, Args: []string{"-arg'"}}
	d, _ := runWrapper(t, dash, w, nil)
	if d.Env["V"] != val {
		t.Errorf("V = %q, want %q", d.Env["V"], val)
	}
	if len(d.Args) < 2 || d.Args[1] != "-arg'" {
		t.Errorf("args %q", d.Args)
	}
}

// A working directory named like a cd option ("-L", "-") is a directory.
func TestWrapperChdirLeadingDash(t *testing.T) {
	bash := testenv.RequireTool(t, "bash")
	base := t.TempDir()
	dir := filepath.Join(base, "-L")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w := &Wrapper{Chdir: "-L", Target: "/bin/pwd", Shell: bash}
	script, err := w.Script()
	if err != nil {
		t.Fatal(err)
	}
	parseBash(t, script)
	path := filepath.Join(t.TempDir(), "prog")
	if err := WriteWrapper(path, w, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path)
	cmd.Dir = base
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, script)
	}
	if got := strings.TrimSpace(string(out)); got != dir {
		t.Errorf("program ran in %q, want %q", got, dir)
	}
}

// A relative working directory is that directory under the caller's one,
// under bash and dash alike: not a CDPATH entry (cd would also print it on
// the program's stdout) and not $OLDPWD for "-".
func TestWrapperChdirRelative(t *testing.T) {
	for _, sh := range []string{"bash", "dash"} {
		shell := testenv.RequireTool(t, sh)
		for _, name := range []string{"sub", "-", "-P"} {
			t.Run(sh+"/"+name, func(t *testing.T) {
				base, other := t.TempDir(), t.TempDir()
				for _, d := range []string{filepath.Join(base, name), filepath.Join(other, name)} {
					if err := os.Mkdir(d, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				w := &Wrapper{Chdir: name, Target: "/bin/pwd", Shell: shell, Argv0Policy: Argv0Target}
				path := filepath.Join(t.TempDir(), "prog")
				if err := WriteWrapper(path, w, 0o755); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(path)
				cmd.Dir = base
				cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/", "CDPATH=" + other, "OLDPWD=" + filepath.Join(other, name)}
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("%v", err)
				}
				if want := filepath.Join(base, name) + "\n"; string(out) != want {
					t.Errorf("program's stdout %q, want %q (it must run in %s)", out, want, filepath.Join(base, name))
				}
			})
		}
	}
}

// The output directory reached through a symbolic link (merged /usr: /bin
// is usr/bin) is still the program's own directory: WrapPrograms refuses
// instead of replacing the program with a wrapper that runs itself.
func TestWrapProgramsSameDirThroughSymlink(t *testing.T) {
	d := t.TempDir()
	real := filepath.Join(d, "usr-bin")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(d, "bin")
	if err := os.Symlink("usr-bin", link); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(real, "prog")
	orig := []byte("#!/bin/sh\necho original\n")
	if err := os.WriteFile(prog, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ out, program string }{{link, prog}, {real, filepath.Join(link, "prog")}} {
		written, err := WrapPrograms(context.Background(), c.out, Wrapper{}, c.program)
		if err == nil {
			t.Errorf("wrapping %s into %s: no error (wrote %v)", c.program, c.out, written)
		}
		if got, _ := os.ReadFile(prog); !bytes.Equal(got, orig) {
			t.Fatalf("wrapping %s into %s replaced the program:\n%s", c.program, c.out, got)
		}
	}
}
