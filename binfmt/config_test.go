package binfmt_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"pgregory.net/rapid"
)

// TestDebianFormatsAgree reads every update-binfmts format file installed
// here and checks it describes the same registration as the binfmt.d file
// of the same name, when there is one.
func TestDebianFormatsAgree(t *testing.T) {
	testenv.RequireDebianPackage(t, "qemu-user-static")
	files, _ := filepath.Glob(binfmt.DebianDir + "/*")
	if len(files) == 0 {
		testenv.Unavailable(t, "no format files in %s: apt-get install qemu-user-static", binfmt.DebianDir)
		return
	}
	compared := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := binfmt.ParseDebianFormat(filepath.Base(f), data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		reg, err := d.Registration()
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		back, err := binfmt.ParseDebianFormat(d.Name, d.Format())
		if err != nil {
			t.Errorf("%s: re-parsing our output: %v\n%s", f, err, d.Format())
			continue
		}
		if r2, _ := back.Registration(); !r2.Equal(reg) {
			t.Errorf("%s: Format/Parse changed it: %+v", f, r2)
		}
		conf, err := os.ReadFile("/usr/lib/binfmt.d/" + d.Name + ".conf")
		if err != nil {
			continue
		}
		want, err := binfmt.Parse(strings.TrimSpace(string(conf)))
		if err != nil {
			t.Fatal(err)
		}
		// update-binfmts has no O of its own; Debian's binfmt.d files add it.
		reg.Flags |= want.Flags & binfmt.FlagOpenBinary
		if !reg.Equal(want) {
			t.Errorf("%s and its binfmt.d file differ:\n%+v\n%+v", f, reg, want)
		}
		compared++
	}
	t.Logf("%d format files read, %d compared with binfmt.d", len(files), compared)
	if compared < 25 {
		t.Errorf("only %d compared", compared)
	}
}

func TestLoadBinfmtDSystem(t *testing.T) {
	testenv.RequireDebianPackage(t, "qemu-user-static")
	rules, err := binfmt.LoadBinfmtD("", nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]bool{}
	for _, r := range rules {
		byName[r.Registration.Name] = true
	}
	if !byName["qemu-aarch64"] || !byName["qemu-s390x"] {
		t.Errorf("rules from this system lack qemu-aarch64/qemu-s390x: %d rules", len(rules))
	}
}

func TestBinfmtDOrderAndOverride(t *testing.T) {
	root := t.TempDir()
	write := func(p, content string) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("usr/lib/binfmt.d/b.conf", ":from-usr-b:E::b::/bin/b:\n")
	write("etc/binfmt.d/b.conf", "# override\n  :from-etc-b:E::b::/bin/b:  \n")
	write("usr/lib/binfmt.d/a.conf", "; comment\n\n:a1:E::a::/bin/a:\n:a2:M::\\x01::/bin/a:F\n")
	write("usr/local/lib/binfmt.d/c.conf", ":c:E::c::/bin/c:\n:bad/name:E::c::/bin/c:\n")
	write("usr/lib/binfmt.d/masked.conf", ":masked:E::m::/bin/m:\n")
	write("usr/lib/binfmt.d/ignored.txt", ":ignored:E::i::/bin/i:\n")
	if err := os.MkdirAll(filepath.Join(root, "run/binfmt.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", filepath.Join(root, "run/binfmt.d/masked.conf")); err != nil {
		t.Fatal(err)
	}
	rules, err := binfmt.LoadBinfmtD(root, nil)
	var names []string
	for _, r := range rules {
		names = append(names, r.Registration.Name)
	}
	if got := strings.Join(names, " "); got != "a1 a2 from-etc-b c" {
		t.Errorf("rules %q, want a1 a2 from-etc-b c (lexical by file, etc overrides usr, masked skipped)", got)
	}
	var se *binfmt.SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || !strings.HasSuffix(se.File, "c.conf") || !errors.Is(err, binfmt.ErrInvalid) {
		t.Errorf("bad line error: %v, want c.conf:2 wrapping ErrInvalid", err)
	}
	out := filepath.Join(root, "etc/binfmt.d/qemu.conf")
	regs, _ := binfmt.QEMURegistrations([]string{"aarch64", "riscv64"}, binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary}, "")
	if err := binfmt.WriteBinfmtD(out, regs, "written by a test"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	back, err := binfmt.ParseBinfmtD(bytes.NewReader(data), out)
	if err != nil || len(back) != 2 || !back[0].Registration.Equal(regs[0]) || back[1].Line != 3 {
		t.Errorf("written file reads back as %+v, %v:\n%s", back, err, data)
	}
}

func TestBinfmtDRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		regs := rapid.SliceOfN(genRegistration(), 0, 5).Draw(t, "regs")
		data, err := binfmt.FormatBinfmtD(regs, "c")
		if err != nil {
			t.Fatal(err)
		}
		back, err := binfmt.ParseBinfmtD(bytes.NewReader(data), "x.conf")
		if err != nil || len(back) != len(regs) {
			t.Fatalf("%v, %d rules from\n%s", err, len(back), data)
		}
		for i := range regs {
			if !back[i].Registration.Equal(regs[i]) {
				t.Fatalf("rule %d: %+v != %+v", i, back[i].Registration, regs[i])
			}
		}
	})
}

func TestDebianFormatRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := genRegistration().Draw(t, "r")
		if r.Flags&binfmt.FlagCredentials == 0 {
			r.Flags &^= binfmt.FlagOpenBinary // update-binfmts has no O of its own
		}
		r.Interpreter = strings.TrimSpace(r.Interpreter)
		if r.Interpreter == "" || strings.ContainsAny(r.Interpreter, " ") {
			r.Interpreter = "/bin/x"
		}
		d := binfmt.DebianFormatOf(r, "pkg")
		back, err := binfmt.ParseDebianFormat(r.Name, d.Format())
		if err != nil {
			t.Fatal(err)
		}
		got, err := back.Registration()
		if err != nil || !got.Equal(r) {
			t.Fatalf("%+v -> %s -> %+v %v", r, d.Format(), got, err)
		}
	})
}

func TestDebianFormatErrors(t *testing.T) {
	tests := map[string]string{
		"package p\n":                               "no interpreter",
		"interpreter /x\n":                          "exactly one",
		"interpreter /x\nmagic A\nextension e":      "exactly one",
		"interpreter /x\nmagic A\noffset -1\n":      "offset",
		"interpreter /x\nmagic A\npreserve maybe\n": "yes or no",
		"interpreter /x\nmagic A\nmagic B\n":        "repeats",
	}
	for in, want := range tests {
		_, err := binfmt.ParseDebianFormat("f", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, binfmt.ErrSyntax) {
			t.Errorf("%q: %v, want a syntax error about %q", in, err, want)
		}
	}
}

func FuzzParseBinfmtD(f *testing.F) {
	f.Add("# c\n; c\n" + aarch64Line + "\n:x:E::e::/i:\n")
	f.Fuzz(func(t *testing.T, s string) {
		rules, _ := binfmt.ParseBinfmtD(strings.NewReader(s), "f.conf")
		for _, r := range rules {
			if err := r.Registration.Validate(); err != nil {
				t.Fatalf("rule %+v invalid: %v", r, err)
			}
		}
	})
}

func FuzzParseDebianFormat(f *testing.F) {
	f.Add("package qemu-user-static\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nmagic \\x7f\\x45\noffset 0\nmask \\xff\\xff\ncredentials no\nfix_binary yes\npreserve yes\n")
	f.Add("interpreter /x\nextension e\n")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := binfmt.ParseDebianFormat("n", []byte(s))
		if err != nil {
			return
		}
		if r, err := d.Registration(); err == nil {
			if err := r.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := binfmt.ParseDebianFormat("n", d.Format()); err != nil {
			t.Fatalf("our own output does not parse: %v\n%s", err, d.Format())
		}
	})
}

func TestWriteDebianFormat(t *testing.T) {
	dir := t.TempDir()
	tg, _ := binfmt.LookupQEMUTarget("s390x")
	r := tg.Registration(binfmt.QEMUOptions{Flags: binfmt.FlagFixBinary | binfmt.FlagPreserveArgv0})
	if err := binfmt.WriteDebianFormat(dir, binfmt.DebianFormatOf(r, "qemu-user-static")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "qemu-s390x"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := binfmt.ParseDebianFormat("qemu-s390x", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.Registration(); err != nil || !got.Equal(r) || d.Package != "qemu-user-static" {
		t.Errorf("%+v %v\n%s", got, err, data)
	}
	if err := binfmt.WriteDebianFormat(dir, binfmt.DebianFormat{Name: "../x"}); !errors.Is(err, binfmt.ErrInvalid) {
		t.Errorf("a name with / : %v", err)
	}
}

// TestBinfmtDFilesAgreeWithSystemd lays out two binfmt.d directories with
// the names systemd treats specially (hidden files, backup suffixes, masks
// by empty file and by a relative /dev/null symlink, a same-name override),
// binds them over /etc/binfmt.d and /usr/lib/binfmt.d in a sandbox and
// checks that BinfmtDFiles lists the files `systemd-binfmt --cat-config`
// lists and LoadBinfmtD yields the rules systemd-binfmt registers.
func TestBinfmtDFilesAgreeWithSystemd(t *testing.T) {
	sd := testenv.RequireFile(t, "/lib/systemd/systemd-binfmt", "apt-get install systemd")
	testenv.RequireFile(t, "/etc/binfmt.d", "apt-get install systemd (it ships /etc/binfmt.d)")
	testenv.RequireFile(t, "/usr/lib/binfmt.d", "apt-get install systemd (it ships /usr/lib/binfmt.d)")
	etc, usr := t.TempDir(), t.TempDir()
	write := func(dir, name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rule := func(name string) string { return ":" + name + ":E::" + name + "::/bin/true:\n" }
	write(etc, "vis.conf", rule("vis"))
	write(etc, ".hidden.conf", rule("hidden"))
	write(etc, ".conf", rule("dotconf"))
	write(etc, "b.conf~", rule("tilde"))
	write(etc, "x.conf.dpkg-new", rule("dpkgnew"))
	write(etc, "empty.conf", "")
	write(usr, "empty.conf", rule("maskedbyempty"))
	write(usr, "rel.conf", rule("maskedbysymlink"))
	write(usr, "null.conf", rule("maskedbydevnull"))
	for name, target := range map[string]string{"rel.conf": "/dev/../dev/null", "null.conf": "/dev/null"} {
		if err := os.Symlink(target, filepath.Join(etc, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(usr, "over.conf", rule("overridden"))
	write(etc, "over.conf", rule("override"))
	write(usr, "zlast.conf", rule("zlast"))
	write(usr, ".hidden2.conf", rule("hidden2"))

	script := `set -e
mount --bind "$1" /etc/binfmt.d
mount --bind "$2" /usr/lib/binfmt.d
for d in /run/binfmt.d /usr/local/lib/binfmt.d; do [ -d "$d" ] && mount -t tmpfs none "$d"; done
SYSTEMD_PAGER=cat "$3" --cat-config --no-pager | sed -n 's|^# /[a-z/]*binfmt\.d/||p'
echo ==
"$3"
ls /proc/sys/fs/binfmt_misc`
	out, err := binfmttest.Command(t, &binfmt.Sandbox{}, "/bin/sh", "-c", script, "sh", etc, usr, sd).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-binfmt in a sandbox: %v\n%s", err, out)
	}
	filesPart, regPart, ok := strings.Cut(string(out), "==\n")
	if !ok {
		t.Fatalf("unexpected output:\n%s", out)
	}
	var wantNames []string
	for _, n := range strings.Fields(regPart) {
		if n != "register" && n != "status" {
			wantNames = append(wantNames, n)
		}
	}
	files, err := binfmt.BinfmtDFiles("", []string{etc, usr})
	if err != nil {
		t.Fatal(err)
	}
	// --cat-config also prints the masks (as empty files); compare the
	// other names.
	isMask := map[string]bool{"empty.conf": true, "null.conf": true, "rel.conf": true}
	var gotFiles, wantFiles []string
	for _, f := range files {
		if !isMask[filepath.Base(f)] {
			gotFiles = append(gotFiles, filepath.Base(f))
		}
	}
	for _, f := range strings.Fields(filesPart) {
		if !isMask[f] {
			wantFiles = append(wantFiles, f)
		}
	}
	if got, want := strings.Join(gotFiles, " "), strings.Join(wantFiles, " "); got != want {
		t.Errorf("BinfmtDFiles lists %q, systemd-binfmt --cat-config %q", got, want)
	}
	rules, err := binfmt.LoadBinfmtD("", []string{etc, usr})
	if err != nil {
		t.Fatal(err)
	}
	var gotNames []string
	for _, r := range rules {
		gotNames = append(gotNames, r.Registration.Name)
	}
	sort.Strings(gotNames)
	sort.Strings(wantNames)
	if got, want := strings.Join(gotNames, " "), strings.Join(wantNames, " "); got != want {
		t.Errorf("LoadBinfmtD gives rules %q, systemd-binfmt registered %q", got, want)
	}
}
