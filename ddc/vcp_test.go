package ddc

import (
	"strings"
	"testing"
)

func TestFeatureTable(t *testing.T) {
	if n := len(features); n < 140 {
		t.Errorf("%d features in the MCCS table, want about 150", n)
	}
	seen := map[byte]bool{}
	tables := 0
	for _, d := range features {
		if seen[d.Code] {
			t.Errorf("code %02X listed twice", d.Code)
		}
		seen[d.Code] = true
		if d.Name == "" || d.Group == "" {
			t.Errorf("code %02X lacks a name or group", d.Code)
		}
		if d.Kind == Table {
			tables++
		}
		if d.Kind == Continuous && len(d.Values) > 0 && d.Code != 0x62 {
			t.Errorf("continuous %02X has value names", d.Code)
		}
	}
	if tables < 10 {
		t.Errorf("%d table features, ddcutil has 12", tables)
	}
}

func TestFeatureVersions(t *testing.T) {
	for _, tc := range []struct {
		code byte
		v    Version
		name string
		kind Kind
	}{
		{0x10, V20, "Brightness", Continuous},
		{0x10, V22, "Brightness", Continuous},
		{0x10, V30, "Luminosity", Continuous},
		{0x60, V21, "Input Source", NonContinuous},
		{0x60, V30, "Input Source", Table},
		{0xDC, V20, "Display Mode", NonContinuous},
		{0xDC, V22, "Display Application", NonContinuous},
		{0x8D, V21, "Audio Mute", NonContinuous},
		{0x8D, V22, "Audio mute/Screen blank", NonContinuous},
	} {
		f, ok := LookupFeature(tc.code, tc.v)
		if !ok || f.Name != tc.name || f.Kind != tc.kind {
			t.Errorf("%02X in %v: %q %v, want %q %v", tc.code, tc.v, f.Name, f.Kind, tc.name, tc.kind)
		}
	}
	if f, _ := LookupFeature(0xDC, V20); f.Values[0x00] != "" {
		t.Error("0xDC value 00 is a 2.2 addition")
	}
	if f, _ := LookupFeature(0xDC, V22); f.Values[0x00] != "Standard/Default mode" {
		t.Error("0xDC 2.2 values")
	}
	if f, _ := LookupFeature(0x13, V22); f.Deprecated != V22 {
		t.Error("0x13 deprecated in 2.2")
	}
	has := func(v Version, code byte) bool {
		for _, f := range Features(v) {
			if f.Code == code {
				return true
			}
		}
		return false
	}
	if has(V21, 0x6B) || !has(V22, 0x6B) || has(V22, 0xB5) || !has(V30, 0xB5) {
		t.Error("Features does not honour the version that introduced a code")
	}
	if f, ok := LookupFeature(0xE5, V22); ok || !strings.Contains(f.Name, "Manufacturer") {
		t.Errorf("0xE5: %+v %v", f, ok)
	}
	if f, ok := FeatureByName("input", V22); !ok || f.Code != 0x60 {
		t.Errorf("FeatureByName(input) = %+v %v", f, ok)
	}
	if _, ok := FeatureByName("video", V22); ok {
		t.Error("ambiguous prefix matched")
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		code byte
		r    VCPReply
		want string
	}{
		{0x10, VCPReply{Max: 100, Value: 50}, "50 of 100 (50%)"},
		{0x60, VCPReply{Max: 0x12, Value: 0x11}, "HDMI-1 (sl=0x11)"},
		{0x60, VCPReply{Max: 0x12, Value: 0x1F}, "unknown value (sl=0x1F, sh=0x00)"},
		{0x14, VCPReply{Value: 0x05}, "6500 K (sl=0x05)"},
		{0xD6, VCPReply{Value: 0x04}, "DPM: Off, DPMS: Off (sl=0x04)"},
		{0xDF, VCPReply{Value: 0x0201}, "2.1"},
		{0xC9, VCPReply{Value: 0x0102}, "1.2"},
		{0xAE, VCPReply{Value: 5994}, "59.94 Hz"},
		{0xC0, VCPReply{Value: 1234}, "1234 hours"},
		{0x62, VCPReply{Max: 100, Value: 0}, "Mute (0 of 100)"},
		{0x93, VCPReply{Max: 100, Value: 40}, "-10 (current 40, max 100)"},
		{0xC8, VCPReply{Value: 0x05}, "Mstar (sl=0x05), controller number 0x000000"},
		{0xCC, VCPReply{Value: 0x02}, "English (sl=0x02)"},
	} {
		f, _ := LookupFeature(tc.code, V22)
		if got := f.FormatValue(tc.r); got != tc.want {
			t.Errorf("%02X %+v: %q, want %q", tc.code, tc.r, got, tc.want)
		}
	}
}
