package elfwrap

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
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
