package elfwrap

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// EnvOpKind is what an environment operation does.
type EnvOpKind uint8

// Environment operations (nixpkgs makeWrapper's --set, --set-default,
// --unset, --prefix, --suffix).
const (
	EnvSet        EnvOpKind = iota + 1 // VAR=value
	EnvSetDefault                      // VAR=value only when VAR is unset
	EnvUnset                           // unset VAR
	EnvPrefix                          // VAR=value<sep>$VAR (no empty element)
	EnvSuffix                          // VAR=$VAR<sep>value (no empty element)
)

// EnvOp is one change to the environment, applied in order.
type EnvOp struct {
	Kind EnvOpKind
	// Var is the variable changed.
	Var string
	// Value is the literal value. For EnvPrefix and EnvSuffix an empty
	// value changes nothing.
	Value string
	// FromVar, when set, takes the value from this variable when the
	// wrapper runs instead of Value ("NIX_LD_LIBRARY_PATH"); if it is unset
	// or empty the operation changes nothing.
	FromVar string
	// Sep separates elements for EnvPrefix/EnvSuffix; "" means ":".
	Sep string
}

// Argv0Policy is what the wrapped program sees as argv[0].
type Argv0Policy uint8

// argv[0] policies.
const (
	// Argv0Inherit passes the wrapper's own $0 (`exec -a "$0"`): a venv
	// created from a wrapped python links the wrapper. The default.
	Argv0Inherit Argv0Policy = iota
	// Argv0Target lets argv[0] be the target's path (plain exec).
	Argv0Target
	// Argv0Fixed passes Wrapper.Argv0.
	Argv0Fixed
)

// Wrapper describes a wrapper script around one program.
type Wrapper struct {
	// Shell is the interpreter line's program; "" means /bin/bash.
	// `exec -a` needs bash, zsh, ksh or busybox ash, not dash.
	Shell string
	// Target is the program the wrapper runs (absolute path).
	Target string
	// Env is applied in order before the exec.
	Env []EnvOp
	// Argv0Policy and Argv0 choose argv[0].
	Argv0Policy Argv0Policy
	Argv0       string
	// Args go before the caller's arguments, AppendArgs after them.
	Args, AppendArgs []string
	// Chdir, when set, is the directory the program starts in.
	Chdir string
}

// ErrBadWrapper is matched by errors about a wrapper that cannot be
// written (a bad variable name, a NUL byte, a relative target...).
var ErrBadWrapper = errors.New("bad wrapper")

func badWrapper(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadWrapper, fmt.Sprintf(format, args...))
}

// ShellQuote quotes s as one shell word. Valid UTF-8 goes in single quotes
// (each ' written as '\”), which every POSIX shell reads back unchanged,
// newlines included. Other byte strings use bash's $'...' with \xHH escapes
// so the script stays valid UTF-8 text for editors and parsers (bash, zsh,
// ksh and busybox ash read $'...'; dash 0.5.12, Debian 12's /bin/sh, reads
// it as literal text, so Script refuses such bytes for sh and dash). NUL cannot be in an
// argument or environment value; Script rejects it.
func ShellQuote(s string) string {
	if utf8.ValidString(s) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteString("'")
	return b.String()
}

func validVar(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

func noNUL(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return badWrapper("%s contains a NUL byte", what)
	}
	return nil
}

// shellName is the base name of the shell an interpreter line runs,
// looking through env(1) ("/usr/bin/env sh", "/usr/bin/env -S dash -e"):
// its options and VAR=value words are skipped.
func shellName(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	name := filepath.Base(f[0])
	if name != "env" {
		return name
	}
	for _, w := range f[1:] {
		if strings.HasPrefix(w, "-") || strings.Contains(w, "=") {
			continue
		}
		return filepath.Base(w)
	}
	return name
}

// Script renders the wrapper as a shell script.
func (w *Wrapper) Script() ([]byte, error) {
	shell := w.Shell
	if shell == "" {
		shell = "/bin/bash"
	}
	if strings.ContainsAny(shell, "\n\x00") || !strings.HasPrefix(shell, "/") {
		return nil, badWrapper("shell %q must be an absolute path on one line", shell)
	}
	if w.Target == "" || !strings.HasPrefix(w.Target, "/") {
		return nil, badWrapper("target %q must be an absolute path", w.Target)
	}
	posixOnly := false
	switch shellName(shell) {
	case "sh", "dash", "posh":
		posixOnly = true
		if w.Argv0Policy != Argv0Target {
			return nil, badWrapper("shell %s cannot set argv[0] (exec -a); use bash or Argv0Target", shell)
		}
	}
	var notPOSIX string // a value sh/dash cannot be given
	quote := func(s string) string {
		if posixOnly && notPOSIX == "" && !utf8.ValidString(s) {
			notPOSIX = s
		}
		return ShellQuote(s)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!%s\n", shell)
	b.WriteString("# Generated by hostkit elfwrap: runs " + strconv.QuoteToASCII(w.Target) + " with a changed environment.\n")
	for i, op := range w.Env {
		if !validVar(op.Var) {
			return nil, badWrapper("environment operation %d: %q is not a variable name", i, op.Var)
		}
		if op.FromVar != "" && !validVar(op.FromVar) {
			return nil, badWrapper("environment operation %d: %q is not a variable name", i, op.FromVar)
		}
		if err := noNUL(fmt.Sprintf("value of %s", op.Var), op.Value+op.Sep); err != nil {
			return nil, err
		}
		val := quote(op.Value)
		if op.FromVar != "" {
			val = `"${` + op.FromVar + `-}"`
		}
		sep := op.Sep
		if sep == "" {
			sep = ":"
		}
		v := op.Var
		switch op.Kind {
		case EnvSet:
			if op.FromVar != "" {
				fmt.Fprintf(&b, "%s=%s\nexport %s\n", v, val, v)
			} else {
				fmt.Fprintf(&b, "export %s=%s\n", v, val)
			}
		case EnvSetDefault:
			fmt.Fprintf(&b, "if [ -z \"${%s+set}\" ]; then\n\t%s=%s\n\texport %s\nfi\n", v, v, val, v)
		case EnvUnset:
			fmt.Fprintf(&b, "unset %s\n", v)
		case EnvPrefix, EnvSuffix:
			if op.FromVar == "" && op.Value == "" {
				continue
			}
			joined := `"${` + v + `}"` + quote(sep) + val
			if op.Kind == EnvPrefix {
				joined = val + quote(sep) + `"${` + v + `}"`
			}
			block := fmt.Sprintf("if [ -n \"${%s-}\" ]; then\n\t%s=%s\nelse\n\t%s=%s\nfi\nexport %s\n", v, v, joined, v, val, v)
			if op.FromVar != "" {
				// Nothing to add when the source is unset or empty. The
				// block is indented unless a quoted word spans lines.
				if !strings.Contains(sep, "\n") {
					block = indent(block)
				}
				block = fmt.Sprintf("if [ -n \"${%s-}\" ]; then\n%sfi\n", op.FromVar, block)
			}
			b.WriteString(block)
		default:
			return nil, badWrapper("environment operation %d: unknown kind %d", i, op.Kind)
		}
	}
	if w.Chdir != "" {
		if err := noNUL("chdir", w.Chdir); err != nil {
			return nil, err
		}
		// "--" so that a directory named "-L" or "-P" is not an option; a
		// relative directory gets "./" so that cd neither searches CDPATH
		// (and prints the directory on the program's stdout) nor reads "-"
		// as $OLDPWD, which "--" does not prevent in bash or dash.
		dir := w.Chdir
		if !strings.HasPrefix(dir, "/") {
			dir = "./" + dir
		}
		fmt.Fprintf(&b, "cd -- %s || exit 1\n", quote(dir))
	}
	if err := noNUL("target", w.Target); err != nil {
		return nil, err
	}
	b.WriteString("exec ")
	switch w.Argv0Policy {
	case Argv0Inherit:
		b.WriteString(`-a "$0" `)
	case Argv0Fixed:
		if err := noNUL("argv0", w.Argv0); err != nil {
			return nil, err
		}
		b.WriteString("-a " + quote(w.Argv0) + " ")
	}
	b.WriteString(quote(w.Target))
	for _, a := range w.Args {
		if err := noNUL("argument", a); err != nil {
			return nil, err
		}
		b.WriteString(" " + quote(a))
	}
	b.WriteString(` "$@"`)
	for _, a := range w.AppendArgs {
		if err := noNUL("argument", a); err != nil {
			return nil, err
		}
		b.WriteString(" " + quote(a))
	}
	b.WriteString("\n")
	if notPOSIX != "" {
		return nil, badWrapper("shell %s cannot be given the bytes of %q (not UTF-8, needs $'...'); use bash", shell, notPOSIX)
	}
	return []byte(b.String()), nil
}

// indent prefixes each line of a block with a tab.
func indent(block string) string {
	lines := strings.SplitAfter(block, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("\t" + l)
		}
	}
	return b.String()
}

// WriteWrapper writes the wrapper script to path atomically (a temporary
// file in the same directory, then rename) with the given mode.
func WriteWrapper(path string, w *Wrapper, mode fs.FileMode) error {
	data, err := w.Script()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, data, atomicfile.Options{Perm: mode.Perm(), ForcePerm: true})
}

// WrapPrograms writes, for each program, a wrapper named like it into
// outDir, built from tmpl with Target set to the program's absolute path and
// the mode copied from the program (after following symlinks). A directory
// among programs stands for every executable file in it. It returns the
// wrappers written.
func WrapPrograms(ctx context.Context, outDir string, tmpl Wrapper, programs ...string) ([]string, error) {
	var targets []string
	for _, p := range programs {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			targets = append(targets, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			full := filepath.Join(p, e.Name())
			if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
				targets = append(targets, full)
			}
		}
	}
	sort.Strings(targets)
	var written []string
	seen := map[string]string{}
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		abs, err := filepath.Abs(t)
		if err != nil {
			return written, err
		}
		st, err := os.Stat(abs)
		if err != nil {
			return written, err
		}
		if !st.Mode().IsRegular() {
			return written, fmt.Errorf("%s: not a regular file", t)
		}
		name := filepath.Base(abs)
		if prev, ok := seen[name]; ok {
			return written, fmt.Errorf("%s and %s would both be wrapped as %s", prev, abs, name)
		}
		seen[name] = abs
		w := tmpl
		w.Target = abs
		out := filepath.Join(outDir, name)
		if o, err := filepath.Abs(out); err == nil && o == abs {
			return written, fmt.Errorf("%s: the wrapper would replace the program it wraps", abs)
		}
		// The same directory under another path (a symlink such as merged
		// /usr's /bin -> usr/bin): the rename would replace the program.
		if od, err := os.Stat(outDir); err == nil {
			if pd, err := os.Stat(filepath.Dir(abs)); err == nil && os.SameFile(od, pd) {
				return written, fmt.Errorf("%s: the wrapper %s would replace the program it wraps (%s is its directory)", abs, out, outDir)
			}
		}
		if err := WriteWrapper(out, &w, st.Mode()); err != nil {
			return written, err
		}
		written = append(written, out)
	}
	return written, nil
}
