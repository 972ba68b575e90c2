package ddc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// BusInfo describes an I2C bus as sysfs shows it, and the DRM connector
// it belongs to, if any.
type BusInfo struct {
	// Number is N of i2c-N; Device is /dev/i2c-N.
	Number int
	Device string
	// Name is the adapter name (the sysfs "name" attribute).
	Name string
	// SysPath is the adapter's resolved sysfs directory.
	SysPath string
	// PCIClass is the class of the PCI device above the adapter
	// ("0x030000" for a VGA controller), or "".
	PCIClass string
	// Driver is the kernel driver of that device (i915, amdgpu, nouveau,
	// nvidia...), or "".
	Driver string
	// Connector is the DRM connector using this bus ("card0-DP-1"), or "".
	Connector string
	// ConnectorStatus is the connector's status (connected,
	// disconnected), or "".
	ConnectorStatus string
	// EDID is the connector's EDID as the kernel read it, if any.
	EDID []byte
	// Unsafe is set for adapters that must not be probed at 0x37, with
	// the reason.
	Unsafe       bool
	UnsafeReason string
}

// unsafeAdapterPrefixes are adapter names ddcutil never probes: SMBus
// controllers, SoC and Apple buses, and AMDGPU's SMU bus, which can hang
// the card.
var unsafeAdapterPrefixes = []string{"SMBus", "Synopsys DesignWare", "soc:i2cdsi", "smu", "mac-io", "u4",
	"AMDGPU SMU", "AMDGPU DM i2c OEM bus"}

// ListBuses enumerates I2C buses from <sysRoot>/bus/i2c/devices and maps
// them to DRM connectors (<sysRoot>/class/drm/card*-*: their ddc link and
// the i2c-N adapters of DisplayPort AUX channels under them). sysRoot ""
// means "/sys". Buses that must not be probed are returned with Unsafe
// set: names ddcutil skips, all but nvkm-* buses under nouveau, internal
// panels (eDP, LVDS, DSI), and adapters of devices that are not display
// controllers.
func ListBuses(sysRoot string) ([]BusInfo, error) {
	if sysRoot == "" {
		sysRoot = "/sys"
	}
	dir := filepath.Join(sysRoot, "bus", "i2c", "devices")
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("ddc: no I2C buses: %s does not exist (no i2c support in this kernel or no sysfs mounted): %w", dir, err)
		}
		return nil, fmt.Errorf("ddc: listing I2C buses: %w", err)
	}
	conns := drmConnectors(sysRoot)
	var out []BusInfo
	for _, e := range ents {
		n, ok := busNumber(e.Name())
		if !ok {
			continue // i2c client devices such as 5-0037
		}
		p := filepath.Join(dir, e.Name())
		bi := BusInfo{Number: n, Device: fmt.Sprintf("/dev/i2c-%d", n), Name: readTrim(filepath.Join(p, "name"))}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			bi.SysPath = real
		} else {
			bi.SysPath = p
		}
		bi.PCIClass, bi.Driver = parentDevice(bi.SysPath, sysRoot)
		if c, ok := conns[e.Name()]; ok {
			bi.Connector, bi.ConnectorStatus, bi.EDID = c.name, c.status, c.edid
		}
		classify(&bi)
		out = append(out, bi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

func classify(bi *BusInfo) {
	for _, p := range unsafeAdapterPrefixes {
		if strings.HasPrefix(bi.Name, p) {
			bi.Unsafe, bi.UnsafeReason = true, fmt.Sprintf("adapter %q is on the list of buses never to probe (%s)", bi.Name, p)
			return
		}
	}
	if bi.Driver == "nouveau" && !strings.HasPrefix(bi.Name, "nvkm-") {
		bi.Unsafe, bi.UnsafeReason = true, "nouveau adapter other than nvkm-*"
		return
	}
	if c := strings.ToUpper(bi.Connector); c != "" {
		for _, k := range []string{"-EDP-", "-LVDS-", "-DSI-"} {
			if strings.Contains(c, k) {
				bi.Unsafe, bi.UnsafeReason = true, "internal panel ("+strings.Trim(k, "-")+"): probing 0x37 has corrupted laptop screens; use the backlight class instead"
				return
			}
		}
	}
	if bi.Connector == "" && bi.PCIClass != "" && !strings.HasPrefix(bi.PCIClass, "0x03") {
		bi.Unsafe, bi.UnsafeReason = true, fmt.Sprintf("parent device class %s is not a display controller", bi.PCIClass)
	}
}

// parentDevice walks up from an adapter's sysfs directory to the first
// device with a PCI class and returns the class and its driver name.
func parentDevice(p, sysRoot string) (class, driver string) {
	stop := filepath.Clean(sysRoot)
	for d := filepath.Dir(p); len(d) > len(stop) && d != "/" && d != "."; d = filepath.Dir(d) {
		if c := readTrim(filepath.Join(d, "class")); strings.HasPrefix(c, "0x") {
			if l, err := os.Readlink(filepath.Join(d, "driver")); err == nil {
				driver = filepath.Base(l)
			}
			return c, driver
		}
	}
	return "", ""
}

type drmConn struct {
	name, status string
	edid         []byte
}

// drmConnectors maps i2c-N names to the DRM connectors that use them.
func drmConnectors(sysRoot string) map[string]drmConn {
	out := map[string]drmConn{}
	matches, _ := filepath.Glob(filepath.Join(sysRoot, "class", "drm", "card*-*"))
	for _, m := range matches {
		c := drmConn{name: filepath.Base(m), status: readTrim(filepath.Join(m, "status"))}
		if b, err := os.ReadFile(filepath.Join(m, "edid")); err == nil && len(b) > 0 {
			c.edid = b
		}
		if l, err := filepath.EvalSymlinks(filepath.Join(m, "ddc")); err == nil {
			out[filepath.Base(l)] = c
		}
		// DisplayPort AUX channels appear as i2c-N adapters under the
		// connector (directly or under its drm_dp_aux device).
		subs, _ := filepath.Glob(filepath.Join(m, "i2c-*"))
		more, _ := filepath.Glob(filepath.Join(m, "drm_dp_aux*", "i2c-*"))
		for _, s := range append(subs, more...) {
			if _, ok := busNumber(filepath.Base(s)); ok {
				out[filepath.Base(s)] = c
			}
		}
	}
	return out
}

func readTrim(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// busNumber returns N from "i2c-N" or "/dev/i2c-N".
func busNumber(name string) (int, bool) {
	name = filepath.Base(name)
	s, ok := strings.CutPrefix(name, "i2c-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}
