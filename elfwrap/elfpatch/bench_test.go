package elfpatch

import (
	"context"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchInput is a real program of this machine, or a synthetic file.
func benchInput(b *testing.B) []byte {
	if data, err := os.ReadFile("/usr/bin/ls"); err == nil {
		return data
	}
	s := synthKinds[0]
	s.interp, s.needed = "/lib/ld.so", []string{"libc.so.6"}
	return s.build()
}

// BenchmarkSetRunpathGrow: parse, set a RUNPATH that does not fit in place,
// build the output (what `elfdeps patch --set-rpath` does per file, minus
// the file I/O).
func BenchmarkSetRunpathGrow(b *testing.B) {
	data := benchInput(b)
	rp := "/opt/bench/lib:$ORIGIN/../lib:" + strings.Repeat("/x", 40)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.SetRunpath(rp, elf.DT_RUNPATH); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetRunpathReuse patches a file that was patched before: the
// appended segment is reused.
func BenchmarkSetRunpathReuse(b *testing.B) {
	data := benchInput(b)
	f, _ := Parse(data)
	_ = f.SetRunpath(strings.Repeat("/first", 50), elf.DT_RUNPATH)
	data, err := f.Bytes()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for i := 0; b.Loop(); i++ {
		f, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.SetRunpath(strings.Repeat("/second", 60+i%2), elf.DT_RUNPATH); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse reads the header, program headers and dynamic section.
func BenchmarkParse(b *testing.B) {
	data := benchInput(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatchFile: the whole per-file path of `elfdeps patch --no-sync
// --set-rpath` on a copy of a real program: map, parse, set, lay out,
// check, copy to a temporary file (copy_file_range), rename.
func BenchmarkPatchFile(b *testing.B) {
	p := filepath.Join(b.TempDir(), "prog")
	if err := os.WriteFile(p, benchInput(b), 0o755); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		rp := "/opt/bench/lib:$ORIGIN/../lib" + strings.Repeat("/x", i%2)
		err := PatchFileWith(ctx, p, "", WriteOptions{NoSync: true}, func(f *File) error {
			return f.SetRunpath(rp, elf.DT_RUNPATH)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatchFileInPlace: the per-file path of `elfdeps patch --in-place
// --no-sync --set-rpath` on a copy of a real program: map, parse, set, lay
// out, check, write the changed ranges into the file.
func BenchmarkPatchFileInPlace(b *testing.B) {
	p := filepath.Join(b.TempDir(), "prog")
	if err := os.WriteFile(p, benchInput(b), 0o755); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		rp := "/opt/bench/lib:$ORIGIN/../lib" + strings.Repeat("/x", i%2)
		err := PatchFileWith(ctx, p, "", WriteOptions{NoSync: true, InPlace: true}, func(f *File) error {
			return f.SetRunpath(rp, elf.DT_RUNPATH)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
