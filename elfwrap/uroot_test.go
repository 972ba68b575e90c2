package elfwrap

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"github.com/u-root/u-root/pkg/ldd"
)

// TestMatchesURootLdd uses u-root's pkg/ldd (which runs each program's
// interpreter with --list) as a second reference: for a sample of programs
// with an interpreter, the set of files it reports equals our load order
// plus the interpreter.
func TestMatchesURootLdd(t *testing.T) {
	testenv.RequireFile(t, hostLoader, "this test needs glibc's x86_64 loader")
	var progs []string
	for _, f := range dynamicELFUnderUsr(t) {
		if info, err := Inspect(f); err == nil && info.Interp == hostLoader {
			progs = append(progs, f)
		}
	}
	r := &Resolver{}
	for _, f := range sample(t, progs, 10) {
		want, err := ldd.List(f)
		if err != nil {
			t.Logf("%s: u-root ldd: %v (the loader refuses it)", f, err)
			continue
		}
		res, err := r.Resolve(context.Background(), f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(res.Missing) > 0 {
			continue // u-root's ldd drops "not found" lines
		}
		if neededByPath(res) {
			// ld.so prints a NEEDED entry given as a path ($ORIGIN/../lib/x.so)
			// without "=>", and u-root's ldd skips such lines; ld.so itself
			// is compared with these files in TestLoadOrderMatchesLdSo.
			t.Logf("%s: a NEEDED entry is a path, which u-root's ldd does not list", f)
			continue
		}
		got := []string{}
		seen := map[string]bool{}
		for _, o := range append([]*Object{res.Interp}, res.Order...) {
			if !seen[o.Path] {
				seen[o.Path] = true
				got = append(got, o.Path)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-u-root ldd +ours):\n%s", f, d)
		}
	}
}

// neededByPath reports whether any loaded object names a dependency by a
// path (a NEEDED entry holding a slash) rather than by a soname.
func neededByPath(res *Result) bool {
	for _, o := range append([]*Object{res.Main}, res.Order...) {
		if o == nil || o.Info == nil {
			continue
		}
		for _, n := range o.Info.Needed {
			if strings.Contains(n, "/") {
				return true
			}
		}
	}
	return false
}
