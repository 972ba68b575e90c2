package elfwrap

import (
	"context"
	"os"
	"testing"
)

func BenchmarkInspect(b *testing.B) {
	data := readFixture(b, "tinyexe")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := InspectBytes(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInspectFile(b *testing.B) {
	for b.Loop() {
		if _, err := Inspect("/usr/lib/x86_64-linux-gnu/libc.so.6"); err != nil {
			b.Skip(err)
		}
	}
}

func BenchmarkParseCache(b *testing.B) {
	data, err := os.ReadFile("/etc/ld.so.cache")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseCache(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolveUsr resolves every dynamically linked file under /usr
// with one fresh Resolver per iteration (its caches start empty).
func BenchmarkResolveUsr(b *testing.B) {
	files := dynamicELFUnderUsr(b)
	b.ReportMetric(float64(len(files)), "files")
	for b.Loop() {
		r := &Resolver{}
		for _, f := range files {
			r.Resolve(context.Background(), f)
		}
	}
}

// BenchmarkResolveOne resolves one program with a fresh Resolver: the cost
// of a one-off lookup (cache load, directory listings, files).
func BenchmarkResolveOne(b *testing.B) {
	for b.Loop() {
		if _, err := (&Resolver{}).Resolve(context.Background(), "/usr/bin/python3"); err != nil {
			b.Skip(err)
		}
	}
}
