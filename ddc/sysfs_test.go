package ddc

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeSysfs builds a sysfs tree with an Intel GPU (HDMI on a gmbus
// adapter, DP over an AUX adapter, an eDP panel), an SMBus controller and a
// nouveau card.
func fakeSysfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mk := func(p, content string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		full := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(root, target), full); err != nil {
			t.Fatal(err)
		}
	}
	gpu := "devices/pci0000:00/0000:00:02.0"
	mk(gpu+"/class", "0x030000\n")
	mk("bus/pci/drivers/i915/.keep", "")
	link("bus/pci/drivers/i915", gpu+"/driver")
	mk(gpu+"/i2c-3/name", "i915 gmbus dpb\n")
	mk(gpu+"/drm/card0/card0-HDMI-A-1/status", "connected\n")
	edid, err := BuildEDID(EDIDSpec{Manufacturer: "DEL", ProductCode: 0xA0A1, Name: "DELL U2415"})
	if err != nil {
		t.Fatal(err)
	}
	mk(gpu+"/drm/card0/card0-HDMI-A-1/edid", string(edid))
	link(gpu+"/i2c-3", gpu+"/drm/card0/card0-HDMI-A-1/ddc")
	mk(gpu+"/drm/card0/card0-DP-1/status", "disconnected\n")
	mk(gpu+"/drm/card0/card0-DP-1/i2c-7/name", "DPDDC-B\n")
	mk(gpu+"/drm/card0/card0-eDP-1/status", "connected\n")
	mk(gpu+"/drm/card0/card0-eDP-1/i2c-8/name", "DPDDC-A\n")
	sm := "devices/pci0000:00/0000:00:1f.4"
	mk(sm+"/class", "0x0c0500\n")
	mk(sm+"/i2c-0/name", "SMBus I801 adapter at efa0\n")
	nv := "devices/pci0000:00/0000:01:00.0"
	mk(nv+"/class", "0x030000\n")
	mk("bus/pci/drivers/nouveau/.keep", "")
	link("bus/pci/drivers/nouveau", nv+"/driver")
	mk(nv+"/i2c-10/name", "nvkm-0000:01:00.0-bus-0005\n")
	mk(nv+"/i2c-11/name", "nvkm-0000:01:00.0-aux-0006\n")
	mk(nv+"/i2c-12/name", "some other nouveau bus\n")
	for _, b := range []string{gpu + "/i2c-3", gpu + "/drm/card0/card0-DP-1/i2c-7", gpu + "/drm/card0/card0-eDP-1/i2c-8",
		sm + "/i2c-0", nv + "/i2c-10", nv + "/i2c-11", nv + "/i2c-12"} {
		link(b, "bus/i2c/devices/"+filepath.Base(b))
	}
	// An i2c client device, not a bus.
	mk(gpu+"/i2c-3/3-0050/name", "eeprom\n")
	link(gpu+"/i2c-3/3-0050", "bus/i2c/devices/3-0050")
	for _, c := range []string{"card0-HDMI-A-1", "card0-DP-1", "card0-eDP-1"} {
		link(gpu+"/drm/card0/"+c, "class/drm/"+c)
	}
	link(gpu+"/drm/card0", "class/drm/card0")
	return root
}

func TestListBuses(t *testing.T) {
	root := fakeSysfs(t)
	buses, err := ListBuses(root)
	if err != nil {
		t.Fatal(err)
	}
	by := map[int]BusInfo{}
	var nums []int
	for _, b := range buses {
		by[b.Number] = b
		nums = append(nums, b.Number)
	}
	if len(buses) != 7 {
		t.Fatalf("buses %v, want 0 3 7 8 10 11 12", nums)
	}
	hdmi := by[3]
	if hdmi.Connector != "card0-HDMI-A-1" || hdmi.ConnectorStatus != "connected" || hdmi.Unsafe || hdmi.Driver != "i915" ||
		hdmi.PCIClass != "0x030000" || hdmi.Device != "/dev/i2c-3" || len(hdmi.EDID) != 128 {
		t.Errorf("HDMI bus: %+v", hdmi)
	}
	if dp := by[7]; dp.Connector != "card0-DP-1" || dp.ConnectorStatus != "disconnected" || dp.Unsafe {
		t.Errorf("DP AUX bus: %+v", dp)
	}
	if edp := by[8]; edp.Connector != "card0-eDP-1" || !edp.Unsafe {
		t.Errorf("eDP bus must be unsafe: %+v", edp)
	}
	if sm := by[0]; !sm.Unsafe || sm.Name != "SMBus I801 adapter at efa0" {
		t.Errorf("SMBus: %+v", sm)
	}
	if by[10].Unsafe || by[11].Unsafe || !by[12].Unsafe || by[12].Driver != "nouveau" {
		t.Errorf("nouveau buses: %+v %+v %+v", by[10], by[11], by[12])
	}
	if _, err := ListBuses(filepath.Join(root, "nope")); err == nil {
		t.Error("missing sysfs: no error")
	}
}
