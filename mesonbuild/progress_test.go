package mesonbuild

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestParseProgress(t *testing.T) {
	for _, tc := range []struct {
		line        string
		done, total int
		desc        string
		ok          bool
	}{
		{"[1/7] Compiling C object libfoo.so.p/foo.c.o", 1, 7, "Compiling C object libfoo.so.p/foo.c.o", true},
		{"[7/7] Linking target tt", 7, 7, "Linking target tt", true},
		{"[0/1] Regenerating build files.", 0, 1, "Regenerating build files.", true},
		{"[12/340] Generating protocol/xdg-shell-protocol.c with a custom command\r\n", 12, 340, "Generating protocol/xdg-shell-protocol.c with a custom command", true},
		{"[3/2] impossible", 0, 0, "", false},
		{"[a/2] x", 0, 0, "", false},
		{"[1/] x", 0, 0, "", false},
		{"[12] x", 0, 0, "", false},
		{"ninja: no work to do.", 0, 0, "", false},
		{"../src/foo.c:3:49: error: expected ';'", 0, 0, "", false},
		{"[1/2", 0, 0, "", false},
		{"[-1/2] x", 0, 0, "", false},
		{"[1/9999999999] x", 0, 0, "", false},
	} {
		d, tot, desc, ok := ParseProgress(tc.line)
		if d != tc.done || tot != tc.total || desc != tc.desc || ok != tc.ok {
			t.Errorf("ParseProgress(%q) = %d, %d, %q, %v; want %d, %d, %q, %v", tc.line, d, tot, desc, ok, tc.done, tc.total, tc.desc, tc.ok)
		}
	}
}

func TestNinjaFailure(t *testing.T) {
	out := strings.Split(`ninja: Entering directory '/b'
[1/3] Compiling C object a.o
FAILED: b.o
cc -c ../b.c -o b.o
../b.c:1:1: error: unknown type name 'x'
[2/3] Compiling C object c.o
ninja: build stopped: subcommand failed.`, "\n")
	want := []string{"FAILED: b.o", "cc -c ../b.c -o b.o", "../b.c:1:1: error: unknown type name 'x'", "ninja: build stopped: subcommand failed."}
	if d := cmp.Diff(want, NinjaFailure(out, 0)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if got := NinjaFailure([]string{"a", "b", "ninja: error: loading 'build.ninja': No such file"}, 2); len(got) != 2 || got[1] != "ninja: error: loading 'build.ninja': No such file" {
		t.Errorf("no FAILED line: %v", got)
	}
}

func TestParseProgressProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		total := rapid.IntRange(0, 100000).Draw(t, "total")
		done := rapid.IntRange(0, total).Draw(t, "done")
		desc := rapid.StringMatching(`[A-Za-z0-9 ./_-]{0,60}`).Draw(t, "desc")
		d, tot, got, ok := ParseProgress(fmt.Sprintf("[%d/%d] %s", done, total, desc))
		if !ok || d != done || tot != total || got != strings.TrimSpace(desc) {
			t.Fatalf("got %d/%d %q %v", d, tot, got, ok)
		}
		// A line that is not a status line never parses.
		if _, _, _, ok := ParseProgress("x" + desc); ok {
			t.Fatalf("non-status line parsed")
		}
	})
}

func FuzzParseProgress(f *testing.F) {
	f.Add("[1/7] Compiling C object libfoo.so.p/foo.c.o")
	f.Add("[0/1] Regenerating build files.")
	f.Add("ninja: no work to do.")
	f.Add("[9/8] x")
	f.Add("[")
	f.Fuzz(func(t *testing.T, line string) {
		d, tot, desc, ok := ParseProgress(line)
		if !ok {
			if d != 0 || tot != 0 || desc != "" {
				t.Fatalf("not ok but values set")
			}
			return
		}
		if d < 0 || d > tot {
			t.Fatalf("done %d total %d", d, tot)
		}
		d2, tot2, desc2, ok2 := ParseProgress(fmt.Sprintf("[%d/%d] %s", d, tot, desc))
		if !ok2 || d2 != d || tot2 != tot || desc2 != desc {
			t.Fatalf("reformatted line parsed differently: %d/%d %q", d2, tot2, desc2)
		}
	})
}
