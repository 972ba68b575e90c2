package binfmt

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteDebianFormatRefusesLineBreaks(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []DebianFormat{
		{Name: "evil", Package: "p", Interpreter: "/usr/bin/qemu\nmagic \\x7fELF"},
		{Name: "evil", Package: "p", Interpreter: "/i", Extra: [][2]string{{"key", "v\nfix_binary yes"}}},
		{Name: "evil", Package: "p", Interpreter: "/i", Extra: [][2]string{{"two words", "v"}}},
	} {
		err := WriteDebianFormat(dir, d)
		if err == nil {
			t.Fatalf("WriteDebianFormat(%+v) succeeded", d)
		}
		if _, statErr := os.Stat(filepath.Join(dir, "evil")); statErr == nil {
			t.Fatalf("a refused format file was written")
		}
	}
	ok := DebianFormat{Name: "good", Package: "p", Interpreter: "/usr/bin/qemu-aarch64-static", Extension: "foo"}
	if err := WriteDebianFormat(dir, ok); err != nil {
		t.Fatal(err)
	}
}
