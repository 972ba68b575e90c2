package elfwrap

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// The loader is invoked by its full path: called under another name its
// output differs (see the reference sheet).
const hostLoader = "/lib64/ld-linux-x86-64.so.2"

var (
	usrOnce  sync.Once
	usrFiles []string
)

// dynamicELFUnderUsr lists the regular (not symlinked) dynamically linked
// x86_64 ELF executables and shared objects under /usr, sorted.
func dynamicELFUnderUsr(t testing.TB) []string {
	usrOnce.Do(func() {
		filepath.WalkDir("/usr", func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return nil
			}
			var magic [4]byte
			_, err = f.ReadAt(magic[:], 0)
			f.Close()
			if err != nil || string(magic[:]) != elf.ELFMAG {
				return nil
			}
			info, err := Inspect(p)
			if err != nil || !info.Dynamic || info.DynamicEmpty || info.Class != elf.ELFCLASS64 || info.Machine != elf.EM_X86_64 {
				return nil
			}
			if info.Kind == KindOther {
				return nil
			}
			usrFiles = append(usrFiles, p)
			return nil
		})
		sort.Strings(usrFiles)
	})
	if len(usrFiles) == 0 {
		t.Fatal("no dynamically linked ELF files under /usr")
	}
	return usrFiles
}

// sample picks n files with a seed from HOSTKIT_ELFWRAP_SEED or the clock,
// printed so a failing run can be repeated. HOSTKIT_ELFWRAP_SAMPLE=all (or
// a number) widens it.
func sample(t *testing.T, files []string, n int) []string {
	if v := os.Getenv("HOSTKIT_ELFWRAP_SAMPLE"); v == "all" {
		return files
	} else if k, err := strconv.Atoi(v); err == nil && k > 0 {
		n = k
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("HOSTKIT_ELFWRAP_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("sample of %d from %d files, HOSTKIT_ELFWRAP_SEED=%d", min(n, len(files)), len(files), seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	p := rng.Perm(len(files))
	out := make([]string, 0, n)
	for _, i := range p[:min(n, len(files))] {
		out = append(out, files[i])
	}
	sort.Strings(out)
	return out
}

var addrRE = regexp.MustCompile(` \(0x[0-9a-f]+\)$`)

// ldsoList runs the real loader in trace mode and returns the comparable
// lines: the vDSO (not a file) is dropped, load addresses are cut.
// `ld.so --list` stops at the first missing library (exit status 127); the
// same trace with LD_TRACE_LOADED_OBJECTS=1 (what ldd does) lists missing
// libraries as "not found" and goes on, so that is used then.
func ldsoList(ctx context.Context, file string, env ...string) ([]string, error) {
	return loaderList(ctx, hostLoader, file, env...)
}

// loaderList is ldsoList with a given loader (the i386 one for 32-bit).
func loaderList(ctx context.Context, hostLoader, file string, env ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, hostLoader, "--list", file)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LC_ALL=C"}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && strings.Contains(stderr.String(), "cannot open shared object file") {
		cmd = exec.CommandContext(ctx, hostLoader, file)
		cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LC_ALL=C", "LD_TRACE_LOADED_OBJECTS=1"}, env...)
		out, err = cmd.Output()
	}
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.Bytes())
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(addrRE.ReplaceAllString(l, ""))
		if l == "" || strings.HasPrefix(l, "linux-vdso.so") || strings.HasPrefix(l, "linux-gate.so") || l == "statically linked" {
			continue
		}
		lines = append(lines, l)
	}
	return lines, nil
}

func ourList(res *Result) []string {
	var lines []string
	for _, o := range res.Order {
		lines = append(lines, strings.TrimSpace(o.ListLine()))
	}
	return lines
}

func TestLoadOrderMatchesLdSo(t *testing.T) {
	testenv.RequireLinux(t)
	testenv.RequireFile(t, hostLoader, "this test needs glibc's x86_64 loader (Debian: libc6)")
	files := sample(t, dynamicELFUnderUsr(t), 40)
	r := &Resolver{}
	ctx := context.Background()
	agree := 0
	for _, f := range files {
		want, err := ldsoList(ctx, f)
		if err != nil {
			// The loader refuses some files outright (it exits with an
			// error); we must then report an error or a missing library.
			res, rerr := r.Resolve(ctx, f)
			if rerr == nil && len(res.Missing) == 0 {
				t.Errorf("%s: ld.so --list failed (%v) but we resolved it fully", f, err)
			} else {
				agree++
			}
			continue
		}
		res, err := r.Resolve(ctx, f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if d := cmp.Diff(want, ourList(res)); d != "" {
			t.Errorf("%s: load order differs from ld.so --list (-ld.so +ours):\n%s", f, d)
			continue
		}
		agree++
	}
	t.Logf("agreement with ld.so --list: %d of %d files", agree, len(files))
}

// lddtreeMap runs lddtree -a and returns name => path for every line.
func lddtreeMap(ctx context.Context, lddtree, file string) (map[string]string, error) {
	// lddtree is a python3 script needing pyelftools from Debian's python:
	// put /usr/bin first so a pyenv or venv python does not shadow it.
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", lddtree, "-a", file)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for i, l := range strings.Split(string(out), "\n") {
		if i == 0 || strings.TrimSpace(l) == "" {
			continue
		}
		name, path, ok := strings.Cut(strings.TrimSpace(l), " => ")
		if !ok {
			continue
		}
		if path == "None" {
			path = "not found"
		}
		m[name] = path
	}
	return m, nil
}

func ourMap(res *Result) map[string]string {
	m := map[string]string{}
	seen := map[*Object]bool{}
	var walk func(o *Object)
	walk = func(o *Object) {
		if seen[o] {
			return
		}
		seen[o] = true
		for i, d := range o.Needed {
			p := d.Path
			if d.Missing() {
				p = "not found"
			}
			m[o.Info.Needed[i]] = p
			if !d.Missing() {
				walk(d)
			}
		}
	}
	walk(res.Main)
	return m
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// notComparable names the documented lddtree behaviour that makes its
// answer differ from glibc's for this tree: it does not expand $ORIGIN in
// DT_NEEDED names (it reports them missing, and so none of their
// libraries). Its other known difference, applying the program's RUNPATH to
// every library, does not change any answer on this machine (all 2180
// files agree), so it is not excused.
func notComparable(res *Result) string {
	for _, o := range append([]*Object{res.Main}, res.Order...) {
		if o.Info == nil {
			continue
		}
		for _, n := range o.Info.Needed {
			if strings.Contains(n, "$") {
				return "DT_NEEDED with a dynamic string token in " + o.Path
			}
		}
	}
	return ""
}

func TestTreeMatchesLddtree(t *testing.T) {
	testenv.RequireLinux(t)
	lddtree := testenv.RequireTool(t, "lddtree")
	testenv.RequireDebianPackage(t, "python3-pyelftools")
	files := sample(t, dynamicELFUnderUsr(t), 25)
	r := &Resolver{}
	ctx := context.Background()
	agree, skipped := 0, 0
	for _, f := range files {
		res, err := r.Resolve(ctx, f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		want, err := lddtreeMap(ctx, lddtree, f)
		if err != nil {
			t.Logf("%s: lddtree failed: %v", f, err)
			skipped++
			continue
		}
		got := ourMap(res)
		// lddtree searches for the loader like any library when the main
		// object has no PT_INTERP; glibc uses the loader already in
		// memory. Same file, different name: compare the files.
		if res.Main.Info.Interp == "" && res.Interp != nil {
			so := filepath.Base(res.Interp.Path)
			if a, b := want[so], got[so]; a != "" && b != "" && sameFile(a, b) {
				want[so] = b
			}
		}
		// lddtree prints normalized paths ("bin/../lib" as "lib").
		for k, v := range got {
			if v != "not found" {
				got[k] = filepath.Clean(v)
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			if why := notComparable(res); why != "" {
				t.Logf("%s: differs from lddtree, not comparable (%s):\n%s", f, why, d)
				skipped++
				continue
			}
			t.Errorf("%s: tree differs from lddtree -a (-lddtree +ours):\n%s", f, d)
			continue
		}
		agree++
	}
	t.Logf("agreement with lddtree: %d of %d files (%d not comparable)", agree, len(files), skipped)
}

// TestAgainstParsedByteIdentity checks a few fixed programs whose answers
// do not depend on the sample.
func TestFixedProgramsMatchLdSo(t *testing.T) {
	testenv.RequireFile(t, hostLoader, "this test needs glibc's x86_64 loader (Debian: libc6)")
	r := &Resolver{}
	for _, f := range []string{"/usr/bin/python3.11", "/usr/bin/gpg", "/usr/lib/x86_64-linux-gnu/libc.so.6"} {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		want, err := ldsoList(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Resolve(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, ourList(res)); d != "" {
			t.Errorf("%s (-ld.so +ours):\n%s", f, d)
		}
		var buf bytes.Buffer
		res.WriteList(&buf)
		if buf.Len() == 0 && len(want) > 0 {
			t.Errorf("%s: WriteList wrote nothing", f)
		}
	}
}
