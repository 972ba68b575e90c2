package ddc

import (
	"fmt"
	"sort"
	"strings"
)

// Version is an MCCS version (the value of VCP 0xDF, or the capabilities
// string's mccs_ver).
type Version struct{ Major, Minor uint8 }

// MCCS versions with their own feature definitions.
var (
	V20 = Version{2, 0}
	V21 = Version{2, 1}
	V22 = Version{2, 2}
	V30 = Version{3, 0}
)

// String describes the Version for people.
func (v Version) String() string {
	if v == (Version{}) {
		return "unknown"
	}
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// Less reports whether v is an earlier version than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	return v.Minor < w.Minor
}

// Kind says how a feature's value is interpreted.
type Kind uint8

// Feature kinds.
const (
	// Continuous features range from 0 to a maximum the display reports.
	Continuous Kind = iota
	// NonContinuous features take one of a set of named values (in SL,
	// sometimes with more meaning in SH).
	NonContinuous
	// Table features carry a byte string read with Table Read.
	Table
)

// String describes the Kind for people.
func (k Kind) String() string {
	switch k {
	case Continuous:
		return "continuous"
	case NonContinuous:
		return "non-continuous"
	case Table:
		return "table"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Access says whether a feature can be read, written or both.
type Access uint8

// Access modes.
const (
	ReadWrite Access = iota
	ReadOnly
	WriteOnly
)

// String describes the Access for people.
func (a Access) String() string {
	switch a {
	case ReadWrite:
		return "RW"
	case ReadOnly:
		return "RO"
	case WriteOnly:
		return "WO"
	}
	return fmt.Sprintf("access(%d)", uint8(a))
}

// Format selects how a value is shown to a person.
type Format uint8

// Value formats.
const (
	// FormatDefault shows continuous values as "current / max" and
	// non-continuous values by name.
	FormatDefault Format = iota
	// FormatVersion shows SH.SL as a version number (0xDF, 0xC9).
	FormatVersion
	// FormatHex shows the four bytes in hexadecimal.
	FormatHex
	// FormatHFreq shows a horizontal frequency in Hz (0xAC).
	FormatHFreq
	// FormatVFreq shows a vertical frequency in 0.01 Hz units (0xAE).
	FormatVFreq
	// FormatHours shows a usage time in hours (0xC0).
	FormatHours
	// FormatKelvin shows a colour temperature increment (0x0B).
	FormatKelvin
	// FormatController shows the display controller manufacturer (0xC8).
	FormatController
	// FormatSigned shows SH SL as a value centred on max/2 (balance-style).
	FormatSigned
)

// Feature describes one VCP code as a given MCCS version defines it.
type Feature struct {
	Code   byte
	Name   string
	Kind   Kind
	Access Access
	// Since is the first MCCS version that defines the feature (the zero
	// Version means every version).
	Since Version
	// Deprecated is the version that deprecated it, or zero.
	Deprecated Version
	// Values names the values of a non-continuous feature (by SL), or the
	// special values of a continuous one.
	Values map[byte]string
	// Format selects how values are shown.
	Format Format
	// Group is the MCCS feature group (image, geometry, audio, ...).
	Group string
}

// override changes a feature from a given version on.
type override struct {
	from   Version
	name   string
	kind   *Kind
	access *Access
	values map[byte]string
	dep    bool
}

type featureDef struct {
	Feature
	overrides []override
}

func kindp(k Kind) *Kind       { return &k }
func accessp(a Access) *Access { return &a }

// Value name tables.
var (
	colorPresets = map[byte]string{0x01: "sRGB", 0x02: "Display Native", 0x03: "4000 K", 0x04: "5000 K",
		0x05: "6500 K", 0x06: "7500 K", 0x07: "8200 K", 0x08: "9300 K", 0x09: "10000 K", 0x0A: "11500 K",
		0x0B: "User 1", 0x0C: "User 2", 0x0D: "User 3"}
	inputSources = map[byte]string{0x01: "VGA-1", 0x02: "VGA-2", 0x03: "DVI-1", 0x04: "DVI-2",
		0x05: "Composite video 1", 0x06: "Composite video 2", 0x07: "S-Video-1", 0x08: "S-Video-2",
		0x09: "Tuner-1", 0x0A: "Tuner-2", 0x0B: "Tuner-3", 0x0C: "Component video (YPrPb/YCrCb) 1",
		0x0D: "Component video (YPrPb/YCrCb) 2", 0x0E: "Component video (YPrPb/YCrCb) 3",
		0x0F: "DisplayPort-1", 0x10: "DisplayPort-2", 0x11: "HDMI-1", 0x12: "HDMI-2"}
	powerModes20 = map[byte]string{0x01: "DPM: On, DPMS: Off", 0x02: "DPM: Off, DPMS: Standby",
		0x03: "DPM: Off, DPMS: Suspend", 0x04: "DPM: Off, DPMS: Off", 0x05: "Write only value to turn off display"}
	osdLanguages = map[byte]string{0x00: "Reserved value, must be ignored", 0x01: "Chinese (traditional, Hantai)",
		0x02: "English", 0x03: "French", 0x04: "German", 0x05: "Italian", 0x06: "Japanese", 0x07: "Korean",
		0x08: "Portuguese (Portugal)", 0x09: "Russian", 0x0A: "Spanish", 0x0B: "Swedish", 0x0C: "Turkish",
		0x0D: "Chinese (simplified / Kantai)", 0x0E: "Portuguese (Brazil)", 0x0F: "Arabic", 0x10: "Bulgarian",
		0x11: "Croatian", 0x12: "Czech", 0x13: "Danish", 0x14: "Dutch", 0x15: "Estonian", 0x16: "Finnish",
		0x17: "Greek", 0x18: "Hebrew", 0x19: "Hindi", 0x1A: "Hungarian", 0x1B: "Latvian", 0x1C: "Lithuanian",
		0x1D: "Norwegian", 0x1E: "Polish", 0x1F: "Romanian", 0x20: "Serbian", 0x21: "Slovak", 0x22: "Slovenian",
		0x23: "Thai", 0x24: "Ukrainian", 0x25: "Vietnamese"}
	displayTech = map[byte]string{0x01: "CRT (shadow mask)", 0x02: "CRT (aperture grill)",
		0x03: "LCD (active matrix)", 0x04: "LCoS", 0x05: "Plasma", 0x06: "OLED", 0x07: "EL", 0x08: "Dynamic MEM",
		0x09: "Static MEM"}
	controllerMfgs = map[byte]string{0x01: "Conexant", 0x02: "Genesis", 0x03: "Macronix", 0x04: "IDT",
		0x05: "Mstar", 0x06: "Myson", 0x07: "Phillips", 0x08: "PixelWorks", 0x09: "RealTek", 0x0A: "Sage",
		0x0B: "Silicon Image", 0x0C: "SmartASIC", 0x0D: "STMicroelectronics", 0x0E: "Topro", 0x0F: "Trumpion",
		0x10: "Welltrend", 0x11: "Samsung", 0x12: "Novatek", 0x13: "STK", 0x14: "Silicon Optics",
		0x15: "Texas Instruments", 0x16: "Analogix", 0x17: "Quantum Data", 0x18: "NXP Semiconductors",
		0x19: "Chrontel", 0x1A: "Parade Technologies", 0x1B: "THine Electronics", 0x1C: "Trident",
		0x1D: "Micros", 0xFF: "Not defined - a manufacturer designed controller"}
	onOff = map[byte]string{0x01: "Off", 0x02: "On"}
)

// features is the MCCS VCP table. Names and flags follow MCCS 2.0, 2.1,
// 2.2 and 3.0; overrides record what changed in later versions.
var features = []featureDef{
	{Feature: Feature{Code: 0x00, Name: "Code Page", Kind: Continuous, Group: "misc"}},
	{Feature: Feature{Code: 0x01, Name: "Degauss", Kind: NonContinuous, Access: WriteOnly, Group: "misc", Values: map[byte]string{0x01: "Degauss"}}},
	{Feature: Feature{Code: 0x02, Name: "New control value", Kind: NonContinuous, Group: "misc",
		Values: map[byte]string{0x01: "No new control values", 0x02: "One or more new control values have been saved", 0xFF: "No user controls are present"}}},
	{Feature: Feature{Code: 0x03, Name: "Soft controls", Kind: NonContinuous, Group: "misc",
		Values: map[byte]string{0x00: "No button active", 0x01: "Button 1 active", 0x02: "Button 2 active", 0x03: "Button 3 active", 0x04: "Button 4 active", 0x05: "Button 5 active", 0x06: "Button 6 active", 0x07: "Button 7 active", 0xFF: "No controls present"}}},
	{Feature: Feature{Code: 0x04, Name: "Restore factory defaults", Kind: NonContinuous, Access: WriteOnly, Group: "misc"}},
	{Feature: Feature{Code: 0x05, Name: "Restore factory brightness/contrast defaults", Kind: NonContinuous, Access: WriteOnly, Group: "image"}},
	{Feature: Feature{Code: 0x06, Name: "Restore factory geometry defaults", Kind: NonContinuous, Access: WriteOnly, Group: "geometry"}},
	{Feature: Feature{Code: 0x08, Name: "Restore color defaults", Kind: NonContinuous, Access: WriteOnly, Group: "color"}},
	{Feature: Feature{Code: 0x0A, Name: "Restore factory TV defaults", Kind: NonContinuous, Access: WriteOnly, Group: "misc"}},
	{Feature: Feature{Code: 0x0B, Name: "Color temperature increment", Kind: Continuous, Access: ReadOnly, Format: FormatKelvin, Group: "color"}},
	{Feature: Feature{Code: 0x0C, Name: "Color temperature request", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x0E, Name: "Clock", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x10, Name: "Brightness", Kind: Continuous, Group: "image"},
		overrides: []override{{from: V30, name: "Luminosity"}}},
	{Feature: Feature{Code: 0x11, Name: "Flesh tone enhancement", Kind: NonContinuous, Since: V22, Group: "image"}},
	{Feature: Feature{Code: 0x12, Name: "Contrast", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x13, Name: "Backlight control", Kind: Continuous, Group: "image"},
		overrides: []override{{from: V22, dep: true}}},
	{Feature: Feature{Code: 0x14, Name: "Select color preset", Kind: NonContinuous, Values: colorPresets, Group: "color"}},
	{Feature: Feature{Code: 0x16, Name: "Video gain: Red", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x17, Name: "User color vision compensation", Kind: Continuous, Since: V22, Group: "color"}},
	{Feature: Feature{Code: 0x18, Name: "Video gain: Green", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x1A, Name: "Video gain: Blue", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x1C, Name: "Focus", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x1E, Name: "Auto setup", Kind: NonContinuous, Group: "image",
		Values: map[byte]string{0x00: "Auto setup not active", 0x01: "Performing auto setup", 0x02: "Enable continuous/periodic auto setup"}}},
	{Feature: Feature{Code: 0x1F, Name: "Auto color setup", Kind: NonContinuous, Group: "color",
		Values: map[byte]string{0x00: "Auto setup not active", 0x01: "Performing auto setup", 0x02: "Enable continuous/periodic auto setup"}}},
	{Feature: Feature{Code: 0x20, Name: "Horizontal Position (Phase)", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x22, Name: "Horizontal Size", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x24, Name: "Horizontal Pincushion", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x26, Name: "Horizontal Pincushion Balance", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x28, Name: "Horizontal Convergence R/B", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x29, Name: "Horizontal Convergence M/G", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x2A, Name: "Horizontal Linearity", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x2C, Name: "Horizontal Linearity Balance", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x2E, Name: "Gray scale expansion", Kind: NonContinuous, Since: V22, Group: "image"}},
	{Feature: Feature{Code: 0x30, Name: "Vertical Position (Phase)", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x32, Name: "Vertical Size", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x34, Name: "Vertical Pincushion", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x36, Name: "Vertical Pincushion Balance", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x38, Name: "Vertical Convergence R/B", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x39, Name: "Vertical Convergence M/G", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x3A, Name: "Vertical Linearity", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x3C, Name: "Vertical Linearity Balance", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x3E, Name: "Clock phase", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x40, Name: "Horizontal Parallelogram", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x41, Name: "Vertical Parallelogram", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x42, Name: "Horizontal Keystone", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x43, Name: "Vertical Keystone", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x44, Name: "Rotation", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x46, Name: "Top Corner Flare", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x48, Name: "Top Corner Hook", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x4A, Name: "Bottom Corner Flare", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x4C, Name: "Bottom Corner Hook", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x52, Name: "Active control", Kind: NonContinuous, Access: ReadOnly, Format: FormatHex, Group: "misc"}},
	{Feature: Feature{Code: 0x54, Name: "Performance Preservation", Kind: NonContinuous, Since: V22, Group: "misc"}},
	{Feature: Feature{Code: 0x56, Name: "Horizontal Moire", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x58, Name: "Vertical Moire", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x59, Name: "6 axis saturation: Red", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x5A, Name: "6 axis saturation: Yellow", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x5B, Name: "6 axis saturation: Green", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x5C, Name: "6 axis saturation: Cyan", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x5D, Name: "6 axis saturation: Blue", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x5E, Name: "6 axis saturation: Magenta", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x60, Name: "Input Source", Kind: NonContinuous, Values: inputSources, Group: "misc"},
		overrides: []override{{from: V30, kind: kindp(Table)}}},
	{Feature: Feature{Code: 0x62, Name: "Audio speaker volume", Kind: Continuous, Group: "audio"},
		overrides: []override{{from: V22, values: map[byte]string{0x00: "Mute", 0xFF: "Fixed (default) level"}}}},
	{Feature: Feature{Code: 0x63, Name: "Speaker Select", Kind: NonContinuous, Since: V22, Group: "audio",
		Values: map[byte]string{0x00: "Front L/R", 0x01: "Side L/R", 0x02: "Rear L/R", 0x03: "Center/Subwoofer"}}},
	{Feature: Feature{Code: 0x64, Name: "Audio: Microphone Volume", Kind: Continuous, Group: "audio"}},
	{Feature: Feature{Code: 0x66, Name: "Ambient light sensor", Kind: NonContinuous, Since: V22, Group: "misc",
		Values: map[byte]string{0x01: "Disabled", 0x02: "Enabled"}}},
	{Feature: Feature{Code: 0x6B, Name: "Backlight Level: White", Kind: Continuous, Since: V22, Group: "image"}},
	{Feature: Feature{Code: 0x6C, Name: "Video black level: Red", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x6D, Name: "Backlight Level: Red", Kind: Continuous, Since: V22, Group: "image"}},
	{Feature: Feature{Code: 0x6E, Name: "Video black level: Green", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x6F, Name: "Backlight Level: Green", Kind: Continuous, Since: V22, Group: "image"}},
	{Feature: Feature{Code: 0x70, Name: "Video black level: Blue", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x71, Name: "Backlight Level: Blue", Kind: Continuous, Since: V22, Group: "image"}},
	{Feature: Feature{Code: 0x72, Name: "Gamma", Kind: NonContinuous, Since: V22, Format: FormatHex, Group: "color",
		Values: map[byte]string{0x50: "1.8", 0x64: "2.0", 0x78: "2.2", 0x8C: "2.4", 0xA0: "2.6"}}},
	{Feature: Feature{Code: 0x73, Name: "LUT Size", Kind: Table, Access: ReadOnly, Since: V22, Group: "color"}},
	{Feature: Feature{Code: 0x74, Name: "Single point LUT operation", Kind: Table, Since: V22, Group: "color"}},
	{Feature: Feature{Code: 0x75, Name: "Block LUT operation", Kind: Table, Since: V22, Group: "color"}},
	{Feature: Feature{Code: 0x76, Name: "Remote Procedure Call", Kind: Table, Access: WriteOnly, Since: V22, Group: "misc"}},
	{Feature: Feature{Code: 0x78, Name: "Display Identification Operation", Kind: Table, Access: ReadOnly, Since: V22, Group: "misc"},
		overrides: []override{{from: V30, name: "Display Identification Data Operation"}}},
	{Feature: Feature{Code: 0x7A, Name: "Adjust Focal Plane", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x7C, Name: "Adjust Zoom", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x7E, Name: "Trapezoid", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x80, Name: "Keystone", Kind: Continuous, Group: "geometry"}},
	{Feature: Feature{Code: 0x82, Name: "Horizontal Mirror (Flip)", Kind: NonContinuous, Group: "geometry",
		Values: map[byte]string{0x00: "Normal mode", 0x01: "Mirrored horizontally mode"}}},
	{Feature: Feature{Code: 0x84, Name: "Vertical Mirror (Flip)", Kind: NonContinuous, Group: "geometry",
		Values: map[byte]string{0x00: "Normal mode", 0x01: "Mirrored vertically mode"}}},
	{Feature: Feature{Code: 0x86, Name: "Display Scaling", Kind: NonContinuous, Group: "geometry",
		Values: map[byte]string{0x01: "No scaling", 0x02: "Max image, no aspect ration distortion", 0x03: "Max vertical image, no aspect ratio distortion",
			0x04: "Max horizontal image, no aspect ratio distortion", 0x05: "Max vertical image with aspect ratio distortion",
			0x06: "Max horizontal image with aspect ratio distortion", 0x07: "Linear expansion (compression) on horizontal axis",
			0x08: "Linear expansion (compression) on h and v axes", 0x09: "Squeeze mode", 0x0A: "Non-linear expansion"}}},
	{Feature: Feature{Code: 0x87, Name: "Sharpness", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x88, Name: "Velocity Scan Modulation", Kind: Continuous, Group: "image"}},
	{Feature: Feature{Code: 0x8A, Name: "Color Saturation", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x8B, Name: "TV Channel Up/Down", Kind: NonContinuous, Access: WriteOnly, Group: "tv",
		Values: map[byte]string{0x01: "Increment channel", 0x02: "Decrement channel"}}},
	{Feature: Feature{Code: 0x8C, Name: "TV Sharpness", Kind: Continuous, Group: "tv"}},
	{Feature: Feature{Code: 0x8D, Name: "Audio Mute", Kind: NonContinuous, Values: onOffMute, Group: "audio"},
		overrides: []override{{from: V22, name: "Audio mute/Screen blank"}}},
	{Feature: Feature{Code: 0x8E, Name: "TV Contrast", Kind: Continuous, Group: "tv"}},
	{Feature: Feature{Code: 0x8F, Name: "Audio Treble", Kind: Continuous, Group: "audio"}},
	{Feature: Feature{Code: 0x90, Name: "Hue", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x91, Name: "Audio Bass", Kind: Continuous, Group: "audio"}},
	{Feature: Feature{Code: 0x92, Name: "TV Black level/Luminesence", Kind: Continuous, Group: "tv"}},
	{Feature: Feature{Code: 0x93, Name: "Audio Balance L/R", Kind: Continuous, Format: FormatSigned, Group: "audio"}},
	{Feature: Feature{Code: 0x94, Name: "Audio Processor Mode", Kind: NonContinuous, Group: "audio",
		Values: map[byte]string{0x00: "Speaker off/Audio not supported", 0x01: "Mono", 0x02: "Stereo", 0x03: "Stereo expanded",
			0x11: "SRS 2.0", 0x12: "SRS 2.1", 0x13: "SRS 3.1", 0x14: "SRS 4.1", 0x15: "SRS 5.1", 0x16: "SRS 6.1", 0x17: "SRS 7.1",
			0x21: "Dolby 2.0", 0x22: "Dolby 2.1", 0x23: "Dolby 3.1", 0x24: "Dolby 4.1", 0x25: "Dolby 5.1", 0x26: "Dolby 6.1", 0x27: "Dolby 7.1",
			0x31: "THX 2.0", 0x32: "THX 2.1", 0x33: "THX 3.1", 0x34: "THX 4.1", 0x35: "THX 5.1", 0x36: "THX 6.1", 0x37: "THX 7.1"}}},
	{Feature: Feature{Code: 0x95, Name: "Window Position(TL_X)", Kind: Continuous, Group: "window"}},
	{Feature: Feature{Code: 0x96, Name: "Window Position(TL_Y)", Kind: Continuous, Group: "window"}},
	{Feature: Feature{Code: 0x97, Name: "Window Position(BR_X)", Kind: Continuous, Group: "window"}},
	{Feature: Feature{Code: 0x98, Name: "Window Position(BR_Y)", Kind: Continuous, Group: "window"}},
	{Feature: Feature{Code: 0x99, Name: "Window control on/off", Kind: NonContinuous, Group: "window",
		Values: map[byte]string{0x00: "No effect", 0x01: "Off", 0x02: "On"}}},
	{Feature: Feature{Code: 0x9A, Name: "Window background", Kind: Continuous, Group: "window"}},
	{Feature: Feature{Code: 0x9B, Name: "6 axis hue control: Red", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x9C, Name: "6 axis hue control: Yellow", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x9D, Name: "6 axis hue control: Green", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x9E, Name: "6 axis hue control: Cyan", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0x9F, Name: "6 axis hue control: Blue", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0xA0, Name: "6 axis hue control: Magenta", Kind: Continuous, Group: "color"}},
	{Feature: Feature{Code: 0xA2, Name: "Auto setup on/off", Kind: NonContinuous, Access: WriteOnly, Values: onOff, Group: "image"}},
	{Feature: Feature{Code: 0xA4, Name: "Window mask control", Kind: Table, Group: "window"}},
	{Feature: Feature{Code: 0xA5, Name: "Change the selected window", Kind: NonContinuous, Group: "window",
		Values: map[byte]string{0x00: "Full display image area selected except active windows", 0x01: "Window 1 selected",
			0x02: "Window 2 selected", 0x03: "Window 3 selected", 0x04: "Window 4 selected", 0x05: "Window 5 selected",
			0x06: "Window 6 selected", 0x07: "Window 7 selected"}}},
	{Feature: Feature{Code: 0xA6, Name: "Window size", Kind: Continuous, Group: "window"}, overrides: []override{{from: V22, dep: true}}},
	{Feature: Feature{Code: 0xA7, Name: "Window transparency", Kind: Continuous, Group: "window"}, overrides: []override{{from: V22, dep: true}}},
	{Feature: Feature{Code: 0xAA, Name: "Screen Orientation", Kind: NonContinuous, Access: ReadOnly, Group: "geometry",
		Values: map[byte]string{0x01: "0 degrees", 0x02: "90 degrees", 0x03: "180 degrees", 0x04: "270 degrees", 0xFF: "Display cannot supply orientation"}}},
	{Feature: Feature{Code: 0xAC, Name: "Horizontal frequency", Kind: Continuous, Access: ReadOnly, Format: FormatHFreq, Group: "misc"}},
	{Feature: Feature{Code: 0xAE, Name: "Vertical frequency", Kind: Continuous, Access: ReadOnly, Format: FormatVFreq, Group: "misc"}},
	{Feature: Feature{Code: 0xB0, Name: "(Re)Store user saved values for current mode", Kind: NonContinuous, Access: WriteOnly, Group: "misc",
		Values: map[byte]string{0x01: "Store current settings in the monitor", 0x02: "Restore factory defaults for current mode"}}},
	{Feature: Feature{Code: 0xB2, Name: "Flat panel sub-pixel layout", Kind: NonContinuous, Access: ReadOnly, Group: "misc",
		Values: map[byte]string{0x00: "Sub-pixel layout not defined", 0x01: "Red/Green/Blue vertical stripe", 0x02: "Red/Green/Blue horizontal stripe",
			0x03: "Blue/Green/Red vertical stripe", 0x04: "Blue/Green/Red horizontal stripe", 0x05: "Quad pixel, red at top left",
			0x06: "Quad pixel, red at bottom left", 0x07: "Delta (triad)", 0x08: "Mosaic"}}},
	{Feature: Feature{Code: 0xB4, Name: "Source Timing Mode", Kind: Table, Since: V22, Group: "misc"}},
	{Feature: Feature{Code: 0xB5, Name: "Source Color Coding", Kind: NonContinuous, Since: V30, Group: "misc",
		Values: map[byte]string{0x00: "Reserved", 0x01: "8 bit RGB", 0x02: "10 bit RGB", 0x03: "12 bit RGB", 0x04: "YCbCr 4:4:4", 0x05: "YCbCr 4:2:2", 0x06: "YCbCr 4:2:0"}}},
	{Feature: Feature{Code: 0xB6, Name: "Display technology type", Kind: NonContinuous, Access: ReadOnly, Values: displayTech, Group: "misc"}},
	{Feature: Feature{Code: 0xB7, Name: "Monitor status", Kind: NonContinuous, Access: ReadOnly, Since: V22, Format: FormatHex, Group: "dpvl"}},
	{Feature: Feature{Code: 0xB8, Name: "Packet count", Kind: Continuous, Since: V22, Group: "dpvl"}},
	{Feature: Feature{Code: 0xB9, Name: "Monitor X origin", Kind: Continuous, Since: V22, Group: "dpvl"}},
	{Feature: Feature{Code: 0xBA, Name: "Monitor Y origin", Kind: Continuous, Since: V22, Group: "dpvl"}},
	{Feature: Feature{Code: 0xBB, Name: "Header error count", Kind: Continuous, Since: V22, Group: "dpvl"}},
	{Feature: Feature{Code: 0xBC, Name: "Body CRC error count", Kind: Continuous, Since: V22, Group: "dpvl"}},
	{Feature: Feature{Code: 0xBD, Name: "Client ID", Kind: Continuous, Since: V22, Group: "dpvl"}},
	{Feature: Feature{Code: 0xBE, Name: "Link control", Kind: NonContinuous, Since: V22, Format: FormatHex, Group: "dpvl"}},
	{Feature: Feature{Code: 0xC0, Name: "Display usage time", Kind: Continuous, Access: ReadOnly, Format: FormatHours, Group: "misc"}},
	{Feature: Feature{Code: 0xC2, Name: "Display descriptor length", Kind: Continuous, Access: ReadOnly, Group: "misc"}},
	{Feature: Feature{Code: 0xC3, Name: "Transmit display descriptor", Kind: Table, Group: "misc"}},
	{Feature: Feature{Code: 0xC4, Name: "Enable display of 'display descriptor'", Kind: NonContinuous, Group: "misc",
		Values: map[byte]string{0x00: "Display descriptor not shown", 0x01: "Display descriptor shown"}}},
	{Feature: Feature{Code: 0xC6, Name: "Application enable key", Kind: NonContinuous, Access: ReadOnly, Format: FormatHex, Group: "misc"}},
	{Feature: Feature{Code: 0xC8, Name: "Display controller type", Kind: NonContinuous, Values: controllerMfgs, Format: FormatController, Group: "misc"}},
	{Feature: Feature{Code: 0xC9, Name: "Display firmware level", Kind: Continuous, Access: ReadOnly, Format: FormatVersion, Group: "misc"}},
	{Feature: Feature{Code: 0xCA, Name: "OSD", Kind: NonContinuous, Group: "misc",
		Values: map[byte]string{0x01: "OSD Disabled", 0x02: "OSD Enabled"}},
		overrides: []override{{from: V22, name: "OSD/Button Control"}}},
	{Feature: Feature{Code: 0xCC, Name: "OSD Language", Kind: NonContinuous, Values: osdLanguages, Group: "misc"}},
	{Feature: Feature{Code: 0xCD, Name: "Status Indicators", Kind: NonContinuous, Since: V22, Format: FormatHex, Group: "misc"}},
	{Feature: Feature{Code: 0xCE, Name: "Auxiliary display size", Kind: NonContinuous, Access: ReadOnly, Since: V22, Format: FormatHex, Group: "misc"}},
	{Feature: Feature{Code: 0xCF, Name: "Auxiliary display data", Kind: Table, Access: WriteOnly, Since: V22, Group: "misc"}},
	{Feature: Feature{Code: 0xD0, Name: "Output select", Kind: NonContinuous, Since: V22, Values: inputSources, Group: "misc"}},
	{Feature: Feature{Code: 0xD2, Name: "Asset Tag", Kind: Table, Since: V22, Group: "misc"}},
	{Feature: Feature{Code: 0xD4, Name: "Stereo video mode", Kind: NonContinuous, Since: V22, Format: FormatHex, Group: "misc"}},
	{Feature: Feature{Code: 0xD6, Name: "Power mode", Kind: NonContinuous, Values: powerModes20, Group: "misc"}},
	{Feature: Feature{Code: 0xD7, Name: "Auxiliary power output", Kind: NonContinuous, Since: V22, Group: "misc",
		Values: map[byte]string{0x01: "Disable auxiliary output", 0x02: "Enable auxiliary output"}}},
	{Feature: Feature{Code: 0xDA, Name: "Scan mode", Kind: NonContinuous, Group: "image",
		Values: map[byte]string{0x00: "Normal operation", 0x01: "Underscan", 0x02: "Overscan", 0x03: "Widescreen"}}},
	{Feature: Feature{Code: 0xDB, Name: "Image Mode", Kind: NonContinuous, Group: "image",
		Values: map[byte]string{0x00: "No effect", 0x01: "Full mode", 0x02: "Zoom mode", 0x03: "Squeeze mode", 0x04: "Variable"}}},
	{Feature: Feature{Code: 0xDC, Name: "Display Mode", Kind: NonContinuous, Group: "image",
		Values: map[byte]string{0x01: "Productivity", 0x02: "Mixed", 0x03: "Movie", 0x04: "User defined", 0x05: "Games", 0x06: "Sports",
			0x07: "Professional (all signal processing disabled)", 0x08: "Standard/Default mode with intermediate power consumption",
			0x09: "Standard/Default mode with low power consumption", 0x0A: "Demonstration"}},
		overrides: []override{{from: V22, name: "Display Application", values: map[byte]string{0x00: "Standard/Default mode",
			0x01: "Productivity", 0x02: "Mixed", 0x03: "Movie", 0x04: "User defined", 0x05: "Games", 0x06: "Sports",
			0x07: "Professional (all signal processing disabled)", 0x08: "Standard/Default mode with intermediate power consumption",
			0x09: "Standard/Default mode with low power consumption", 0x0A: "Demonstration", 0xF0: "Dynamic contrast"}}}},
	{Feature: Feature{Code: 0xDE, Name: "Scratch Pad", Kind: NonContinuous, Format: FormatHex, Group: "misc"}},
	{Feature: Feature{Code: 0xDF, Name: "VCP Version", Kind: NonContinuous, Access: ReadOnly, Format: FormatVersion, Group: "misc"}},
}

var onOffMute = map[byte]string{0x01: "Mute the audio", 0x02: "Unmute the audio"}

var featureIndex = func() map[byte]*featureDef {
	m := make(map[byte]*featureDef, len(features))
	for i := range features {
		m[features[i].Code] = &features[i]
	}
	return m
}()

// LookupFeature returns feature code as MCCS version v defines it. The zero
// Version selects the 2.2 definitions (the most common in monitors). Codes
// 0xE0-0xFF are manufacturer specific and are returned with that name and
// ok false.
func LookupFeature(code byte, v Version) (Feature, bool) {
	if v == (Version{}) {
		v = V22
	}
	d, ok := featureIndex[code]
	if !ok {
		name := "Unknown feature"
		if code >= 0xE0 {
			name = "Manufacturer specific feature"
		}
		return Feature{Code: code, Name: name, Kind: NonContinuous, Format: FormatHex}, false
	}
	f := d.Feature
	for _, o := range d.overrides {
		if v.Less(o.from) {
			continue
		}
		if o.name != "" {
			f.Name = o.name
		}
		if o.kind != nil {
			f.Kind = *o.kind
		}
		if o.access != nil {
			f.Access = *o.access
		}
		if o.values != nil {
			f.Values = o.values
		}
		if o.dep {
			f.Deprecated = o.from
		}
	}
	return f, true
}

// Features returns every feature MCCS version v defines, sorted by code.
func Features(v Version) []Feature {
	if v == (Version{}) {
		v = V22
	}
	out := make([]Feature, 0, len(features))
	for _, d := range features {
		if v.Less(d.Since) {
			continue
		}
		f, _ := LookupFeature(d.Code, v)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// FeatureByName finds a feature by a case-insensitive name or a prefix of
// one ("brightness", "input"). It reports false when no name or several
// match.
func FeatureByName(name string, v Version) (Feature, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return Feature{}, false
	}
	var found []Feature
	for _, f := range Features(v) {
		n := strings.ToLower(f.Name)
		if n == name {
			return f, true
		}
		if strings.HasPrefix(n, name) {
			found = append(found, f)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return Feature{}, false
}

// ValueName returns the name of a non-continuous value, or "".
func (f Feature) ValueName(sl byte) string { return f.Values[sl] }

// FormatValue shows a Get VCP reply the way a person reads it.
func (f Feature) FormatValue(r VCPReply) string {
	mh, ml, sh, sl := r.Bytes()
	switch f.Format {
	case FormatVersion:
		return fmt.Sprintf("%d.%d", sh, sl)
	case FormatHex:
		if n := f.Values[sl]; n != "" {
			return fmt.Sprintf("%s (sl=0x%02X)", n, sl)
		}
		return fmt.Sprintf("mh=0x%02X ml=0x%02X sh=0x%02X sl=0x%02X", mh, ml, sh, sl)
	case FormatHFreq:
		return fmt.Sprintf("%d Hz", uint32(ml)<<16|uint32(sh)<<8|uint32(sl))
	case FormatVFreq:
		return fmt.Sprintf("%.2f Hz", float64(r.Value)/100)
	case FormatHours:
		return fmt.Sprintf("%d hours", uint32(ml)<<16|uint32(sh)<<8|uint32(sl))
	case FormatKelvin:
		return fmt.Sprintf("%d K per step", r.Value)
	case FormatController:
		n := f.Values[sl]
		if n == "" {
			n = "unknown manufacturer"
		}
		return fmt.Sprintf("%s (sl=0x%02X), controller number 0x%02X%02X%02X", n, sl, mh, ml, sh)
	case FormatSigned:
		centre := int(r.Max) / 2
		return fmt.Sprintf("%+d (current %d, max %d)", int(r.Value)-centre, r.Value, r.Max)
	}
	switch f.Kind {
	case Continuous:
		if n := f.Values[byte(r.Value)]; n != "" && r.Value <= 0xFF && (r.Value == 0 || r.Value == 0xFF) {
			return fmt.Sprintf("%s (%d of %d)", n, r.Value, r.Max)
		}
		if r.Max == 0 {
			return fmt.Sprintf("%d (max 0)", r.Value)
		}
		return fmt.Sprintf("%d of %d (%d%%)", r.Value, r.Max, (int(r.Value)*100+int(r.Max)/2)/int(r.Max))
	case NonContinuous:
		if n := f.Values[sl]; n != "" {
			return fmt.Sprintf("%s (sl=0x%02X)", n, sl)
		}
		return fmt.Sprintf("unknown value (sl=0x%02X, sh=0x%02X)", sl, sh)
	}
	return fmt.Sprintf("mh=0x%02X ml=0x%02X sh=0x%02X sl=0x%02X", mh, ml, sh, sl)
}
