package binfmt

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ProblemCode names a reason a program does not run (or may not).
type ProblemCode string

// The problems Diagnose recognises: the causes of "exec format error"
// people bring to the trackers of every binfmt tool.
const (
	ProblemNotMounted        ProblemCode = "not-mounted"         // binfmt_misc is not mounted
	ProblemDisabled          ProblemCode = "disabled"            // binfmt_misc is disabled as a whole
	ProblemNoEntry           ProblemCode = "no-entry"            // no entry for the file's architecture
	ProblemEntryDisabled     ProblemCode = "entry-disabled"      // the matching entry is disabled
	ProblemInterpreterAbsent ProblemCode = "interpreter-missing" // the interpreter path does not exist where the program runs
	ProblemInterpreterNotF   ProblemCode = "interpreter-not-fixed"
	ProblemInterpreterDyn    ProblemCode = "interpreter-dynamic" // a dynamically linked interpreter
	ProblemNeedsP            ProblemCode = "needs-preserve-argv0"
	ProblemNotExecutable     ProblemCode = "not-executable"
	ProblemSetuidWithoutC    ProblemCode = "setuid-without-c"
	ProblemNativeTakenOver   ProblemCode = "native-taken-over" // an entry matches a program the host runs natively
	ProblemUnknownFormat     ProblemCode = "unknown-format"
)

// Problem is one finding of a diagnosis.
type Problem struct {
	// Code names the problem.
	Code ProblemCode `json:"code"`
	// Fatal is true when the problem alone stops the program from running
	// (false for a warning).
	Fatal bool `json:"fatal"`
	// Message says what is wrong; Fix says what to do about it.
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// InterpreterInfo is what Diagnose knows about an interpreter file.
type InterpreterInfo struct {
	// Exists reports whether the path exists (in the root the program runs
	// in).
	Exists bool
	// Loader is its PT_INTERP (its dynamic loader), "" when static or
	// unknown.
	Loader string
}

// Facts are everything Explain needs to know about a file and the system.
type Facts struct {
	// Path is the path the program is executed by; Header its first bytes
	// (up to BufSize); Mode its file mode.
	Path   string
	Header []byte
	Mode   fs.FileMode
	// Mounted and Enabled describe binfmt_misc (the status file); Entries
	// are its entries in kernel order.
	Mounted, Enabled bool
	// MountDir is where binfmt_misc is (or would be) mounted.
	MountDir string
	Entries  []Entry
	// HostFamily is the QEMU CPU family of the host.
	HostFamily string
	// Root is the root directory the program runs in ("" or "/" for the
	// host's; a container's or chroot's otherwise).
	Root string
	// Interpreter describes an interpreter path as seen from Root (or from
	// the host when fromHost is true, for entries with F).
	Interpreter func(path string, fromHost bool) InterpreterInfo
}

// Diagnosis says whether and how a file runs, and if not why.
type Diagnosis struct {
	// Path is the file diagnosed.
	Path string `json:"path"`
	// Arch is the file's architecture (nil when it is not ELF).
	Arch *Arch `json:"arch,omitempty"`
	// Native reports that the host runs the file's architecture itself.
	Native bool `json:"native"`
	// Script reports a "#!" script (run by the kernel's script loader).
	Script bool `json:"script,omitempty"`
	// Entry is the binfmt_misc entry the kernel would use, if any.
	Entry *Entry `json:"entry,omitempty"`
	// Match is how the entries were tried.
	Match MatchResult `json:"-"`
	// Problems are the findings, fatal ones first.
	Problems []Problem `json:"problems,omitempty"`
	// Runs is the verdict: no fatal problem was found.
	Runs bool `json:"runs"`
}

// Summary is a one-line verdict.
func (d *Diagnosis) Summary() string {
	what := "not an ELF program"
	if d.Arch != nil {
		what = d.Arch.String()
	} else if d.Script {
		what = "a #! script"
	}
	switch {
	case !d.Runs:
		var codes []string
		for _, p := range d.Problems {
			if p.Fatal {
				codes = append(codes, string(p.Code))
			}
		}
		return fmt.Sprintf("%s: %s: does not run (%s)", d.Path, what, strings.Join(codes, ", "))
	case d.Entry != nil:
		return fmt.Sprintf("%s: %s: runs through binfmt_misc entry %s (%s)", d.Path, what, d.Entry.Name, d.Entry.Interpreter)
	case d.Script:
		return fmt.Sprintf("%s: %s: runs with its #! interpreter", d.Path, what)
	}
	return fmt.Sprintf("%s: %s: runs natively", d.Path, what)
}

// DiagnoseOptions say where to look.
type DiagnoseOptions struct {
	// MountDir is the binfmt_misc mount ("" means DefaultDir).
	MountDir string
	// Root is the root the program will run in, for a container or a
	// chroot ("" means the host's).
	Root string
}

// Diagnose says whether the file at path runs on this system and, when it
// does not (the "exec format error" question), why: binfmt_misc not mounted
// or disabled, no entry for the file's architecture, the entry disabled,
// the interpreter missing or outside the root without F, a dynamically
// linked interpreter, P missing for an interpreter that needs it.
func Diagnose(ctx context.Context, file string, opts DiagnoseOptions) (*Diagnosis, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	header, err := ReadHeader(file)
	if err != nil {
		return nil, err
	}
	f := Facts{Path: file, Header: header, Mode: st.Mode(), HostFamily: HostFamily(), Root: opts.Root, MountDir: opts.MountDir}
	if f.MountDir == "" {
		f.MountDir = DefaultDir
	}
	if m, err := Open(opts.MountDir); err == nil {
		f.Mounted = true
		if f.Enabled, err = m.Enabled(); err != nil {
			return nil, err
		}
		if f.Entries, err = m.Entries(); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, ErrNotMounted) {
		return nil, err
	}
	f.Interpreter = func(p string, fromHost bool) InterpreterInfo {
		if !fromHost && opts.Root != "" {
			p = filepath.Join(opts.Root, p)
		}
		return InspectInterpreter(p)
	}
	d := Explain(f)
	return &d, nil
}

// InspectInterpreter says whether an interpreter file exists and, for an
// ELF file, which dynamic loader it needs ("" for a static one).
func InspectInterpreter(p string) InterpreterInfo {
	ef, err := elf.Open(p)
	if err != nil {
		_, serr := os.Stat(p)
		return InterpreterInfo{Exists: serr == nil}
	}
	defer ef.Close()
	info := InterpreterInfo{Exists: true}
	for _, prog := range ef.Progs {
		if prog.Type == elf.PT_INTERP {
			// The kernel refuses a PT_INTERP longer than PATH_MAX; a
			// corrupt or hostile size must not make the allocation panic.
			if prog.Filesz < 2 || prog.Filesz > 4096 {
				continue
			}
			b := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(b, 0); err == nil {
				info.Loader = strings.TrimRight(string(b), "\x00")
			}
		}
	}
	return info
}

// Explain diagnoses from facts alone (no system access), the pure core of
// Diagnose.
func Explain(f Facts) Diagnosis {
	d := Diagnosis{Path: f.Path}
	add := func(p Problem) { d.Problems = append(d.Problems, p) }
	if f.Mode != 0 && f.Mode&0o111 == 0 {
		add(Problem{Code: ProblemNotExecutable, Fatal: true, Message: "the file is not executable (the error is \"permission denied\", not \"exec format error\")", Fix: "chmod +x " + f.Path})
	}
	if a, err := DetectArch(f.Header); err == nil {
		d.Arch = &a
		d.Native = a.Family != "" && a.Family == f.HostFamily
	} else if strings.HasPrefix(string(f.Header), "#!") {
		d.Script = true
	}
	allOn := make([]Entry, len(f.Entries))
	for i, e := range f.Entries {
		e.Enabled = true
		allOn[i] = e
	}
	d.Match = Match(f.Entries, f.Header, f.Path)
	if f.Mounted && f.Enabled {
		d.Entry = d.Match.Entry
	}
	arch := "this format"
	target := ""
	if d.Arch != nil {
		arch = d.Arch.String()
		target = d.Arch.Target
	}
	switch {
	case d.Native || d.Script:
		if d.Entry != nil && d.Native {
			add(Problem{Code: ProblemNativeTakenOver, Message: fmt.Sprintf("the host runs %s natively, but entry %s matches it and the kernel tries binfmt_misc first, so %s runs it", arch, d.Entry.Name, d.Entry.Interpreter),
				Fix: "remove the entry (binfmtctl uninstall " + d.Entry.Name + "): emulators for the host's own family are skipped for this reason"})
		}
	case !f.Mounted:
		add(Problem{Code: ProblemNotMounted, Fatal: true, Message: fmt.Sprintf("binfmt_misc is not mounted at %s, so no handler can run %s", f.MountDir, arch),
			Fix: "mount -t binfmt_misc binfmt_misc " + f.MountDir + " (systemd: systemctl start proc-sys-fs-binfmt_misc.mount)"})
	case !f.Enabled:
		add(Problem{Code: ProblemDisabled, Fatal: true, Message: "binfmt_misc is disabled as a whole (its status file says disabled)", Fix: "echo 1 > " + path.Join(f.MountDir, "status")})
	case d.Entry == nil:
		if m := Match(allOn, f.Header, f.Path); m.Entry != nil {
			add(Problem{Code: ProblemEntryDisabled, Fatal: true, Message: fmt.Sprintf("entry %s would run it but is disabled", m.Entry.Name), Fix: "echo 1 > " + path.Join(f.MountDir, m.Entry.Name)})
			break
		}
		fix := "register a handler for it"
		if target != "" {
			fix = "binfmtctl install " + target + " (registers qemu-" + target + ")"
		}
		add(Problem{Code: ProblemNoEntry, Fatal: true, Message: fmt.Sprintf("no binfmt_misc entry matches %s (%s)", arch, d.Match.Reason), Fix: fix})
	}
	if d.Entry != nil {
		explainInterpreter(f, d.Entry, add)
		if f.Mode&fs.ModeSetuid != 0 && d.Entry.Flags&FlagCredentials == 0 {
			add(Problem{Code: ProblemSetuidWithoutC, Message: "the file is setuid, but without the C flag the kernel runs it with the caller's credentials", Fix: "register the entry with C"})
		}
	}
	if d.Arch == nil && !d.Script && d.Entry == nil && len(d.Problems) == 0 {
		add(Problem{Code: ProblemUnknownFormat, Fatal: true, Message: "the file is neither ELF nor a #! script, and no binfmt_misc entry matches it"})
	}
	// fatal first, stable otherwise
	out := d.Problems[:0:0]
	for _, fatal := range []bool{true, false} {
		for _, p := range d.Problems {
			if p.Fatal == fatal {
				out = append(out, p)
			}
		}
	}
	d.Problems = out
	d.Runs = true
	for _, p := range d.Problems {
		if p.Fatal {
			d.Runs = false
		}
	}
	return d
}

func explainInterpreter(f Facts, e *Entry, add func(Problem)) {
	inContainer := f.Root != "" && f.Root != "/"
	fixed := e.Flags&FlagFixBinary != 0
	if strings.HasSuffix(e.Interpreter, "-binfmt-P") && e.Flags&FlagPreserveArgv0 == 0 {
		add(Problem{Code: ProblemNeedsP, Fatal: true, Message: fmt.Sprintf("%s is Debian's wrapper that expects the P flag (preserve argv[0]); without it the program gets the wrong arguments", e.Interpreter),
			Fix: "register " + e.Name + " with P"})
	}
	if f.Interpreter == nil {
		return
	}
	if fixed {
		info := f.Interpreter(e.Interpreter, true)
		if info.Loader != "" {
			p := Problem{Code: ProblemInterpreterDyn, Message: fmt.Sprintf("%s is dynamically linked (loader %s): even with F the loader and its libraries must exist inside every container or chroot the program runs in", e.Interpreter, info.Loader),
				Fix: "use a statically linked emulator (qemu-user-static)"}
			if inContainer {
				if !f.Interpreter(info.Loader, false).Exists {
					p.Fatal = true
					p.Message = fmt.Sprintf("%s is dynamically linked and its loader %s does not exist in %s", e.Interpreter, info.Loader, f.Root)
				}
			}
			add(p)
		}
		return
	}
	info := f.Interpreter(e.Interpreter, false)
	where := "on this system"
	if inContainer {
		where = "in " + f.Root
	}
	if !info.Exists {
		add(Problem{Code: ProblemInterpreterAbsent, Fatal: true, Message: fmt.Sprintf("the interpreter %s does not exist %s, and without the F flag the kernel opens it by path when the program starts", e.Interpreter, where),
			Fix: "install it there, or register " + e.Name + " with F so the kernel keeps it open from registration"})
		return
	}
	if inContainer {
		add(Problem{Code: ProblemInterpreterNotF, Message: fmt.Sprintf("without F the interpreter is looked up by path inside each container or chroot; it exists %s, but not necessarily in others", where), Fix: "register " + e.Name + " with F"})
	}
	if info.Loader != "" {
		p := Problem{Code: ProblemInterpreterDyn, Message: fmt.Sprintf("%s is dynamically linked (loader %s)", e.Interpreter, info.Loader), Fix: "use a statically linked emulator (qemu-user-static)"}
		if !f.Interpreter(info.Loader, false).Exists {
			p.Fatal = true
			p.Message += fmt.Sprintf(", and the loader does not exist %s", where)
		}
		add(p)
	}
}
