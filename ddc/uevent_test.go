package ddc

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func msg(parts ...string) []byte { return []byte(strings.Join(parts, "\x00") + "\x00") }

func TestParseUevent(t *testing.T) {
	b := msg("change@/devices/pci0000:00/0000:00:02.0/drm/card0", "ACTION=change",
		"DEVPATH=/devices/pci0000:00/0000:00:02.0/drm/card0", "SUBSYSTEM=drm", "HOTPLUG=1", "CONNECTOR=95",
		"DEVNAME=dri/card0", "SEQNUM=4242")
	u, err := ParseUevent(b)
	if err != nil {
		t.Fatal(err)
	}
	if u.Action != "change" || u.Subsystem != "drm" || u.Seqnum != 4242 || u.Env["CONNECTOR"] != "95" {
		t.Errorf("%+v", u)
	}
	e, ok := Classify(u)
	d, isDisp := e.(DisplayEvent)
	if !ok || !isDisp || !d.Hotplug || d.Card != "card0" || d.ConnectorID != "95" || d.Connector != "" {
		t.Errorf("classified as %#v", e)
	}
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{msg("add@/devices/pci0000:00/0000:00:02.0/drm/card0/card0-DP-1", "ACTION=add", "SUBSYSTEM=drm", "SEQNUM=1"), "display card0-DP-1"},
		{msg("add@/devices/pci0000:00/0000:00:02.0/i2c-7", "ACTION=add", "SUBSYSTEM=i2c", "SEQNUM=2"), "bus 7"},
		{msg("add@/devices/virtual/i2c-dev/i2c-7", "ACTION=add", "SUBSYSTEM=i2c-dev", "DEVNAME=i2c-7", "SEQNUM=3"), "bus 7"},
		{msg("add@/devices/pci0000:00/0000:00:02.0/i2c-7/7-0037", "ACTION=add", "SUBSYSTEM=i2c", "SEQNUM=4"), "none"},
		{msg("change@/devices/pci0000:00/0000:00:02.0/i2c-7/7-0037/ddcci7/backlight/ddcci7", "ACTION=change", "SUBSYSTEM=backlight", "SEQNUM=5"), "backlight ddcci7"},
		{msg("add@/devices/virtual/net/lo", "ACTION=add", "SUBSYSTEM=net", "SEQNUM=6"), "none"},
	} {
		u, err := ParseUevent(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got := "none"
		if e, ok := Classify(u); ok {
			switch e := e.(type) {
			case DisplayEvent:
				got = "display " + e.Connector
			case BusEvent:
				got = "bus " + string(rune('0'+e.Bus))
			case BacklightEvent:
				got = "backlight " + e.Name
			}
		}
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseUeventErrors(t *testing.T) {
	for _, b := range [][]byte{
		nil, []byte("libudev\x00\xfe\xed"), msg("noatsign"), msg("@/devices"), msg("add@"),
		msg("add@/x", "NOEQUALS"), msg("add@/x", "ACTION=remove"), msg("add@/x", "DEVPATH=/y"), msg("add@/x", "SEQNUM=abc"),
	} {
		if _, err := ParseUevent(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", b, err)
		}
	}
}

func TestUeventRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		action := rapid.SampledFrom([]string{"add", "remove", "change", "bind", "unbind", "move"}).Draw(t, "action")
		path := "/" + rapid.StringMatching(`[a-z0-9:._-]{1,12}(/[a-z0-9:._-]{1,12}){0,4}`).Draw(t, "path")
		env := rapid.MapOf(rapid.StringMatching(`[A-Z_]{1,10}`), rapid.StringMatching(`[ -~]{0,20}`)).Draw(t, "env")
		env["ACTION"], env["DEVPATH"] = action, path
		delete(env, "SEQNUM")
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := []string{action + "@" + path}
		for _, k := range keys {
			parts = append(parts, k+"="+env[k])
		}
		u, err := ParseUevent(msg(parts...))
		if err != nil {
			t.Fatal(err)
		}
		if u.Action != action || u.DevPath != path || len(u.Env) != len(env) || u.Subsystem != env["SUBSYSTEM"] {
			t.Fatalf("%+v from %q", u, parts)
		}
		for k, v := range env {
			if u.Env[k] != v {
				t.Fatalf("%s=%q, want %q", k, u.Env[k], v)
			}
		}
	})
}

func FuzzParseUevent(f *testing.F) {
	f.Add(msg("change@/devices/virtual/mem/null", "ACTION=change", "DEVPATH=/devices/virtual/mem/null", "SUBSYSTEM=mem", "SEQNUM=12"))
	f.Add(msg("add@/devices/pci0000:00/0000:00:02.0/i2c-7", "SUBSYSTEM=i2c"))
	f.Add([]byte("libudev\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := ParseUevent(b)
		if err != nil {
			return
		}
		if u.Action == "" || u.DevPath == "" {
			t.Fatalf("empty action or path: %+v", u)
		}
		if e, ok := Classify(u); ok && e.Raw() != u {
			t.Fatal("event does not carry its uevent")
		}
	})
}
