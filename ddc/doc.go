// Package ddc controls external monitors over DDC/CI in pure Go: the
// brightness, input source, power mode and every other MCCS feature that
// `ddcutil setvcp 10 $BRIGHTNESS` reaches, plus EDID, the sysfs backlight
// class and monitor hotplug.
//
// # Packets
//
// EncodeRequest and DecodeReply implement the DDC/CI framing: the 0x51
// source byte, the 0x80|length byte, and the two checksum rules (requests
// seeded with the display address 0x6E, replies with the virtual host
// address 0x50). Every host request (Get VCP, Set VCP, Save Current
// Settings, Capabilities, Table Read/Write, Timing, Identification, VCP
// Reset) has a type; DecodeReply accepts the null message, a doubled
// leading 0x6E, trailing padding, and reports all-zero reads as ErrAllZero.
//
// # Sessions and timing
//
// A Session talks to the display on a Bus. It waits the DDC/CI minimums
// (40 ms before reading a reply, 50 ms between exchanges, 200 ms after
// Save), scaled by Options.SleepMultiplier, with timers and never by
// spinning; with Options.Adaptive it lowers the waits while a display
// answers cleanly and raises them on errors, remembering the factor per
// display. Null replies, bad checksums and all-zero reads are retried a
// bounded number of times (ddcutil's counts by default). Capabilities and
// tables are read in 32-byte fragments with offset checks until an empty
// fragment. SetVCPVerified reads a value back. Sessions on the same bus are
// serialised within the process, and across processes by an flock on the
// device node (as ddcutil does). Everything takes a context.
//
// # MCCS, capabilities and EDID
//
// LookupFeature and Features describe the VCP codes of MCCS 2.0, 2.1, 2.2
// and 3.0 (names, kinds, access, value names) and Feature.FormatValue shows
// values the way a person reads them. ParseCapabilities reads capabilities
// strings, tolerating what real monitors send and listing each oddity as a
// warning. ParseEDID decodes the base block and extension blocks, with
// CTA-861 data blocks; ReadEDID reads it over I2C address 0x50 using the
// E-DDC segment pointer.
//
// # Linux
//
// ListBuses enumerates /sys/bus/i2c/devices and maps buses to DRM
// connectors, marking adapters that must not be probed. OpenI2C opens
// /dev/i2c-N with I2C_RDWR, falling back to I2C_SLAVE plus read/write when
// the driver refuses (Nvidia), and turns EBUSY, EACCES and a missing i2c-dev
// module into errors that say what to do; LoadI2CDev loads the module
// (root). ListBacklights and SetBacklight work on /sys/class/backlight.
// WatchUevents receives kernel uevents over NETLINK_KOBJECT_UEVENT and
// Watcher.Next delivers drm, i2c and backlight events as typed values.
//
// # Testing without hardware
//
// Package ddctest provides a simulated monitor behind the Bus interface,
// with features, capabilities and EDID from data, the timing rules enforced,
// faults injected at set rates and every transfer recorded.
//
// # Dependencies
//
// golang.org/x/sys/unix for the ioctls and flock, github.com/mdlayher/netlink
// for the uevent socket, and github.com/u-root/u-root/pkg/kmodule to load
// i2c-dev without running modprobe (its go get added the compression
// modules kmodule imports: klauspost/compress, klauspost/pgzip,
// ulikunitz/xz).
package ddc
