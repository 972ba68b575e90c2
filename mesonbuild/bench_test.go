package mesonbuild

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkParseProgress(b *testing.B) {
	line := "[1234/5678] Compiling C object libwlroots.so.p/backend_drm_drm.c.o"
	for b.Loop() {
		ParseProgress(line)
	}
}

func BenchmarkParseSetupLog(b *testing.B) {
	data, err := os.ReadFile("testdata/setuplog/meson-1.0.1-version.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		ParseSetupLog(data)
	}
}

func BenchmarkReadIntrospection(b *testing.B) {
	dir := b.TempDir()
	copyTree(b, "testdata/intro/meson-1.0.1", filepath.Join(dir, "meson-info"))
	for b.Loop() {
		if _, err := ReadIntrospection(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSourceDigest digests this package's own tree (about as big as
// a small project's).
func BenchmarkSourceDigest(b *testing.B) {
	for b.Loop() {
		if _, err := SourceDigest("."); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChainNoOp is the orchestration overhead of a no-op rerun of
// the three-project chain (testdata/bench.sh compares it with running
// meson and ninja by hand).
func BenchmarkChainNoOp(b *testing.B) {
	tools, err := FindTools(context.Background())
	if err != nil {
		b.Skip(err)
	}
	root := b.TempDir()
	copyTree(b, "testdata/chain", filepath.Join(root, "src"))
	c := &Chain{
		WorkDir: filepath.Join(root, "work"), Prefix: filepath.Join(root, "prefix"), Tools: tools,
		Projects: []Project{
			{Name: "libval", Source: filepath.Join(root, "src", "libval-2")},
			{Name: "appval", Source: filepath.Join(root, "src", "appval"), DependsOn: []string{"libval"}},
			{Name: "apptool", Source: filepath.Join(root, "src", "apptool"), DependsOn: []string{"appval"}},
		},
	}
	if _, err := c.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := c.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if res.Projects[2].Status != StatusUpToDate {
			b.Fatalf("apptool %v", res.Projects[2].Status)
		}
	}
}
