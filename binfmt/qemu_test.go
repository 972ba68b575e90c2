package binfmt_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// TestQEMUTableEqualsDebian reads Debian's registrations (qemu-user-static /
// qemu-user-binfmt) and checks that the table derived from ELF header fields
// gives, for every target Debian ships, the same magic and mask bytes, and
// with Debian's options the same whole registration.
func TestQEMUTableEqualsDebian(t *testing.T) {
	testenv.RequireDebianPackage(t, "qemu-user-static")
	files, err := filepath.Glob("/usr/lib/binfmt.d/qemu-*.conf")
	if err != nil || len(files) == 0 {
		testenv.Unavailable(t, "no /usr/lib/binfmt.d/qemu-*.conf (%v): apt-get install qemu-user-static", err)
		return
	}
	seen := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		line := strings.TrimSpace(string(data))
		deb, err := binfmt.Parse(line)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		name := strings.TrimPrefix(deb.Name, "qemu-")
		tg, ok := binfmt.LookupQEMUTarget(name)
		if !ok {
			t.Errorf("%s: Debian ships target %q, the table lacks it", f, name)
			continue
		}
		seen++
		if !bytes.Equal(tg.Magic(), deb.Magic) {
			t.Errorf("%s: magic\n got %s\nwant %s", name, binfmt.Escape(tg.Magic()), binfmt.Escape(deb.Magic))
		}
		if !bytes.Equal(tg.Mask(), deb.Mask) {
			t.Errorf("%s: mask\n got %s\nwant %s", name, binfmt.Escape(tg.Mask()), binfmt.Escape(deb.Mask))
		}
		if got := tg.Registration(binfmt.DebianQEMUOptions()); !got.Equal(deb) {
			t.Errorf("%s: registration\n got %s\nwant %s", name, got, line)
		}
		if _, err := os.Stat(deb.Interpreter); err != nil {
			t.Errorf("%s: Debian's interpreter: %v", name, err)
		}
	}
	if seen < 25 {
		t.Errorf("compared only %d Debian files", seen)
	}
	t.Logf("compared %d Debian registrations byte for byte", seen)
}
