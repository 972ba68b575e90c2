package ddc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"pgregory.net/rapid"
)

func fixtures(t testing.TB) map[string][]byte {
	files, err := filepath.Glob("testdata/edid/*.bin")
	if err != nil || len(files) < 5 {
		t.Fatalf("EDID fixtures missing: %v %v", files, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func TestParseEDIDFixtures(t *testing.T) {
	fx := fixtures(t)
	e, err := ParseEDID(fx["dell-se2717h.bin"])
	if err != nil {
		t.Fatal(err)
	}
	if e.Manufacturer != "DEL" || e.ProductCode != 53409 || e.Name != "SE2717H/HX" || e.SerialString != "K9V8V71F2HRS" ||
		e.Week != 2 || e.Year != 2017 || !e.Digital || e.WidthCM != 60 || e.HeightCM != 34 || e.Gamma != 2.2 {
		t.Errorf("base fields: %+v", e)
	}
	if p, _ := e.Preferred(); p.HActive != 1920 || p.VActive != 1080 || p.PixelClockKHz != 148500 || p.WidthMM != 598 {
		t.Errorf("preferred %+v", p)
	}
	if r := e.Range; r == nil || r.MinVHz != 56 || r.MaxVHz != 76 || r.MinHKHz != 30 || r.MaxHKHz != 83 || r.MaxPixelClockMHz != 170 {
		t.Errorf("range %+v", e.Range)
	}
	if len(e.Extensions) != 1 || e.Extensions[0].CTA == nil {
		t.Fatalf("extensions %+v", e.Extensions)
	}
	cta := e.Extensions[0].CTA
	var names []string
	for _, db := range cta.DataBlocks {
		names = append(names, db.Name)
	}
	if !cmp.Equal(names, []string{"Video Data Block", "Vendor-Specific Data Block", "Vendor-Specific Data Block"}) {
		t.Errorf("data blocks %v", names)
	}
	if cta.DataBlocks[0].VICs[0] != (VIC{Code: 16, Native: true}) || cta.DataBlocks[1].PhysicalAddress != "1.0.0.0" {
		t.Errorf("VIC/HDMI: %+v", cta.DataBlocks[:2])
	}
	// The repeated block of a one-block EEPROM read as 256 bytes.
	d, err := ParseEDID(fx["dell-e2214hv-doubled.bin"])
	if err != nil || len(d.Extensions) != 0 || len(d.Warnings) == 0 {
		t.Errorf("doubled: %v %+v %v", err, d.Extensions, d.Warnings)
	}
}

func TestParseEDIDErrors(t *testing.T) {
	fx := fixtures(t)
	good := fx["aoc-1670w.bin"]
	if _, err := ParseEDID(good[:100]); !errors.Is(err, ErrMalformed) {
		t.Errorf("short: %v", err)
	}
	bad := append([]byte(nil), good...)
	bad[3] = 0
	if _, err := ParseEDID(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("header: %v", err)
	}
	bad = append([]byte(nil), good...)
	bad[20] ^= 0x80
	e, err := ParseEDID(bad)
	var ee *EDIDError
	if !errors.Is(err, ErrChecksum) || !errors.As(err, &ee) || ee.Offset != 127 || e == nil || e.Manufacturer != "AOC" {
		t.Errorf("checksum: %v %v", e, err)
	}
}

// edidDecode is what edid-decode reports, reduced to the fields compared.
type edidFacts struct {
	Version, Manufacturer, Model, Serial, Made, Display, Size, Gamma string
	Name, SerialString, Range, ExtCount                              string
	DTDs                                                             []string
	CTARevision                                                      string
	DataBlocks                                                       []string
	VICs                                                             []string
}

var (
	reKV    = regexp.MustCompile(`^\s+([A-Za-z &()]+?):\s+(.*)$`)
	reDTD   = regexp.MustCompile(`^\s+DTD\s+\d+:\s+(\d+)x(\d+)(i?)\s.*?([\d.]+) MHz`)
	reVIC   = regexp.MustCompile(`^\s+VIC\s+(\d+):`)
	reBlock = regexp.MustCompile(`^Block (\d+), (.*):$`)
	reDB    = regexp.MustCompile(`^  ([A-Za-z0-9 :.\-/]+ Data Block)(?: \(.*\))?(?:, OUI .*)?:$`)
)

func runEDIDDecode(t *testing.T, tool string, blob []byte) edidFacts {
	t.Helper()
	f := filepath.Join(t.TempDir(), "edid.bin")
	if err := os.WriteFile(f, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, f).Output()
	if err != nil && len(out) == 0 { // edid-decode exits 1 on conformity failures
		t.Fatalf("edid-decode: %v", err)
	}
	var r edidFacts
	block := 0
	for _, line := range strings.Split(string(out), "\n") {
		if m := reBlock.FindStringSubmatch(line); m != nil {
			block, _ = strconv.Atoi(m[1])
			continue
		}
		if strings.HasPrefix(line, "Checksum") || strings.HasPrefix(line, "----") {
			continue
		}
		if m := reDTD.FindStringSubmatch(line); m != nil {
			r.DTDs = append(r.DTDs, fmt.Sprintf("%sx%s%s %s", m[1], m[2], m[3], m[4]))
			continue
		}
		if block >= 1 {
			if m := reVIC.FindStringSubmatch(line); m != nil {
				r.VICs = append(r.VICs, m[1])
			}
			if m := reDB.FindStringSubmatch(line); m != nil {
				r.DataBlocks = append(r.DataBlocks, m[1])
			}
			if strings.HasPrefix(line, "  Revision: ") && r.CTARevision == "" {
				r.CTARevision = strings.TrimPrefix(line, "  Revision: ")
			}
			continue
		}
		switch strings.TrimSpace(line) {
		case "Digital display", "Analog display":
			r.Display = strings.TrimSpace(line)
			continue
		}
		m := reKV.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v := m[2]
		switch m[1] {
		case "EDID Structure Version & Revision":
			r.Version = v
		case "Manufacturer":
			r.Manufacturer = v
		case "Model":
			r.Model = v
		case "Serial Number":
			r.Serial = v
		case "Made in", "Model year":
			r.Made = m[1] + " " + v
		case "Maximum image size":
			r.Size = v
		case "Gamma":
			r.Gamma = v
		case "Display Product Name":
			r.Name = strings.Trim(v, "'")
		case "Display Product Serial Number":
			r.SerialString = strings.Trim(v, "'")
		case "Extension blocks":
			r.ExtCount = v
		default:
			if strings.HasPrefix(m[1], "Monitor ranges (") {
				r.Range = v
			}
		}
	}
	return r
}

func ourFacts(e *EDID) edidFacts {
	var r edidFacts
	r.Version = fmt.Sprintf("%d.%d", e.Version, e.Revision)
	r.Manufacturer = e.Manufacturer
	r.Model = strconv.Itoa(int(e.ProductCode))
	if e.SerialNumber != 0 {
		r.Serial = strconv.FormatUint(uint64(e.SerialNumber), 10)
	}
	switch {
	case e.ModelYear:
		r.Made = fmt.Sprintf("Model year %d", e.Year)
	case e.Week == 0:
		r.Made = fmt.Sprintf("Made in %d", e.Year)
	default:
		r.Made = fmt.Sprintf("Made in week %d of %d", e.Week, e.Year)
	}
	r.Display = "Analog display"
	if e.Digital {
		r.Display = "Digital display"
	}
	if e.WidthCM != 0 {
		r.Size = fmt.Sprintf("%d cm x %d cm", e.WidthCM, e.HeightCM)
	}
	if e.Gamma != 0 {
		r.Gamma = fmt.Sprintf("%.2f", e.Gamma)
	}
	r.Name, r.SerialString = e.Name, e.SerialString
	if g := e.Range; g != nil {
		r.Range = fmt.Sprintf("%d-%d Hz V, %d-%d kHz H", g.MinVHz, g.MaxVHz, g.MinHKHz, g.MaxHKHz)
		if g.MaxPixelClockMHz != 0 {
			r.Range += fmt.Sprintf(", max dotclock %d MHz", g.MaxPixelClockMHz)
		}
	}
	if e.ExtensionCount > 0 {
		r.ExtCount = strconv.Itoa(e.ExtensionCount)
	}
	dtd := func(t DetailedTiming) string {
		i := ""
		if t.Interlaced {
			i = "i"
		}
		return fmt.Sprintf("%dx%d%s %.6f", t.HActive, t.FrameHeight(), i, float64(t.PixelClockKHz)/1000)
	}
	for _, t := range e.Detailed {
		r.DTDs = append(r.DTDs, dtd(t))
	}
	for _, x := range e.Extensions {
		if x.CTA == nil {
			continue
		}
		r.CTARevision = strconv.Itoa(int(x.CTA.Revision))
		for _, db := range x.CTA.DataBlocks {
			r.DataBlocks = append(r.DataBlocks, db.Name)
			for _, v := range db.VICs {
				r.VICs = append(r.VICs, strconv.Itoa(int(v.Code)))
			}
		}
		for _, t := range x.CTA.Detailed {
			r.DTDs = append(r.DTDs, dtd(t))
		}
	}
	return r
}

// normalise drops the fields edid-decode prints differently from the
// bytes (its range line omits the clock when absent; MHz with 3 or 6
// decimals depending on the version).
func normaliseFacts(r edidFacts) edidFacts {
	for i, d := range r.DTDs {
		if f := strings.Fields(d); len(f) == 2 {
			v, _ := strconv.ParseFloat(f[1], 64)
			r.DTDs[i] = fmt.Sprintf("%s %.3f", f[0], v)
		}
	}
	r.Range = strings.TrimSuffix(r.Range, ",")
	return r
}

// TestEDIDDecodeDifferential decodes each real EDID fixture, and EDIDs
// built by BuildEDID, with Debian's edid-decode and with ParseEDID, and
// compares every field both report.
func TestEDIDDecodeDifferential(t *testing.T) {
	tool := testenv.RequireTool(t, "edid-decode")
	blobs := fixtures(t)
	// Built EDIDs: random specs with a CTA block.
	for i := 0; i < 4; i++ {
		spec := EDIDSpec{Manufacturer: []string{"ABC", "DEL", "GSM", "ZZZ"}[i], ProductCode: uint16(1000 * (i + 1)),
			SerialNumber: uint32(i * 77), Week: uint8(i * 13), Year: 2010 + i, Name: fmt.Sprintf("Built %d", i),
			SerialString: fmt.Sprintf("SN%d", i), WidthCM: 50 + i, HeightCM: 30 + i,
			Preferred: DetailedTiming{PixelClockKHz: 148500, HActive: 1920, HBlank: 280, HFrontPorch: 88, HSync: 44,
				VActive: 1080, VBlank: 45, VFrontPorch: 4, VSync: 5, WidthMM: 500, HeightMM: 300, HSyncPositive: true, VSyncPositive: true},
			Range: &RangeLimits{MinVHz: 50, MaxVHz: 75, MinHKHz: 30, MaxHKHz: 90, MaxPixelClockMHz: 200, Support: 1}}
		cta := make([]byte, 128)
		copy(cta, []byte{0x02, 0x03, 16, 0x70, 0x45, 0x90, 0x04, 0x1F, 0x03, 0x02, 0x65, 0x03, 0x0C, 0x00, 0x10, 0x00})
		if i%2 == 0 {
			spec.Extensions = [][]byte{cta}
		}
		b, err := BuildEDID(spec)
		if err != nil {
			t.Fatal(err)
		}
		blobs[fmt.Sprintf("built-%d", i)] = b
	}
	names := make([]string, 0, len(blobs))
	for n := range blobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			e, err := ParseEDID(blobs[n])
			if err != nil {
				t.Fatal(err)
			}
			want := normaliseFacts(runEDIDDecode(t, tool, blobs[n]))
			got := normaliseFacts(ourFacts(e))
			if want.Manufacturer == "" || len(want.DTDs) == 0 {
				t.Fatalf("could not read edid-decode's output: %+v", want)
			}
			t.Logf("compared: %+v", want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("edid-decode (-) and ParseEDID (+) differ:\n%s", d)
			}
		})
	}
}

// TestBuildEDIDRoundTrip: what BuildEDID encodes, ParseEDID decodes.
func TestBuildEDIDRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := EDIDSpec{
			Manufacturer: rapid.StringMatching(`[A-Z]{3}`).Draw(t, "mfg"),
			ProductCode:  rapid.Uint16().Draw(t, "product"),
			SerialNumber: rapid.Uint32().Draw(t, "serial"),
			Week:         rapid.Uint8Range(0, 54).Draw(t, "week"),
			Year:         rapid.IntRange(1990, 2245).Draw(t, "year"),
			Name:         rapid.StringMatching(`[A-Za-z0-9 ]{0,13}`).Draw(t, "name"),
			SerialString: rapid.StringMatching(`[A-Z0-9]{0,13}`).Draw(t, "sn"),
			WidthCM:      rapid.IntRange(1, 255).Draw(t, "w"),
			HeightCM:     rapid.IntRange(1, 255).Draw(t, "h"),
		}
		spec.Name = strings.TrimRight(spec.Name, " ")
		if rapid.Bool().Draw(t, "dtd") {
			spec.Preferred = DetailedTiming{PixelClockKHz: rapid.IntRange(1, 65535).Draw(t, "clk") * 10,
				HActive: rapid.IntRange(0, 4095).Draw(t, "ha"), HBlank: rapid.IntRange(0, 4095).Draw(t, "hb"),
				VActive: rapid.IntRange(0, 4095).Draw(t, "va"), VBlank: rapid.IntRange(0, 4095).Draw(t, "vb"),
				HFrontPorch: rapid.IntRange(0, 1023).Draw(t, "hf"), HSync: rapid.IntRange(0, 1023).Draw(t, "hs"),
				VFrontPorch: rapid.IntRange(0, 63).Draw(t, "vf"), VSync: rapid.IntRange(0, 63).Draw(t, "vs"),
				WidthMM: rapid.IntRange(0, 4095).Draw(t, "wmm"), HeightMM: rapid.IntRange(0, 4095).Draw(t, "hmm"),
				Interlaced: rapid.Bool().Draw(t, "il"), HSyncPositive: rapid.Bool().Draw(t, "hp"), VSyncPositive: rapid.Bool().Draw(t, "vp")}
		}
		b, err := BuildEDID(spec)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ParseEDID(b)
		if err != nil {
			t.Fatal(err)
		}
		if e.Manufacturer != spec.Manufacturer || e.ProductCode != spec.ProductCode || e.SerialNumber != spec.SerialNumber ||
			e.Week != spec.Week && spec.Week != 0xFF || e.Year != spec.Year || e.Name != spec.Name || e.SerialString != spec.SerialString ||
			e.WidthCM != spec.WidthCM || e.HeightCM != spec.HeightCM {
			t.Fatalf("spec %+v decoded as %+v", spec, e)
		}
		if spec.Preferred.PixelClockKHz != 0 {
			if p, ok := e.Preferred(); !ok || p != spec.Preferred {
				t.Fatalf("DTD %+v decoded as %+v", spec.Preferred, p)
			}
		}
	})
}

func FuzzParseEDID(f *testing.F) {
	for _, b := range fixtures(f) {
		f.Add(b)
	}
	f.Add(append(append([]byte(nil), edidHeader...), make([]byte, 120)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEDID(b)
		if e == nil {
			if err == nil {
				t.Fatal("nil EDID without error")
			}
			return
		}
		_ = e.String()
		for _, x := range e.Extensions {
			if len(x.Raw) != EDIDBlockSize {
				t.Fatalf("extension of %d bytes", len(x.Raw))
			}
		}
		if len(e.Extensions) > e.ExtensionCount {
			t.Fatalf("%d extensions decoded, %d announced", len(e.Extensions), e.ExtensionCount)
		}
	})
}

// TestReadEDIDSegments reads a four-block EDID over a bus, which needs the
// E-DDC segment pointer for blocks 2 and 3.
func TestReadEDIDSegments(t *testing.T) {
	ext := func(tag byte) []byte { b := make([]byte, 128); b[0] = tag; return b }
	blob, err := BuildEDID(EDIDSpec{Manufacturer: "HKT", Name: "Four blocks", Extensions: [][]byte{ext(0xF0), ext(0x70), ext(0x02)}})
	if err != nil {
		t.Fatal(err)
	}
	bus := &eepromBus{data: blob}
	got, err := ReadEDID(context.Background(), bus)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(blob) {
		t.Fatalf("read %d bytes, differ from the %d written", len(got), len(blob))
	}
	if bus.segmentWrites != 2 {
		t.Errorf("%d segment pointer writes, want 2 (blocks 2 and 3)", bus.segmentWrites)
	}
	e, err := ParseEDID(got)
	if err != nil || len(e.Extensions) != 3 || e.Extensions[1].Name != "DisplayID Extension Block" {
		t.Errorf("%v %+v", err, e)
	}
}

// eepromBus is an E-DDC EEPROM: 256 bytes per segment, the segment
// pointer reset at the end of every transaction.
type eepromBus struct {
	data          []byte
	segmentWrites int
}

func (b *eepromBus) Name() string { return "eeprom" }
func (b *eepromBus) Close() error { return nil }
func (b *eepromBus) Transfer(ctx context.Context, msgs ...Msg) error {
	seg, off := 0, 0
	for _, m := range msgs {
		switch {
		case m.Addr == AddrSegment && !m.Read:
			seg = int(m.Buf[0])
			b.segmentWrites++
		case m.Addr == AddrEDID && !m.Read:
			off = int(m.Buf[0])
		case m.Addr == AddrEDID && m.Read:
			base := seg*256 + off
			if base+len(m.Buf) > len(b.data) {
				return ErrNoDevice
			}
			copy(m.Buf, b.data[base:])
		default:
			return ErrNoDevice
		}
	}
	return nil
}

// TestEDIDRangeOffsetsMatchEDIDDecode: the range limits descriptor's offset
// flags (byte 4) exist from EDID 1.4 on, and a minimum offset counts only
// together with the maximum one (bits 1:0 = 10 or 11, 3:2 likewise; 01 is
// reserved). Every flag byte in 1.3 and 1.4 must read as edid-decode reads
// it.
func TestEDIDRangeOffsetsMatchEDIDDecode(t *testing.T) {
	tool := testenv.RequireTool(t, "edid-decode")
	base := fixtures(t)["samsung-syncmaster-0091.bin"][:128]
	at := -1
	for i := 54; i < 126; i += 18 {
		if base[i] == 0 && base[i+1] == 0 && base[i+3] == 0xFD {
			at = i
		}
	}
	if at < 0 {
		t.Fatal("fixture has no range limits descriptor")
	}
	for _, rev := range []byte{3, 4} {
		for flags := byte(0); flags < 16; flags++ {
			b := append([]byte(nil), base...)
			b[19], b[at+4] = rev, flags
			b[127] = -blockSum(b[:127])
			e, err := ParseEDID(b)
			if err != nil {
				t.Fatal(err)
			}
			want := normaliseFacts(runEDIDDecode(t, tool, b)).Range
			got := normaliseFacts(ourFacts(e)).Range
			if want == "" || want != got {
				t.Errorf("EDID 1.%d, range flags 0x%02X: edid-decode %q, ParseEDID %q", rev, flags, want, got)
			}
		}
	}
}

// TestBuildEDIDRangeLimits: BuildEDID encodes every range the descriptor
// can hold (rates past 255 through the EDID 1.4 offset flags) and refuses
// the others; it used to keep the low byte of each rate (300 Hz became
// 44 Hz) without a word.
func TestBuildEDIDRangeLimits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := RangeLimits{MinVHz: rapid.IntRange(1, 600).Draw(t, "minv"), MaxVHz: rapid.IntRange(1, 600).Draw(t, "maxv"),
			MinHKHz: rapid.IntRange(1, 600).Draw(t, "minh"), MaxHKHz: rapid.IntRange(1, 600).Draw(t, "maxh"),
			MaxPixelClockMHz: 10 * rapid.IntRange(0, 300).Draw(t, "clk"), Support: rapid.SampledFrom([]byte{0, 1, 2, 4}).Draw(t, "support")}
		fits := func(lo, hi int) bool { return hi <= 510 && lo <= hi && (lo <= 255 || hi > 255) }
		representable := fits(r.MinVHz, r.MaxVHz) && fits(r.MinHKHz, r.MaxHKHz) && r.MaxPixelClockMHz <= 2550
		b, err := BuildEDID(EDIDSpec{Manufacturer: "HKT", Range: &r})
		if err != nil {
			if representable {
				t.Fatalf("range %+v refused: %v", r, err)
			}
			return
		}
		e, perr := ParseEDID(b)
		if perr != nil || e.Range == nil || *e.Range != r {
			t.Fatalf("range %+v built without error, decoded as %+v (%v)", r, e.Range, perr)
		}
	})
}

// TestBuildEDIDRefusesWhatItCannotHold: a size or a detailed timing field
// beyond its bits is an error, not a silently different EDID (a 300 cm
// width used to come back as 44 cm, a 5000-pixel line as 904).
func TestBuildEDIDRefusesWhatItCannotHold(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := EDIDSpec{Manufacturer: "HKT", WidthCM: rapid.IntRange(0, 300).Draw(t, "w"), HeightCM: rapid.IntRange(0, 300).Draw(t, "h"),
			Preferred: DetailedTiming{PixelClockKHz: rapid.IntRange(1, 70000).Draw(t, "clk") * 10,
				HActive: rapid.IntRange(0, 5000).Draw(t, "ha"), HBlank: rapid.IntRange(0, 5000).Draw(t, "hb"),
				VActive: rapid.IntRange(0, 5000).Draw(t, "va"), VBlank: rapid.IntRange(0, 5000).Draw(t, "vb"),
				HFrontPorch: rapid.IntRange(0, 1100).Draw(t, "hf"), HSync: rapid.IntRange(0, 1100).Draw(t, "hs"),
				VFrontPorch: rapid.IntRange(0, 70).Draw(t, "vf"), VSync: rapid.IntRange(0, 70).Draw(t, "vs"),
				WidthMM: rapid.IntRange(0, 5000).Draw(t, "wmm"), HeightMM: rapid.IntRange(0, 5000).Draw(t, "hmm"),
				HBorder: rapid.IntRange(0, 300).Draw(t, "hbo"), VBorder: rapid.IntRange(0, 300).Draw(t, "vbo")}}
		b, err := BuildEDID(spec)
		if err != nil {
			return
		}
		e, err := ParseEDID(b)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := e.Preferred()
		w, h := spec.WidthCM, spec.HeightCM
		if w == 0 || h == 0 { // one of them zero: an aspect ratio, not a size
			w, h = 0, 0
		}
		if e.WidthCM != w || e.HeightCM != h || p != spec.Preferred {
			t.Fatalf("built without error: size %dx%d cm, DTD %#v; decoded %dx%d cm, %#v", spec.WidthCM, spec.HeightCM, spec.Preferred, e.WidthCM, e.HeightCM, p)
		}
	})
}
