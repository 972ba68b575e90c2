package ddc

import (
	"os"
	"path/filepath"
	"testing"
)

// TestListBacklightsDeviceGone: /sys/class/backlight entries are symlinks
// to the devices; when a monitor is unplugged while the list is read (the
// ddcci-backlight device goes with it), its entry dangles for a moment. A
// device that is gone is not in the list; the others still are.
func TestListBacklightsDeviceGone(t *testing.T) {
	root := fakeBacklights(t)
	gone := filepath.Join(root, "devices", "ddcci7", "backlight", "ddcci7")
	if err := os.Symlink(gone, filepath.Join(root, "class", "backlight", "ddcci7")); err != nil {
		t.Fatal(err)
	}
	bls, err := ListBacklights(root)
	if err != nil || len(bls) != 2 || bls[0].Name != "ddcci5" || bls[1].Name != "intel_backlight" {
		t.Fatalf("with an unplugged device's entry left: %+v, %v; want ddcci5 and intel_backlight, no error", bls, err)
	}
}
