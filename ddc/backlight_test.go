package ddc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fakeBacklights(t *testing.T) string {
	root := t.TempDir()
	add := func(name string, files map[string]string) {
		dir := filepath.Join(root, "class", "backlight", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, c := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("intel_backlight", map[string]string{"brightness": "9600\n", "max_brightness": "19200\n", "actual_brightness": "9600\n", "type": "raw\n", "bl_power": "0\n"})
	add("ddcci5", map[string]string{"brightness": "40\n", "max_brightness": "100\n", "type": "raw\n"})
	return root
}

func TestBacklights(t *testing.T) {
	root := fakeBacklights(t)
	bls, err := ListBacklights(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(bls) != 2 || bls[0].Name != "ddcci5" || !bls[0].DDCCI || bls[0].Actual != -1 || bls[0].Power != -1 ||
		bls[1].Brightness != 9600 || bls[1].Max != 19200 || bls[1].Percent() != 50 || bls[1].Type != "raw" || bls[1].Power != 0 {
		t.Fatalf("%+v", bls)
	}
	if err := SetBacklight(root, "ddcci5", 75); err != nil {
		t.Fatal(err)
	}
	if b, _ := ReadBacklight(root, "ddcci5"); b.Brightness != 75 {
		t.Errorf("after set: %+v", b)
	}
	if err := SetBacklight(root, "ddcci5", 101); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "0..100") {
		t.Errorf("out of range: %v", err)
	}
	for _, bad := range []string{"../x", "", "..", "a/b"} {
		if _, err := ReadBacklight(root, bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if _, err := ReadBacklight(root, "nosuch"); err == nil {
		t.Error("missing device: no error")
	}
	// A corrupt attribute names the file.
	os.WriteFile(filepath.Join(root, "class", "backlight", "ddcci5", "max_brightness"), []byte("lots"), 0o644)
	if _, err := ReadBacklight(root, "ddcci5"); err == nil || !strings.Contains(err.Error(), "max_brightness") {
		t.Errorf("corrupt file: %v", err)
	}
	if bls, err := ListBacklights(t.TempDir()); err != nil || len(bls) != 0 {
		t.Errorf("no class dir: %v %v", bls, err)
	}
}

// TestBacklightPermission runs the write as an unprivileged user, which
// needs root to switch to; the EACCES error names the udev rule and
// logind's SetBrightness.
func TestBacklightPermission(t *testing.T) {
	root := fakeBacklights(t)
	f := filepath.Join(root, "class", "backlight", "intel_backlight", "brightness")
	if err := os.Chmod(f, 0o444); err != nil {
		t.Fatal(err)
	}
	err := SetBacklight(root, "intel_backlight", 10)
	if os.Geteuid() == 0 {
		// Root ignores file modes; check the mapping of the error instead.
		if err != nil {
			t.Fatalf("root write: %v", err)
		}
		be := backlightWriteError(f, os.ErrPermission)
		if !errors.Is(be, ErrPermission) || !strings.Contains(be.Error(), "SetBrightness") || !strings.Contains(be.Error(), "udev") {
			t.Errorf("permission error: %v", be)
		}
		return
	}
	if !errors.Is(err, ErrPermission) || !strings.Contains(err.Error(), "SetBrightness") {
		t.Errorf("unprivileged write: %v", err)
	}
}
