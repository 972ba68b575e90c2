package ddc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// EDIDBlockSize is the size of one EDID block.
const EDIDBlockSize = 128

var edidHeader = []byte{0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}

// EDID is a decoded Extended Display Identification Data structure: the
// base block and its extension blocks.
type EDID struct {
	// Raw holds the bytes that were parsed (base block and extensions).
	Raw []byte
	// Manufacturer is the three-letter PNP id (DEL, GSM, SAM, ...).
	Manufacturer string
	// ProductCode is the manufacturer's product code.
	ProductCode uint16
	// SerialNumber is the numeric serial number (0 when unused).
	SerialNumber uint32
	// Week is the week of manufacture (0 unknown); when ModelYear is set
	// Year is the model year instead.
	Week      uint8
	Year      int
	ModelYear bool
	// Version and Revision are the EDID structure version (1.3, 1.4).
	Version, Revision uint8
	// Digital is true for digital inputs.
	Digital bool
	// BitDepth is the colour bit depth per primary for EDID 1.4 digital
	// inputs (0 when undefined).
	BitDepth int
	// Interface is the digital interface of EDID 1.4 (DVI, HDMI-a,
	// DisplayPort...), or "".
	Interface string
	// WidthCM and HeightCM are the maximum image size (0 when unknown or
	// when the bytes give an aspect ratio).
	WidthCM, HeightCM int
	// Gamma is the display gamma, or 0 when not given.
	Gamma float64
	// DPMS power states the display supports.
	DPMSStandby, DPMSSuspend, DPMSOff bool
	// SRGB is set when sRGB is the default colour space.
	SRGB bool
	// PreferredTimingNative means the first detailed timing is preferred
	// (always so from EDID 1.4 on).
	PreferredTimingNative bool
	// ContinuousFrequency is the "continuous frequency"/"GTF supported" bit.
	ContinuousFrequency bool
	// Chromaticity are the CIE xy coordinates of the primaries and white.
	Chromaticity Chromaticity
	// Established lists the established timings I and II that are set.
	Established []Mode
	// Standard lists the standard timings.
	Standard []Mode
	// Detailed lists the detailed timing descriptors of the base block.
	Detailed []DetailedTiming
	// Name, SerialString and Text come from the FC, FF and FE display
	// descriptors.
	Name, SerialString string
	Text               []string
	// Range holds the FD display range limits, if present.
	Range *RangeLimits
	// ExtensionCount is byte 0x7E: how many extension blocks follow.
	ExtensionCount int
	// Extensions are the decoded extension blocks.
	Extensions []EDIDExtension
	// Warnings lists oddities that did not stop decoding.
	Warnings []string
}

// Chromaticity holds CIE 1931 xy coordinates.
type Chromaticity struct {
	RedX, RedY, GreenX, GreenY, BlueX, BlueY, WhiteX, WhiteY float64
}

// Mode is a resolution and refresh rate.
type Mode struct {
	Width, Height int
	RefreshHz     int
	Interlaced    bool
	// Aspect is the standard timing's aspect ratio ("16:9"), if known.
	Aspect string
}

// String describes the Mode for people.
func (m Mode) String() string {
	i := ""
	if m.Interlaced {
		i = "i"
	}
	return fmt.Sprintf("%dx%d%s@%d", m.Width, m.Height, i, m.RefreshHz)
}

// DetailedTiming is an 18-byte detailed timing descriptor.
type DetailedTiming struct {
	// PixelClockKHz is the pixel clock in kHz (the bytes hold units of
	// 10 kHz).
	PixelClockKHz                            int
	HActive, HBlank, HFrontPorch, HSync      int
	VActive, VBlank, VFrontPorch, VSync      int
	WidthMM, HeightMM                        int
	HBorder, VBorder                         int
	Interlaced, HSyncPositive, VSyncPositive bool
}

// RefreshHz returns the field rate in Hz.
func (t DetailedTiming) RefreshHz() float64 {
	h := t.HActive + t.HBlank
	v := t.VActive + t.VBlank
	if h == 0 || v == 0 {
		return 0
	}
	r := float64(t.PixelClockKHz) * 1000 / float64(h*v)
	if t.Interlaced {
		// Each field has VActive+VBlank lines plus half a line.
		r = float64(t.PixelClockKHz) * 1000 / (float64(h) * (float64(v) + 0.5))
	}
	return r
}

// FrameHeight is the height of a whole frame: VActive, doubled for
// interlaced timings (whose VActive counts one field).
func (t DetailedTiming) FrameHeight() int {
	if t.Interlaced {
		return 2 * t.VActive
	}
	return t.VActive
}

// String describes the DetailedTiming for people.
func (t DetailedTiming) String() string {
	i := ""
	if t.Interlaced {
		i = "i"
	}
	return fmt.Sprintf("%dx%d%s %.3f Hz %.3f MHz", t.HActive, t.FrameHeight(), i, t.RefreshHz(), float64(t.PixelClockKHz)/1000)
}

// RangeLimits is the FD display range limits descriptor.
type RangeLimits struct {
	MinVHz, MaxVHz   int
	MinHKHz, MaxHKHz int
	// MaxPixelClockMHz is 0 when not given.
	MaxPixelClockMHz int
	// Support is the timing support byte: 0 default GTF, 1 range limits
	// only, 2 secondary GTF, 4 CVT.
	Support byte
}

// EDIDExtension is one extension block.
type EDIDExtension struct {
	// Tag is the block's first byte (0x02 CTA-861, 0x70 DisplayID, 0xF0
	// block map, ...).
	Tag  byte
	Raw  []byte
	Name string
	// CTA is the decoded CTA-861 block when Tag is 0x02.
	CTA *CTA861
}

// CTA861 is a decoded CTA-861 extension block.
type CTA861 struct {
	Revision                                  uint8
	Underscan, BasicAudio, YCbCr444, YCbCr422 bool
	NativeDTDs                                int
	DataBlocks                                []CTADataBlock
	Detailed                                  []DetailedTiming
}

// CTADataBlock is one data block of a CTA-861 extension.
type CTADataBlock struct {
	// Tag is the data block tag (1 audio, 2 video, 3 vendor, 4 speaker, 7
	// extended); ExtTag is the extended tag when Tag is 7.
	Tag, ExtTag uint8
	// Name is the block's name as CTA-861 gives it.
	Name    string
	Payload []byte
	// VICs lists the video identification codes of a video data block.
	VICs []VIC
	// Audio lists the short audio descriptors of an audio data block.
	Audio []AudioDescriptor
	// OUI is the IEEE OUI of a vendor-specific block.
	OUI uint32
	// PhysicalAddress is the CEC address of an HDMI vendor block (1.0.0.0).
	PhysicalAddress string
}

// VIC is a CTA-861 video identification code.
type VIC struct {
	Code   uint8
	Native bool
}

// AudioDescriptor is a CTA-861 short audio descriptor.
type AudioDescriptor struct {
	Format      uint8
	FormatName  string
	MaxChannels int
	// Rates is the sample rate bit mask (bit 0: 32 kHz ... bit 6: 192 kHz).
	Rates byte
	// Detail is the third byte (sample sizes for LPCM, max bit rate/8 kHz
	// for compressed formats).
	Detail byte
}

// EDIDError describes an EDID that could not be decoded.
type EDIDError struct {
	Block, Offset int
	Msg           string
	Kind          error
}

// Error implements error.
func (e *EDIDError) Error() string {
	return fmt.Sprintf("ddc: EDID block %d, byte %d: %s", e.Block, e.Offset, e.Msg)
}

// Unwrap returns ErrMalformed or ErrChecksum.
func (e *EDIDError) Unwrap() error { return e.Kind }

// ParseEDID decodes an EDID blob of one or more 128-byte blocks. A bad
// header or a short blob is an error. A checksum mismatch in the base block
// returns the decoded EDID together with an *EDIDError (errors.Is
// ErrChecksum), so callers can still show what is there; extension problems
// are recorded in Warnings.
func ParseEDID(b []byte) (*EDID, error) {
	if len(b) < EDIDBlockSize {
		return nil, &EDIDError{Offset: len(b), Msg: fmt.Sprintf("%d bytes, need at least %d", len(b), EDIDBlockSize), Kind: ErrMalformed}
	}
	if !bytes.Equal(b[:8], edidHeader) {
		return nil, &EDIDError{Msg: fmt.Sprintf("header % X, want 00 FF FF FF FF FF FF 00", b[:8]), Kind: ErrMalformed}
	}
	e := &EDID{Raw: append([]byte(nil), b...)}
	var chkErr error
	if s := blockSum(b[:128]); s != 0 {
		chkErr = &EDIDError{Offset: 127, Msg: fmt.Sprintf("checksum byte 0x%02X makes the block sum 0x%02X, want 0", b[127], s), Kind: ErrChecksum}
	}
	e.parseBase(b[:128])
	n := len(b)/EDIDBlockSize - 1
	if len(b)%EDIDBlockSize != 0 {
		e.Warnings = append(e.Warnings, fmt.Sprintf("%d trailing bytes after the last whole block ignored", len(b)%EDIDBlockSize))
	}
	if n < e.ExtensionCount {
		e.Warnings = append(e.Warnings, fmt.Sprintf("base block announces %d extension blocks, only %d present", e.ExtensionCount, n))
	} else if n > e.ExtensionCount {
		e.Warnings = append(e.Warnings, fmt.Sprintf("%d blocks present beyond the %d announced extensions, ignored", n-e.ExtensionCount, e.ExtensionCount))
		n = e.ExtensionCount
	}
	for i := 1; i <= n; i++ {
		blk := b[i*128 : (i+1)*128]
		x := EDIDExtension{Tag: blk[0], Raw: append([]byte(nil), blk...), Name: extensionName(blk[0])}
		if s := blockSum(blk); s != 0 {
			e.Warnings = append(e.Warnings, fmt.Sprintf("block %d: checksum makes the block sum 0x%02X, want 0", i, s))
		}
		if blk[0] == 0x02 {
			x.CTA = parseCTA(blk, i, &e.Warnings)
		}
		e.Extensions = append(e.Extensions, x)
	}
	return e, chkErr
}

func blockSum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

func extensionName(tag byte) string {
	switch tag {
	case 0x02:
		return "CTA-861 Extension Block"
	case 0x10:
		return "Video Timing Extension Block"
	case 0x40:
		return "Display Information Extension Block"
	case 0x50:
		return "Localized String Extension Block"
	case 0x60:
		return "Digital Packet Video Link Extension"
	case 0x70:
		return "DisplayID Extension Block"
	case 0xF0:
		return "Block Map Extension Block"
	case 0xFF:
		return "Manufacturer-Specific Extension Block"
	}
	return fmt.Sprintf("Unknown EDID Extension Block 0x%02x", tag)
}

// PNPID decodes the two packed manufacturer bytes into three letters.
func PNPID(hi, lo byte) string {
	v := uint16(hi)<<8 | uint16(lo)
	l := []byte{byte(v>>10&31) + '@', byte(v>>5&31) + '@', byte(v&31) + '@'}
	return string(l)
}

func (e *EDID) parseBase(b []byte) {
	e.Manufacturer = PNPID(b[8], b[9])
	e.ProductCode = binary.LittleEndian.Uint16(b[10:])
	e.SerialNumber = binary.LittleEndian.Uint32(b[12:])
	e.Week = b[16]
	e.Year = int(b[17]) + 1990
	if e.Week == 0xFF {
		e.ModelYear, e.Week = true, 0
	}
	e.Version, e.Revision = b[18], b[19]
	in := b[20]
	e.Digital = in&0x80 != 0
	v14 := e.Version == 1 && e.Revision >= 4
	if e.Digital && v14 {
		if d := int(in>>4) & 7; d > 0 && d < 7 {
			e.BitDepth = 4 + 2*d
		}
		e.Interface = map[byte]string{1: "DVI", 2: "HDMI-a", 3: "HDMI-b", 4: "MDDI", 5: "DisplayPort"}[in&0x0F]
	}
	if b[21] != 0 && b[22] != 0 {
		e.WidthCM, e.HeightCM = int(b[21]), int(b[22])
	}
	if b[23] != 0xFF {
		e.Gamma = float64(int(b[23])+100) / 100
	}
	f := b[24]
	e.DPMSStandby, e.DPMSSuspend, e.DPMSOff = f&0x80 != 0, f&0x40 != 0, f&0x20 != 0
	e.SRGB = f&0x04 != 0
	e.PreferredTimingNative = f&0x02 != 0 || v14
	e.ContinuousFrequency = f&0x01 != 0
	c := func(msb byte, lsb byte, shift uint) float64 {
		return float64(int(msb)<<2|int(lsb>>shift)&3) / 1024
	}
	e.Chromaticity = Chromaticity{
		RedX: c(b[27], b[25], 6), RedY: c(b[28], b[25], 4), GreenX: c(b[29], b[25], 2), GreenY: c(b[30], b[25], 0),
		BlueX: c(b[31], b[26], 6), BlueY: c(b[32], b[26], 4), WhiteX: c(b[33], b[26], 2), WhiteY: c(b[34], b[26], 0),
	}
	est := uint32(b[35])<<16 | uint32(b[36])<<8 | uint32(b[37])
	for i, m := range establishedModes {
		if est&(1<<(23-uint(i))) != 0 {
			e.Established = append(e.Established, m)
		}
	}
	for i := 0; i < 8; i++ {
		if m, ok := standardTiming(b[38+2*i], b[39+2*i], e.Version, e.Revision); ok {
			e.Standard = append(e.Standard, m)
		}
	}
	for i := 0; i < 4; i++ {
		d := b[54+18*i : 72+18*i]
		e.descriptor(d, 54+18*i)
	}
	e.ExtensionCount = int(b[126])
}

var establishedModes = []Mode{
	{720, 400, 70, false, ""}, {720, 400, 88, false, ""}, {640, 480, 60, false, ""}, {640, 480, 67, false, ""},
	{640, 480, 72, false, ""}, {640, 480, 75, false, ""}, {800, 600, 56, false, ""}, {800, 600, 60, false, ""},
	{800, 600, 72, false, ""}, {800, 600, 75, false, ""}, {832, 624, 75, false, ""}, {1024, 768, 87, true, ""},
	{1024, 768, 60, false, ""}, {1024, 768, 70, false, ""}, {1024, 768, 75, false, ""}, {1280, 1024, 75, false, ""},
	{1152, 870, 75, false, ""},
}

func standardTiming(b0, b1 byte, ver, rev byte) (Mode, bool) {
	if (b0 == 0x01 && b1 == 0x01) || b0 == 0x00 || (b0 == 0x20 && b1 == 0x20) {
		return Mode{}, false
	}
	w := (int(b0) + 31) * 8
	var h int
	var a string
	switch b1 >> 6 {
	case 0:
		if ver == 1 && rev < 3 {
			h, a = w, "1:1"
		} else {
			h, a = w*10/16, "16:10"
		}
	case 1:
		h, a = w*3/4, "4:3"
	case 2:
		h, a = w*4/5, "5:4"
	case 3:
		h, a = w*9/16, "16:9"
	}
	return Mode{Width: w, Height: h, RefreshHz: int(b1&0x3F) + 60, Aspect: a}, true
}

func (e *EDID) descriptor(d []byte, off int) {
	if d[0] != 0 || d[1] != 0 {
		e.Detailed = append(e.Detailed, parseDTD(d))
		return
	}
	switch d[3] {
	case 0xFC:
		e.Name = descText(d)
	case 0xFF:
		e.SerialString = descText(d)
	case 0xFE:
		e.Text = append(e.Text, descText(d))
	case 0xFD:
		r := &RangeLimits{MinVHz: int(d[5]), MaxVHz: int(d[6]), MinHKHz: int(d[7]), MaxHKHz: int(d[8]),
			MaxPixelClockMHz: int(d[9]) * 10, Support: d[10]}
		// The offset flags exist from EDID 1.4 on (byte 4 is reserved
		// before). Bits 1:0 are 10 (+255 to the maximum) or 11 (+255 to
		// both); 01 is reserved, so a minimum offset counts only with the
		// maximum one. Bits 3:2 do the same for the horizontal rates.
		if e.Version == 1 && e.Revision >= 4 {
			if d[4]&0x02 != 0 {
				r.MaxVHz += 255
				if d[4]&0x01 != 0 {
					r.MinVHz += 255
				}
			}
			if d[4]&0x08 != 0 {
				r.MaxHKHz += 255
				if d[4]&0x04 != 0 {
					r.MinHKHz += 255
				}
			}
		}
		e.Range = r
	case 0xFA:
		for i := 0; i < 6; i++ {
			if m, ok := standardTiming(d[5+2*i], d[6+2*i], e.Version, e.Revision); ok {
				e.Standard = append(e.Standard, m)
			}
		}
	}
}

func descText(d []byte) string {
	t := d[5:18]
	if i := bytes.IndexByte(t, 0x0A); i >= 0 {
		t = t[:i]
	}
	return strings.TrimRight(string(t), " \x00")
}

func parseDTD(d []byte) DetailedTiming {
	t := DetailedTiming{
		PixelClockKHz: int(binary.LittleEndian.Uint16(d)) * 10,
		HActive:       int(d[2]) | int(d[4]>>4)<<8,
		HBlank:        int(d[3]) | int(d[4]&0x0F)<<8,
		VActive:       int(d[5]) | int(d[7]>>4)<<8,
		VBlank:        int(d[6]) | int(d[7]&0x0F)<<8,
		HFrontPorch:   int(d[8]) | int(d[11]>>6)<<8,
		HSync:         int(d[9]) | int(d[11]>>4&3)<<8,
		VFrontPorch:   int(d[10]>>4) | int(d[11]>>2&3)<<4,
		VSync:         int(d[10]&0x0F) | int(d[11]&3)<<4,
		WidthMM:       int(d[12]) | int(d[14]>>4)<<8,
		HeightMM:      int(d[13]) | int(d[14]&0x0F)<<8,
		HBorder:       int(d[15]),
		VBorder:       int(d[16]),
		Interlaced:    d[17]&0x80 != 0,
	}
	if d[17]&0x18 == 0x18 { // digital separate sync
		t.VSyncPositive = d[17]&0x04 != 0
		t.HSyncPositive = d[17]&0x02 != 0
	}
	return t
}

var ctaBlockNames = map[uint8]string{1: "Audio Data Block", 2: "Video Data Block", 3: "Vendor-Specific Data Block",
	4: "Speaker Allocation Data Block", 5: "VESA Display Transfer Characteristics Data Block"}

var ctaExtNames = map[uint8]string{0x00: "Video Capability Data Block", 0x01: "Vendor-Specific Video Data Block",
	0x02: "VESA Video Display Device Data Block", 0x03: "VESA Video Timing Block Extension",
	0x05: "Colorimetry Data Block", 0x06: "HDR Static Metadata Data Block", 0x07: "HDR Dynamic Metadata Data Block",
	0x0D: "Video Format Preference Data Block", 0x0E: "YCbCr 4:2:0 Video Data Block",
	0x0F: "YCbCr 4:2:0 Capability Map Data Block", 0x11: "Vendor-Specific Audio Data Block",
	0x12: "Room Configuration Data Block", 0x13: "Speaker Location Data Block", 0x20: "InfoFrame Data Block",
	0x78: "HDMI Forum EDID Extension Override Data Block", 0x79: "HDMI Forum Sink Capability Data Block"}

var audioFormats = map[uint8]string{1: "Linear PCM", 2: "AC-3", 3: "MPEG 1 (Layers 1 & 2)", 4: "MPEG 1 Layer 3 (MP3)",
	5: "MPEG2 (multichannel)", 6: "AAC LC", 7: "DTS", 8: "ATRAC", 9: "One Bit Audio", 10: "Enhanced AC-3 (DD+)",
	11: "DTS-HD", 12: "MAT (MLP)", 13: "DST", 14: "WMA Pro", 15: "Extended"}

func parseCTA(blk []byte, idx int, warn *[]string) *CTA861 {
	c := &CTA861{Revision: blk[1]}
	dtdStart := int(blk[2])
	if c.Revision >= 2 {
		c.Underscan = blk[3]&0x80 != 0
		c.BasicAudio = blk[3]&0x40 != 0
		c.YCbCr444 = blk[3]&0x20 != 0
		c.YCbCr422 = blk[3]&0x10 != 0
		c.NativeDTDs = int(blk[3] & 0x0F)
	}
	if dtdStart == 0 {
		return c
	}
	if dtdStart < 4 || dtdStart > 127 {
		*warn = append(*warn, fmt.Sprintf("block %d: CTA-861 detailed timings offset %d out of range", idx, dtdStart))
		return c
	}
	if c.Revision >= 3 {
		for i := 4; i < dtdStart; {
			h := blk[i]
			tag, n := h>>5, int(h&0x1F)
			if i+1+n > dtdStart {
				*warn = append(*warn, fmt.Sprintf("block %d byte %d: data block of %d bytes overruns the data block area", idx, i, n))
				break
			}
			p := blk[i+1 : i+1+n]
			db := CTADataBlock{Tag: tag, Payload: append([]byte(nil), p...), Name: ctaBlockNames[tag]}
			switch tag {
			case 1:
				for k := 0; k+3 <= len(p); k += 3 {
					f := p[k] >> 3 & 0x0F
					db.Audio = append(db.Audio, AudioDescriptor{Format: f, FormatName: audioFormats[f],
						MaxChannels: int(p[k]&7) + 1, Rates: p[k+1] & 0x7F, Detail: p[k+2]})
				}
			case 2:
				for _, v := range p {
					if v&0x7F != 0 && v&0x7F <= 64 && v&0x80 != 0 {
						db.VICs = append(db.VICs, VIC{Code: v & 0x7F, Native: true})
					} else {
						db.VICs = append(db.VICs, VIC{Code: v})
					}
				}
			case 3:
				if len(p) >= 3 {
					db.OUI = uint32(p[2])<<16 | uint32(p[1])<<8 | uint32(p[0])
					if db.OUI == 0x000C03 && len(p) >= 5 {
						db.PhysicalAddress = fmt.Sprintf("%d.%d.%d.%d", p[3]>>4, p[3]&0xF, p[4]>>4, p[4]&0xF)
					}
				}
			case 7:
				if len(p) >= 1 {
					db.ExtTag = p[0]
					db.Name = ctaExtNames[p[0]]
					if db.Name == "" {
						db.Name = fmt.Sprintf("Unknown CTA-861 Data Block (extended tag 0x%02x)", p[0])
					}
				}
			}
			if db.Name == "" {
				db.Name = fmt.Sprintf("Unknown CTA-861 Data Block (tag 0x%02x)", tag)
			}
			c.DataBlocks = append(c.DataBlocks, db)
			i += 1 + n
		}
	}
	for i := dtdStart; i+18 <= 127; i += 18 {
		d := blk[i : i+18]
		if d[0] == 0 && d[1] == 0 {
			break
		}
		c.Detailed = append(c.Detailed, parseDTD(d))
	}
	return c
}

// Preferred returns the preferred detailed timing (the first one), if any.
func (e *EDID) Preferred() (DetailedTiming, bool) {
	if len(e.Detailed) == 0 {
		return DetailedTiming{}, false
	}
	return e.Detailed[0], true
}

// String summarises the EDID in one line: vendor, product, name, size.
func (e *EDID) String() string {
	s := fmt.Sprintf("%s %04X", e.Manufacturer, e.ProductCode)
	if e.Name != "" {
		s += " " + e.Name
	}
	if p, ok := e.Preferred(); ok {
		s += fmt.Sprintf(" %dx%d", p.HActive, p.VActive)
	}
	return s
}

// EDIDSpec describes a base EDID block to build with BuildEDID (for
// simulated monitors and tests).
type EDIDSpec struct {
	Manufacturer string
	ProductCode  uint16
	SerialNumber uint32
	Week         uint8
	Year         int
	Name         string
	SerialString string
	WidthCM      int
	HeightCM     int
	// Preferred is the first detailed timing; zero leaves it out.
	Preferred DetailedTiming
	Range     *RangeLimits
	// Extensions are raw 128-byte extension blocks to append; their
	// checksums are fixed up.
	Extensions [][]byte
}

// BuildEDID encodes an EDID 1.4 digital base block from spec, followed by
// its extension blocks.
func BuildEDID(spec EDIDSpec) ([]byte, error) {
	if len(spec.Manufacturer) != 3 {
		return nil, fmt.Errorf("ddc: EDID manufacturer %q must be three letters A-Z", spec.Manufacturer)
	}
	var id uint16
	for _, c := range []byte(spec.Manufacturer) {
		if c < 'A' || c > 'Z' {
			return nil, fmt.Errorf("ddc: EDID manufacturer %q must be three letters A-Z", spec.Manufacturer)
		}
		id = id<<5 | uint16(c-'@')
	}
	if spec.Year != 0 && (spec.Year < 1990 || spec.Year > 1990+255) {
		return nil, fmt.Errorf("ddc: EDID year %d out of range 1990-2245", spec.Year)
	}
	if len(spec.Extensions) > 254 {
		return nil, fmt.Errorf("ddc: %d EDID extensions, at most 254", len(spec.Extensions))
	}
	if spec.WidthCM < 0 || spec.WidthCM > 255 || spec.HeightCM < 0 || spec.HeightCM > 255 {
		return nil, fmt.Errorf("ddc: EDID image size %dx%d cm: each must be 0-255", spec.WidthCM, spec.HeightCM)
	}
	if spec.Preferred.PixelClockKHz != 0 {
		if err := checkDTD(spec.Preferred); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 128)
	copy(b, edidHeader)
	binary.BigEndian.PutUint16(b[8:], id)
	binary.LittleEndian.PutUint16(b[10:], spec.ProductCode)
	binary.LittleEndian.PutUint32(b[12:], spec.SerialNumber)
	b[16] = spec.Week
	if spec.Year != 0 {
		b[17] = byte(spec.Year - 1990)
	}
	b[18], b[19] = 1, 4
	b[20] = 0x80 | 0x20 | 0x05 // digital, 8 bits, DisplayPort
	b[21], b[22] = byte(spec.WidthCM), byte(spec.HeightCM)
	b[23] = 120 // gamma 2.2
	b[24] = 0x06
	for i := 38; i < 54; i++ {
		b[i] = 0x01
	}
	desc := [][]byte{}
	if spec.Preferred.PixelClockKHz != 0 {
		desc = append(desc, encodeDTD(spec.Preferred))
	}
	if spec.Range != nil {
		r := spec.Range
		d := []byte{0, 0, 0, 0xFD, 0, 0, 0, 0, 0, 0, r.Support, 0x0A, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20}
		// Rates past 255 take the EDID 1.4 offset flags (+255): bit 1 (3)
		// for the maximum, bit 0 (2) for the minimum, which needs the
		// maximum's.
		for i, pair := range [][2]int{{r.MinVHz, r.MaxVHz}, {r.MinHKHz, r.MaxHKHz}} {
			lo, hi := pair[0], pair[1]
			what := [2]string{"vertical rates (Hz)", "horizontal rates (kHz)"}[i]
			if lo < 0 || hi < 0 || lo > 510 || hi > 510 || (lo > 255 && hi <= 255) {
				return nil, fmt.Errorf("ddc: EDID range limits: %s %d-%d do not fit (0-255, or up to 510 with the maximum above 255 when the minimum is)", what, lo, hi)
			}
			if hi > 255 {
				d[4] |= 0x02 << (2 * i)
				hi -= 255
			}
			if lo > 255 {
				d[4] |= 0x01 << (2 * i)
				lo -= 255
			}
			d[5+2*i], d[6+2*i] = byte(lo), byte(hi)
		}
		if r.MaxPixelClockMHz < 0 || r.MaxPixelClockMHz > 2550 || r.MaxPixelClockMHz%10 != 0 {
			return nil, fmt.Errorf("ddc: EDID range limits: maximum pixel clock %d MHz is not a multiple of 10 in 0-2550", r.MaxPixelClockMHz)
		}
		d[9] = byte(r.MaxPixelClockMHz / 10)
		desc = append(desc, d)
	}
	if spec.Name != "" {
		desc = append(desc, textDescriptor(0xFC, spec.Name))
	}
	if spec.SerialString != "" {
		desc = append(desc, textDescriptor(0xFF, spec.SerialString))
	}
	if len(desc) > 4 {
		return nil, fmt.Errorf("ddc: EDID needs %d descriptors, a base block holds 4", len(desc))
	}
	for len(desc) < 4 {
		desc = append(desc, []byte{0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	}
	for i, d := range desc {
		copy(b[54+18*i:], d)
	}
	b[126] = byte(len(spec.Extensions))
	b[127] = -blockSum(b[:127])
	for i, x := range spec.Extensions {
		if len(x) != 128 {
			return nil, fmt.Errorf("ddc: EDID extension %d has %d bytes, want 128", i+1, len(x))
		}
		blk := append([]byte(nil), x...)
		blk[127] = -blockSum(blk[:127])
		b = append(b, blk...)
	}
	return b, nil
}

func textDescriptor(tag byte, s string) []byte {
	d := []byte{0, 0, 0, tag, 0}
	t := []byte(s)
	if len(t) > 13 {
		t = t[:13]
	}
	d = append(d, t...)
	if len(t) < 13 {
		d = append(d, 0x0A)
	}
	for len(d) < 18 {
		d = append(d, 0x20)
	}
	return d
}

// checkDTD refuses a detailed timing with a field its bits cannot hold.
func checkDTD(t DetailedTiming) error {
	if t.PixelClockKHz < 10 || t.PixelClockKHz > 655350 || t.PixelClockKHz%10 != 0 {
		return fmt.Errorf("ddc: EDID detailed timing: pixel clock %d kHz is not a multiple of 10 in 10-655350", t.PixelClockKHz)
	}
	for _, f := range []struct {
		name   string
		v, max int
	}{
		{"HActive", t.HActive, 4095}, {"HBlank", t.HBlank, 4095}, {"VActive", t.VActive, 4095}, {"VBlank", t.VBlank, 4095},
		{"HFrontPorch", t.HFrontPorch, 1023}, {"HSync", t.HSync, 1023}, {"VFrontPorch", t.VFrontPorch, 63}, {"VSync", t.VSync, 63},
		{"WidthMM", t.WidthMM, 4095}, {"HeightMM", t.HeightMM, 4095}, {"HBorder", t.HBorder, 255}, {"VBorder", t.VBorder, 255},
	} {
		if f.v < 0 || f.v > f.max {
			return fmt.Errorf("ddc: EDID detailed timing: %s %d outside 0-%d", f.name, f.v, f.max)
		}
	}
	return nil
}

func encodeDTD(t DetailedTiming) []byte {
	d := make([]byte, 18)
	binary.LittleEndian.PutUint16(d, uint16(t.PixelClockKHz/10))
	d[2] = byte(t.HActive)
	d[3] = byte(t.HBlank)
	d[4] = byte(t.HActive>>8)<<4 | byte(t.HBlank>>8)&0x0F
	d[5] = byte(t.VActive)
	d[6] = byte(t.VBlank)
	d[7] = byte(t.VActive>>8)<<4 | byte(t.VBlank>>8)&0x0F
	d[8] = byte(t.HFrontPorch)
	d[9] = byte(t.HSync)
	d[10] = byte(t.VFrontPorch&0x0F)<<4 | byte(t.VSync&0x0F)
	d[11] = byte(t.HFrontPorch>>8&3)<<6 | byte(t.HSync>>8&3)<<4 | byte(t.VFrontPorch>>4&3)<<2 | byte(t.VSync>>4&3)
	d[12] = byte(t.WidthMM)
	d[13] = byte(t.HeightMM)
	d[14] = byte(t.WidthMM>>8)<<4 | byte(t.HeightMM>>8)&0x0F
	d[15] = byte(t.HBorder)
	d[16] = byte(t.VBorder)
	d[17] = 0x18
	if t.Interlaced {
		d[17] |= 0x80
	}
	if t.VSyncPositive {
		d[17] |= 0x04
	}
	if t.HSyncPositive {
		d[17] |= 0x02
	}
	return d
}
