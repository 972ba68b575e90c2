package binfmt_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt"
)

func BenchmarkParse(b *testing.B) {
	b.SetBytes(int64(len(aarch64Line)))
	for b.Loop() {
		if _, err := binfmt.Parse(aarch64Line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	r, _ := binfmt.Parse(aarch64Line)
	for b.Loop() {
		if _, err := r.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

// allEntries is the whole QEMU table as registered entries, Debian style.
func allEntries() []binfmt.Entry {
	var es []binfmt.Entry
	for _, tg := range binfmt.QEMUTargets() {
		es = append(es, binfmt.Entry{Registration: tg.Registration(binfmt.DebianQEMUOptions()), Enabled: true})
	}
	return es
}

// BenchmarkMatchWorstCase matches a header against all 35 entries, the
// matching one last (cris is the table's last row).
func BenchmarkMatchWorstCase(b *testing.B) {
	es := allEntries()
	tg, _ := binfmt.LookupQEMUTarget("cris")
	h := headerOf(tg)
	for b.Loop() {
		if binfmt.Match(es, h, "/usr/bin/prog").Entry == nil {
			b.Fatal("no match")
		}
	}
}

func BenchmarkDetectArch(b *testing.B) {
	tg, _ := binfmt.LookupQEMUTarget("loongarch64")
	h := headerOf(tg)
	for b.Loop() {
		if a, _ := binfmt.DetectArch(h); a.Target != "loongarch64" {
			b.Fatal(a)
		}
	}
}

// BenchmarkConfAll is `binfmtctl conf all`'s work: the whole table as a
// binfmt.d file.
func BenchmarkConfAll(b *testing.B) {
	for b.Loop() {
		regs, err := binfmt.QEMURegistrations(nil, binfmt.QEMUOptions{Suffix: "-static", Flags: binfmt.FlagFixBinary}, "i386")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := binfmt.FormatBinfmtD(regs, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseDebianBinfmtD parses every file in /usr/lib/binfmt.d.
func BenchmarkParseDebianBinfmtD(b *testing.B) {
	files, _ := filepath.Glob("/usr/lib/binfmt.d/*.conf")
	if len(files) == 0 {
		b.Skip("no /usr/lib/binfmt.d files")
	}
	var all []byte
	for _, f := range files {
		d, _ := os.ReadFile(f)
		all = append(all, d...)
	}
	b.SetBytes(int64(len(all)))
	b.ResetTimer()
	for b.Loop() {
		rules, err := binfmt.ParseBinfmtD(bytes.NewReader(all), "all")
		if err != nil || len(rules) != len(files) {
			b.Fatal(err, len(rules))
		}
	}
}

func BenchmarkParseEntry(b *testing.B) {
	e := allEntries()[0]
	text := e.Format()
	for b.Loop() {
		if _, err := binfmt.ParseEntry(e.Name, text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindWorstCase is BenchmarkMatchWorstCase without explanations.
func BenchmarkFindWorstCase(b *testing.B) {
	es := allEntries()
	tg, _ := binfmt.LookupQEMUTarget("cris")
	h := headerOf(tg)
	for b.Loop() {
		if binfmt.Find(es, h, "/usr/bin/prog") == nil {
			b.Fatal("no match")
		}
	}
}
