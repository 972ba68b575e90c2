package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func ddcctl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

const fast = "--sleep-multiplier=0.01"

func TestDetectFallsBackToSimulator(t *testing.T) {
	sys := t.TempDir() // a sysfs with no i2c buses
	code, out, errs := ddcctl(t, fast, "--sysfs", sys, "--json", "detect")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "using the built-in simulated monitor") {
		t.Errorf("fallback not announced: %q", errs)
	}
	var ds []displayJSON
	if err := json.Unmarshal([]byte(out), &ds); err != nil || len(ds) != 1 || !ds[0].Simulated || !ds[0].DDC || ds[0].MCCSVersion != "2.2" || ds[0].Name != "HK Sim 27" {
		t.Errorf("%v %+v\n%s", err, ds, out)
	}
	code, out, _ = ddcctl(t, fast, "--sim", "detect")
	if code != 0 || !strings.Contains(out, "(simulated)") || !strings.Contains(out, "MCCS:     2.2") {
		t.Errorf("text detect: %d %s", code, out)
	}
}

func TestGetSetVCP(t *testing.T) {
	code, out, errs := ddcctl(t, "--sim", fast, "getvcp", "10", "0x60", "input", "d6", "df")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"VCP 10 (Brightness): 50 of 100 (50%)", "VCP 60 (Input Source): DisplayPort-1 (sl=0x0F)", "VCP DF (VCP Version): 2.2"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	code, out, _ = ddcctl(t, "--sim", fast, "--json", "getvcp", "41")
	var vs []vcpJSON
	if code != 1 || json.Unmarshal([]byte(out), &vs) != nil || len(vs) != 1 || !strings.Contains(vs[0].Error, "not supported") {
		t.Errorf("unsupported feature: %d %s", code, out)
	}
	code, out, errs = ddcctl(t, "--sim", fast, "--json", "setvcp", "10", "+15", "--verify")
	if code != 0 || !strings.Contains(out, `"value": 65`) {
		t.Errorf("relative set: %d %s %s", code, out, errs)
	}
	code, out, _ = ddcctl(t, "--sim", fast, "setvcp", "brightness", "-80")
	if code != 0 || !strings.Contains(out, "set to 0") {
		t.Errorf("clamped relative set: %d %s", code, out)
	}
	for _, args := range [][]string{{"setvcp", "10"}, {"setvcp", "10", "abc"}, {"setvcp", "zz", "1"}, {"getvcp"}, {"setvcp", "10", "70000"}} {
		if code, _, _ := ddcctl(t, append([]string{"--sim", fast}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestCapabilities(t *testing.T) {
	code, out, errs := ddcctl(t, "--sim", fast, "capabilities")
	if code != 0 || !strings.Contains(out, "Model: HK Sim 27") || !strings.Contains(out, "0F: DisplayPort-1") {
		t.Errorf("%d %s %s", code, out, errs)
	}
	code, out, _ = ddcctl(t, "capabilities", "--parse", "prot(monitor)27UD58cmds(01)vcp(10 60(11))mccs_ver(2.1)")
	if code != 0 || !strings.Contains(out, "Model: 27UD58") || !strings.Contains(out, "Warning:") {
		t.Errorf("--parse: %d %s", code, out)
	}
	old := stdin
	defer func() { stdin = old }()
	stdin = strings.NewReader("(vcp(10 12))\n")
	code, out, _ = ddcctl(t, "--json", "capabilities", "--parse", "-")
	if code != 0 || !strings.Contains(out, `"Code": 18`) {
		t.Errorf("--parse -: %d %s", code, out)
	}
	if code, _, _ := ddcctl(t, "capabilities", "--parse", "   "); code != 1 {
		t.Errorf("empty string: exit %d", code)
	}
}

func TestVCPInfo(t *testing.T) {
	code, out, _ := ddcctl(t, "vcpinfo")
	if code != 0 || strings.Count(out, "\n") < 140 {
		t.Errorf("vcpinfo: %d, %d lines", code, strings.Count(out, "\n"))
	}
	code, out, _ = ddcctl(t, "--json", "vcpinfo", "--mccs", "3.0", "60")
	if code != 0 || !strings.Contains(out, `"kind": "table"`) {
		t.Errorf("vcpinfo 60 for 3.0: %s", out)
	}
	code, out, _ = ddcctl(t, "vcpinfo", "d6")
	if code != 0 || !strings.Contains(out, "04: DPM: Off, DPMS: Off") {
		t.Errorf("vcpinfo d6: %s", out)
	}
}

func TestEDID(t *testing.T) {
	fx := filepath.Join("..", "..", "ddc", "testdata", "edid", "dell-se2717h.bin")
	code, out, errs := ddcctl(t, "edid", "--file", fx)
	if code != 0 || !strings.Contains(out, "DEL  product 53409") || !strings.Contains(out, "SE2717H/HX") || !strings.Contains(out, "Video Data Block") {
		t.Errorf("binary file: %d %s %s", code, out, errs)
	}
	blob, _ := os.ReadFile(fx)
	hexf := filepath.Join(t.TempDir(), "edid.hex")
	var hb strings.Builder
	hb.WriteString("edid-decode (hex):\n\n")
	for i, c := range blob {
		hb.WriteString(strings.ToLower(strings.TrimSpace(string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15]))))
		if i%16 == 15 {
			hb.WriteString("\n")
		} else {
			hb.WriteString(" ")
		}
	}
	os.WriteFile(hexf, []byte(hb.String()), 0o644)
	code, out, _ = ddcctl(t, "--json", "edid", "--file", hexf)
	if code != 0 || !strings.Contains(out, `"Manufacturer": "DEL"`) {
		t.Errorf("hex file: %d %s", code, out)
	}
	code, out, _ = ddcctl(t, "--sim", fast, "edid")
	if code != 0 || !strings.Contains(out, "HK Sim 27") {
		t.Errorf("sim EDID: %d %s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("not an edid"), 0o644)
	if code, _, errs := ddcctl(t, "edid", "--file", bad); code != 1 || !strings.Contains(errs, bad) {
		t.Errorf("bad file: %d %s", code, errs)
	}
}

func TestBacklight(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "class", "backlight", "ddcci3")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "brightness"), []byte("30\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "max_brightness"), []byte("100\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "type"), []byte("raw\n"), 0o644)
	code, out, _ := ddcctl(t, "--sysfs", root, "backlight")
	if code != 0 || !strings.Contains(out, "ddcci3: 30 of 100 (30%)") {
		t.Errorf("get: %d %s", code, out)
	}
	code, out, errs := ddcctl(t, "--sysfs", root, "backlight", "set", "ddcci3", "+25")
	if code != 0 || !strings.Contains(out, "set to 55") {
		t.Errorf("set: %d %s %s", code, out, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "brightness")); string(b) != "55" {
		t.Errorf("brightness file %q", b)
	}
	if code, _, _ := ddcctl(t, "--sysfs", root, "backlight", "set", "ddcci3", "500"); code != 1 {
		t.Errorf("out of range: exit %d", code)
	}
	code, out, _ = ddcctl(t, "--sysfs", t.TempDir(), "--json", "backlight")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("none: %d %q", code, out)
	}
}

func TestWatch(t *testing.T) {
	testenv.RequireRoot(t)
	dev := "/sys/devices/virtual/mem/null/uevent"
	if _, err := os.Stat(dev); err != nil {
		testenv.Unavailable(t, "no %s: %v", dev, err)
	}
	done := make(chan struct{})
	var code int
	var out, errs string
	go func() {
		defer close(done)
		code, out, errs = ddcctl(t, "--json", "watch", "--all", "--count", "1")
	}()
	// Trigger until the watcher has seen one (it may not be listening yet).
	for i := 0; ; i++ {
		os.WriteFile(dev, []byte("change"), 0)
		select {
		case <-done:
			if code != 0 || !strings.Contains(out, `"action": "change"`) {
				t.Errorf("watch: %d %s %s", code, out, errs)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
		if i > 300 {
			t.Fatal("watch received nothing")
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nosuch"}, {"--bogus"}, {"--sleep-multiplier", "0", "getvcp", "10"}} {
		if code, _, _ := ddcctl(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	code, _, errs := ddcctl(t, "--bus", "99", "getvcp", "10")
	if code != 1 || !strings.Contains(errs, "/dev/i2c-99") {
		t.Errorf("--bus 99: %d %s", code, errs)
	}
}

// TestBacklightRelativeStepSaturates: a relative step clamps to 0..max
// whatever its size; a huge +N used to overflow and switch the panel off
// (brightness 0) instead of setting the maximum.
func TestBacklightRelativeStepSaturates(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "class", "backlight", "ddcci3")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "brightness"), []byte("30\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "max_brightness"), []byte("100\n"), 0o644)
	for _, c := range []struct{ step, want string }{
		{"+9223372036854775807", "100"},
		{"-9223372036854775808", "0"},
		{"+9223372036854775800", "100"},
	} {
		code, out, errs := ddcctl(t, "--sysfs", root, "backlight", "set", "ddcci3", c.step)
		b, _ := os.ReadFile(filepath.Join(dir, "brightness"))
		if code != 0 || string(b) != c.want {
			t.Errorf("set %s: exit %d, brightness %q, want %s (%s%s)", c.step, code, b, c.want, out, errs)
		}
	}
}

// TestSetVCPRelativeStaysIn16Bits: a relative step on a feature whose
// maximum reads 0 (no maximum) ends at 65535 at most; the sum used to be
// sent truncated to 16 bits (0xFFFF+2 became 1) while the larger number
// was reported.
func TestSetVCPRelativeStaysIn16Bits(t *testing.T) {
	// 0xC0 (display usage time) is 1234 with maximum 0 on the simulator.
	code, out, errs := ddcctl(t, "--sim", "--json", "setvcp", "C0", "+65000")
	var got struct{ Value int64 }
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Value != 0xFFFF {
		t.Errorf("setvcp C0 +65000: exit %d, %s%s; want value 65535", code, out, errs)
	}
}

// TestBacklightGetNamedIgnoresOthers: `backlight get NAME` reads NAME only;
// another device that cannot be read must not make it fail.
func TestBacklightGetNamedIgnoresOthers(t *testing.T) {
	root := t.TempDir()
	for name, max := range map[string]string{"ddcci3": "100\n", "broken0": "not a number\n"} {
		dir := filepath.Join(root, "class", "backlight", name)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "brightness"), []byte("30\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "max_brightness"), []byte(max), 0o644)
	}
	code, out, errs := ddcctl(t, "--sysfs", root, "backlight", "get", "ddcci3")
	if code != 0 || !strings.Contains(out, "ddcci3: 30 of 100 (30%)") {
		t.Errorf("get ddcci3 next to an unreadable device: exit %d, %q, %q; want exit 0 and ddcci3's level", code, out, errs)
	}
	// The unreadable device itself is an error naming its file.
	if code, _, errs := ddcctl(t, "--sysfs", root, "backlight", "get", "broken0"); code != 1 || !strings.Contains(errs, filepath.Join("broken0", "max_brightness")) {
		t.Errorf("get broken0: exit %d, %q", code, errs)
	}
}
