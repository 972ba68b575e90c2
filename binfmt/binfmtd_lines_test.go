package binfmt_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// TestBinfmtDLinesAgreeWithSystemd writes one binfmt.d file whose lines end
// and are stripped in the ways systemd's reader treats specially (CR, CRLF
// and NUL line ends; only space, tab, CR and LF stripped, so a trailing
// vertical tab, form feed or no-break space stays in the rule the kernel
// sees; a 1920-byte rule, which systemd writes with a newline) and checks that LoadBinfmtD yields exactly the rules the real
// systemd-binfmt registers in a sandbox.
func TestBinfmtDLinesAgreeWithSystemd(t *testing.T) {
	sd := testenv.RequireFile(t, "/lib/systemd/systemd-binfmt", "apt-get install systemd")
	testenv.RequireFile(t, "/etc/binfmt.d", "apt-get install systemd (it ships /etc/binfmt.d)")
	etc := t.TempDir()
	rule := func(name string) string { return ":" + name + ":E::" + name + "::/bin/true:" }
	content := "\t " + rule("tabs") + " \t\n" +
		rule("crlf") + "\r\n" +
		rule("cr1") + "\r" + rule("cr2") + "\n" +
		rule("nul1") + "\x00" + rule("nul2") + "\n" +
		rule("vt") + "\v\n" +
		rule("ff") + "\f\n" +
		rule("nbsp") + "\u00a0\n" +
		"\v" + rule("lvt") + "\n" +
		// 1920 bytes: systemd-binfmt writes it with a newline, 1921 bytes.
		":long:E::long::/" + strings.Repeat("i", 1920-len(":long:E::long::/:")) + ":\n" +
		rule("last")
	if err := os.WriteFile(filepath.Join(etc, "lines.conf"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `mount --bind "$1" /etc/binfmt.d || exit 1
for d in /run/binfmt.d /usr/local/lib/binfmt.d /usr/lib/binfmt.d; do [ -d "$d" ] && mount -t tmpfs none "$d"; done
"$2" >/dev/null 2>&1
ls /proc/sys/fs/binfmt_misc`
	out, err := binfmttest.Command(t, &binfmt.Sandbox{}, "/bin/sh", "-c", script, "sh", etc, sd).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-binfmt in a sandbox: %v\n%s", err, out)
	}
	var want []string
	for _, n := range strings.Fields(string(out)) {
		if n != "register" && n != "status" {
			want = append(want, n)
		}
	}
	rules, _ := binfmt.LoadBinfmtD("", []string{etc})
	var got []string
	for _, r := range rules {
		got = append(got, r.Registration.Name)
	}
	sort.Strings(got)
	sort.Strings(want)
	if g, w := strings.Join(got, " "), strings.Join(want, " "); g != w {
		t.Errorf("LoadBinfmtD gives rules %q, systemd-binfmt registered %q", g, w)
	}
}

// TestFormatBinfmtDRefusesFullLengthRule: systemd-binfmt writes a rule with
// a newline after it, so a rule of exactly MaxRegisterLength bytes cannot be
// applied from a binfmt.d file (TestBinfmtDLinesAgreeWithSystemd shows it);
// FormatBinfmtD must refuse it rather than write a file that does not load.
func TestFormatBinfmtDRefusesFullLengthRule(t *testing.T) {
	r := binfmt.Registration{Name: "long", Kind: binfmt.KindExtension, Extension: "long", Interpreter: "/"}
	r.Interpreter += strings.Repeat("i", binfmt.MaxRegisterLength-len(r.String()))
	if s, err := r.Encode(); err != nil || len(s) != binfmt.MaxRegisterLength {
		t.Fatalf("setup: %d bytes, %v", len(s), err)
	}
	data, err := binfmt.FormatBinfmtD([]binfmt.Registration{r}, "")
	if err == nil {
		if _, perr := binfmt.ParseBinfmtD(strings.NewReader(string(data)), "long.conf"); perr != nil {
			t.Errorf("FormatBinfmtD wrote a %d-byte rule that ParseBinfmtD (and systemd-binfmt) refuse: %v", len(data)-1, perr)
		} else {
			t.Errorf("FormatBinfmtD wrote a %d-byte rule", len(data)-1)
		}
	}
	r.Interpreter = r.Interpreter[1:]
	if _, err := binfmt.FormatBinfmtD([]binfmt.Registration{r}, ""); err != nil {
		t.Errorf("a %d-byte rule: %v", binfmt.MaxRegisterLength-1, err)
	}
}
