package elfwrap

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func TestScan(t *testing.T) {
	tree := t.TempDir()
	cand := t.TempDir()
	empty := t.TempDir()
	os.MkdirAll(filepath.Join(tree, "site-packages", "pkg"), 0o755)
	os.WriteFile(filepath.Join(tree, "site-packages", "pkg", "prog"), readFixture(t, "tinyexe"), 0o755)
	os.WriteFile(filepath.Join(tree, "site-packages", "pkg", "ok.so"), readFixture(t, "tiny.so"), 0o644)
	os.WriteFile(filepath.Join(tree, "README"), []byte("text"), 0o644)
	os.WriteFile(filepath.Join(tree, "broken.so"), append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 20)...), 0o644)
	os.Symlink(tree, filepath.Join(tree, "loop")) // a cycle WalkDir must not follow
	os.WriteFile(filepath.Join(cand, "libtiny.so.1"), readFixture(t, "tiny.so"), 0o644)
	rep, err := Scan(context.Background(), tree, ScanOptions{Candidates: []string{empty, cand}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 2 || len(rep.Findings) != 1 {
		t.Fatalf("report %+v", rep)
	}
	f := rep.Findings[0]
	if f.Path != filepath.Join(tree, "site-packages", "pkg", "prog") || len(f.Missing) != 1 {
		t.Fatalf("finding %+v", f)
	}
	m := f.Missing[0]
	if m.Name != "libtiny.so.1" || !cmp.Equal(m.SatisfiedBy, []string{cand}) || !cmp.Equal(m.Chain, []string{f.Path}) {
		t.Errorf("missing %+v", m)
	}
	if _, ok := rep.Errors[filepath.Join(tree, "broken.so")]; !ok {
		t.Errorf("the malformed ELF file is not reported: %v", rep.Errors)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, tree, ScanOptions{}); err == nil {
		t.Error("a cancelled scan returned no error")
	}
}

// With a Resolver that has a Root, the scanned directory is a path inside
// that root, like Resolve's file: every file found is resolved there and
// reported by its path inside the root.
func TestScanInRoot(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"etc/ld.so.conf": "/opt/libs\n"})
	os.MkdirAll(filepath.Join(root, "opt/libs"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
	os.Symlink("usr/bin", filepath.Join(root, "bin"))
	os.WriteFile(filepath.Join(root, "opt/libs/libtiny.so.1"), readFixture(t, "tiny.so"), 0o644)
	os.WriteFile(filepath.Join(root, "usr/bin/tinyexe"), readFixture(t, "tinyexe"), 0o755)
	for _, dir := range []string{"/usr/bin", "/bin"} {
		rep, err := Scan(context.Background(), dir, ScanOptions{Resolver: &Resolver{Root: root}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Errors) != 0 || rep.Files != 1 || len(rep.Findings) != 1 {
			t.Fatalf("scan of %s in the root: %d files, %d errors (%.300v), findings %+v", dir, rep.Files, len(rep.Errors), rep.Errors, rep.Findings)
		}
		f := rep.Findings[0]
		if f.Path != dir+"/tinyexe" {
			t.Errorf("finding path %q, want %q", f.Path, dir+"/tinyexe")
		}
		var names []string
		for _, m := range f.Missing {
			names = append(names, m.Name)
		}
		if !contains(names, "libc.so.6") || contains(names, "libtiny.so.1") {
			t.Errorf("missing %v: libc.so.6 is not in the root, libtiny.so.1 is", names)
		}
	}
	// The whole root: paths inside it start at "/".
	rep, err := Scan(context.Background(), "/", ScanOptions{Resolver: &Resolver{Root: root}})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range rep.Findings {
		paths = append(paths, f.Path)
	}
	if !cmp.Equal(paths, []string{"/opt/libs/libtiny.so.1", "/usr/bin/tinyexe"}) || len(rep.Errors) != 0 {
		t.Errorf("scan of / in the root: findings %v, errors %v", paths, rep.Errors)
	}
	// The foreign arm64 root: its hello resolves completely.
	foreign := testenv.ForeignRoot(t)
	rep, err = Scan(context.Background(), "/usr/bin", ScanOptions{Resolver: &Resolver{Root: foreign}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 0 || rep.Files == 0 || len(rep.Findings) != 0 {
		t.Errorf("scan of /usr/bin in %s: %d files, %d errors (%.300v), findings %+v", foreign, rep.Files, len(rep.Errors), rep.Errors, rep.Findings)
	}
}
