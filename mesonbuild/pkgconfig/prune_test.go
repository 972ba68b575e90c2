package pkgconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The Cflags walk skips subtrees that cannot change the result (pruner).
// On random graphs (shared dependencies, cycles, Requires.private,
// -I flags that keep their first copy and flags that move to their last
// one), the result must be the one of the full walk, path by path, that
// pkgconf does.
func TestPruneKeepsCflags(t *testing.T) {
	root := t.TempDir()
	pool := []string{"-I/inc/a", "-I/inc/b", "-I/inc/c", "-L/lib/a", "-DX", "-DY", "-pthread", "-isystem /sys/x"}
	rapid.Check(t, func(rt *rapid.T) {
		dir, err := os.MkdirTemp(root, "g")
		if err != nil {
			rt.Fatal(err)
		}
		n := rapid.IntRange(1, 9).Draw(rt, "packages")
		for i := 0; i < n; i++ {
			var req, priv, flags []string
			for j := 0; j < n; j++ {
				// mostly edges downwards, sometimes back up (cycles)
				p := 4
				if j <= i {
					p = 12
				}
				switch rapid.IntRange(0, p).Draw(rt, fmt.Sprintf("edge%d-%d", i, j)) {
				case 0:
					req = append(req, fmt.Sprintf("p%d", j))
				case 1:
					priv = append(priv, fmt.Sprintf("p%d", j))
				}
			}
			for k := rapid.IntRange(0, 3).Draw(rt, fmt.Sprintf("nflags%d", i)); k > 0; k-- {
				flags = append(flags, rapid.SampledFrom(pool).Draw(rt, "flag"))
			}
			body := fmt.Sprintf("Name: p%d\nDescription: d\nVersion: 1\nRequires: %s\nRequires.private: %s\nCflags: %s\n",
				i, strings.Join(req, " "), strings.Join(priv, " "), strings.Join(flags, " "))
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%d.pc", i)), []byte(body), 0o644); err != nil {
				rt.Fatal(err)
			}
		}
		env := []string{"PKG_CONFIG_LIBDIR=" + dir}
		for i := 0; i < n; i++ {
			q := fmt.Sprintf("p%d", i)
			fast, _ := New(Options{Env: env})
			full, _ := New(Options{Env: env})
			full.noPrune = true
			got, gerr := fast.Cflags(q)
			want, werr := full.Cflags(q)
			if (gerr == nil) != (werr == nil) || got.String() != want.String() {
				rt.Fatalf("%s: pruned walk %q (%v), full walk %q (%v)", q, got.String(), gerr, want.String(), werr)
			}
			// and again on the warm client, whose matches are cached
			if again, _ := fast.Cflags(q); again.String() != want.String() {
				rt.Fatalf("%s: warm pruned walk %q, full walk %q", q, again.String(), want.String())
			}
		}
	})
}
