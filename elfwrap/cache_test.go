package elfwrap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"pgregory.net/rapid"
)

// TestCacheMatchesLdconfig parses this machine's /etc/ld.so.cache and
// prints it as `ldconfig -p` does: the outputs must be identical.
func TestCacheMatchesLdconfig(t *testing.T) {
	ldconfig := testenv.RequireTool(t, "ldconfig")
	testenv.RequireFile(t, "/etc/ld.so.cache", "run ldconfig to create the cache")
	// Another suite may run ldconfig meanwhile: a mismatch is retried with
	// both sides read again.
	var c *Cache
	var d string
	for attempt := 0; attempt < 3; attempt++ {
		want, err := exec.Command(ldconfig, "-p").Output()
		if err != nil {
			t.Fatalf("ldconfig -p: %v", err)
		}
		c, err = LoadCache("/etc/ld.so.cache")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := c.WriteLDConfig(&got, "/etc/ld.so.cache"); err != nil {
			t.Fatal(err)
		}
		if d = cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got.String(), "\n")); d == "" {
			break
		}
	}
	if d != "" {
		t.Errorf("ldconfig -p differs (-ldconfig +ours):\n%s", d)
	}
	if c.Format != CacheFormatNew || len(c.Entries) < 10 {
		t.Errorf("format %v, %d entries", c.Format, len(c.Entries))
	}
	// Every entry must be found by Lookup (or an earlier equal name with
	// the same flags shadows it, as in glibc).
	hp := HostPlatform()
	for _, e := range c.Entries {
		if !hp.CacheFlagsOK(e.Flags) {
			continue
		}
		got, ok := c.Lookup(e.Name, hp.CacheFlagsOK, hp.HWCaps)
		if !ok || got.Name != e.Name {
			t.Errorf("Lookup(%q) = %v, %v", e.Name, got, ok)
		}
	}
}

type cacheSpec struct {
	entries []CacheEntry
	hwcaps  []string
	gen     string
}

// buildNew writes a glibc-ld.so.cache1.1 image (little endian) the way
// ldconfig lays it out: header, entries, extension, strings.
func buildNew(s cacheSpec) []byte {
	var strs bytes.Buffer
	off := map[string]uint32{}
	base := uint32(newHeaderSize + newEntrySize*len(s.entries))
	str := func(v string) uint32 {
		if o, ok := off[v]; ok {
			return o
		}
		o := base + uint32(strs.Len())
		strs.WriteString(v)
		strs.WriteByte(0)
		off[v] = o
		return o
	}
	type ent struct {
		flags    int32
		key, val uint32
		hwcap    uint64
	}
	var ents []ent
	for _, e := range s.entries {
		ents = append(ents, ent{e.Flags, str(e.Name), str(e.Path), e.HWCap})
	}
	var hwOffs []uint32
	for _, h := range s.hwcaps {
		hwOffs = append(hwOffs, str(h))
	}
	genOff := str(s.gen)
	// Extension after the strings, aligned to 4.
	for strs.Len()%4 != 0 {
		strs.WriteByte(0)
	}
	extOff := base + uint32(strs.Len())
	var ext bytes.Buffer
	le := binary.LittleEndian
	w32 := func(b *bytes.Buffer, v uint32) { binary.Write(b, le, v) }
	w32(&ext, cacheExtMagic)
	w32(&ext, 2)
	hwData := extOff + 8 + 32
	w32(&ext, cacheExtGenerator)
	w32(&ext, 0)
	w32(&ext, genOff)
	w32(&ext, uint32(len(s.gen)))
	w32(&ext, cacheExtHWCaps)
	w32(&ext, 0)
	w32(&ext, hwData)
	w32(&ext, uint32(4*len(hwOffs)))
	for _, o := range hwOffs {
		w32(&ext, o)
	}
	var b bytes.Buffer
	b.WriteString(cacheMagicNew + cacheVersionNew)
	w32(&b, uint32(len(ents)))
	w32(&b, uint32(strs.Len()))
	b.Write([]byte{2, 0, 0, 0})
	w32(&b, extOff)
	b.Write(make([]byte, 12))
	for _, e := range ents {
		binary.Write(&b, le, e.flags)
		w32(&b, e.key)
		w32(&b, e.val)
		w32(&b, 0)
		binary.Write(&b, le, e.hwcap)
	}
	b.Write(strs.Bytes())
	b.Write(ext.Bytes())
	return b.Bytes()
}

// buildOld writes an ld.so-1.7.0 image.
func buildOld(entries []CacheEntry) []byte {
	var strs bytes.Buffer
	var b bytes.Buffer
	b.WriteString(cacheMagicOld)
	b.WriteByte(0)
	binary.Write(&b, binary.LittleEndian, uint32(len(entries)))
	for _, e := range entries {
		k := uint32(strs.Len())
		strs.WriteString(e.Name + "\x00")
		v := uint32(strs.Len())
		strs.WriteString(e.Path + "\x00")
		binary.Write(&b, binary.LittleEndian, e.Flags)
		binary.Write(&b, binary.LittleEndian, k)
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.Write(strs.Bytes())
	return b.Bytes()
}

func sortEntries(es []CacheEntry) {
	sort.SliceStable(es, func(i, j int) bool { return CacheLibCmp(es[i].Name, es[j].Name) > 0 })
}

func TestCacheFormats(t *testing.T) {
	x := int32(CacheFlagELFLibc6 | CacheFlagX8664Lib64)
	entries := []CacheEntry{
		{Name: "libz.so.1", Path: "/usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1", Flags: x, HWCap: CacheHWCapExtension | 1, HWCapsName: "x86-64-v3"},
		{Name: "libz.so.1", Path: "/usr/lib/glibc-hwcaps/x86-64-v2/libz.so.1", Flags: x, HWCap: CacheHWCapExtension | 0, HWCapsName: "x86-64-v2"},
		{Name: "libz.so.1", Path: "/usr/lib/libz.so.1", Flags: x},
		{Name: "libm.so.6", Path: "/usr/lib32/libm.so.6", Flags: CacheFlagELFLibc6},
		{Name: "libm.so.6", Path: "/usr/lib/libm.so.6", Flags: x},
		{Name: "libc.so.6", Path: "/usr/lib/libc.so.6", Flags: x},
	}
	data := buildNew(cacheSpec{entries: entries, hwcaps: []string{"x86-64-v2", "x86-64-v3"}, gen: "test generator"})
	c, err := ParseCache(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(entries, c.Entries); d != "" {
		t.Fatalf("entries (-want +got):\n%s", d)
	}
	if c.Generator != "test generator" || c.Format != CacheFormatNew {
		t.Errorf("generator %q format %v", c.Generator, c.Format)
	}
	if s := c.Entries[0].String(); s != `libz.so.1 (libc6,x86-64, hwcap: "x86-64-v3") => /usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1` {
		t.Errorf("String: %s", s)
	}
	p := PlatformFor(2, 1, 62)
	for _, tc := range []struct {
		name   string
		hwcaps []string
		want   string
	}{
		{"libz.so.1", []string{"x86-64-v4", "x86-64-v3", "x86-64-v2"}, "/usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1"},
		{"libz.so.1", []string{"x86-64-v2"}, "/usr/lib/glibc-hwcaps/x86-64-v2/libz.so.1"},
		{"libz.so.1", nil, "/usr/lib/libz.so.1"},
		{"libm.so.6", nil, "/usr/lib/libm.so.6"},
		{"libc.so.006", nil, "/usr/lib/libc.so.6"}, // digits compare as numbers
		{"libnone.so", nil, ""},
	} {
		e, ok := c.Lookup(tc.name, p.CacheFlagsOK, tc.hwcaps)
		if e.Path != tc.want || ok != (tc.want != "") {
			t.Errorf("Lookup(%s, %v) = %q %v, want %q", tc.name, tc.hwcaps, e.Path, ok, tc.want)
		}
	}
	// The old format alone, and followed by the new one.
	plain := []CacheEntry{{Name: "libz.so.1", Path: "/lib/libz.so.1", Flags: x}, {Name: "libc.so.6", Path: "/lib/libc.so.6", Flags: x}}
	old := buildOld(plain)
	co, err := ParseCache(old)
	if err != nil {
		t.Fatal(err)
	}
	if co.Format != CacheFormatOld || !cmp.Equal(co.Entries, plain) {
		t.Errorf("old: %v %+v", co.Format, co.Entries)
	}
	// Combined (ldconfig -c compat): the new header follows the old entry
	// array directly (aligned to 8); both share the strings after it.
	comb := append(buildOld(nil), data...)
	cc, err := ParseCache(comb)
	if err != nil {
		t.Fatal(err)
	}
	if cc.Format != CacheFormatCombined || len(cc.Entries) != len(entries) {
		t.Errorf("combined: %v %d entries", cc.Format, len(cc.Entries))
	}
}

func TestCacheBadInput(t *testing.T) {
	good := buildNew(cacheSpec{entries: []CacheEntry{{Name: "a.so", Path: "/a.so", Flags: 0x303}}, gen: "g"})
	cases := map[string][]byte{
		"empty":          nil,
		"bad magic":      []byte("hello world, not a cache at all......................................"),
		"short header":   good[:30],
		"huge nlibs":     patch(good, 20, 0xffffffff, 4),
		"huge strings":   patch(good, 24, 0xffffff, 4),
		"key past end":   patch(good, 48+4, 0xfffff, 4),
		"bad byte order": patch(good, 28, 9, 1+1),
		"ext past end":   patch(good, 32, 0xffffff, 4),
		"old huge nlibs": patch(buildOld(nil), 12, 0x7fffffff, 4),
	}
	for name, data := range cases {
		_, err := ParseCache(data)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	if _, err := ParseCache(patch(good, 28, 9, 1+1)); err == nil || !strings.Contains(err.Error(), "offset 0x1c") {
		t.Errorf("bad byte order error does not name the offset: %v", err)
	}
}

// TestCacheRoundTripProperty: any set of entries written the way ldconfig
// writes them parses back to the same entries, and Lookup finds each name.
func TestCacheRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		names := rapid.SliceOfNDistinct(rapid.StringMatching(`lib[a-z0-9]{1,6}\.so(\.[0-9]{1,3}){0,2}`), 0, 30, func(s string) string { return s }).Draw(t, "names")
		var es []CacheEntry
		for _, n := range names {
			es = append(es, CacheEntry{Name: n, Path: "/usr/lib/" + n, Flags: 0x303})
		}
		sortEntries(es)
		// Names equal under CacheLibCmp ("lib1.so" vs "lib01.so") shadow
		// each other, as in glibc; keep one of each.
		var uniq []CacheEntry
		for _, e := range es {
			if len(uniq) > 0 && CacheLibCmp(uniq[len(uniq)-1].Name, e.Name) == 0 {
				continue
			}
			uniq = append(uniq, e)
		}
		c, err := ParseCache(buildNew(cacheSpec{entries: uniq, gen: "x"}))
		if err != nil {
			t.Fatal(err)
		}
		if len(uniq) == 0 && len(c.Entries) == 0 {
			return
		}
		if !cmp.Equal(uniq, c.Entries) {
			t.Fatalf("round trip: %v != %v", uniq, c.Entries)
		}
		for _, e := range uniq {
			got, ok := c.Lookup(e.Name, nil, nil)
			if !ok || got.Path != e.Path {
				t.Fatalf("Lookup(%q) = %v %v", e.Name, got, ok)
			}
		}
	})
}

func TestCacheLibCmpProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.StringMatching(`[a-c0-9.]{0,8}`).Draw(t, "a")
		b := rapid.StringMatching(`[a-c0-9.]{0,8}`).Draw(t, "b")
		if sign(CacheLibCmp(a, b)) != -sign(CacheLibCmp(b, a)) {
			t.Fatalf("not antisymmetric: %q %q", a, b)
		}
		if CacheLibCmp(a, a) != 0 {
			t.Fatalf("%q != itself", a)
		}
	})
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

func FuzzParseCache(f *testing.F) {
	x := int32(0x303)
	f.Add(buildNew(cacheSpec{entries: []CacheEntry{{Name: "libz.so.1", Path: "/a/libz.so.1", Flags: x, HWCap: CacheHWCapExtension, HWCapsName: "x86-64-v3"}}, hwcaps: []string{"x86-64-v3"}, gen: "g"}))
	f.Add(buildOld([]CacheEntry{{Name: "libz.so.1", Path: "/a/libz.so.1", Flags: x}}))
	if b, err := os.ReadFile("/etc/ld.so.cache"); err == nil && len(b) < 1<<20 {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCache(data)
		if err != nil {
			return
		}
		for _, e := range c.Entries {
			c.Lookup(e.Name, nil, []string{"x86-64-v3"})
			_ = e.String()
		}
	})
}

// Library names with runs of ten or more digits: ldconfig sorts them with
// glibc's comparison, whose 32-bit arithmetic wraps ("1" and "4294967297"
// compare equal). For a cache the real ldconfig wrote for such names, the
// entries must be in CacheLibCmp's (descending) order, print as
// `ldconfig -p` prints them, and Lookup must pick for each name the file
// the real loader picks with that cache bind-mounted over
// /etc/ld.so.cache (in a private user and mount namespace).
func TestCacheLibCmpWrapsLikeLdconfig(t *testing.T) {
	ldconfig := testenv.RequireTool(t, "ldconfig")
	gcc := testenv.RequireTool(t, "gcc")
	unshare := testenv.RequireTool(t, "unshare")
	testenv.RequireUserNamespace(t)
	ldso := hostLoader
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	lib := write("lib.c", "int f(void) { return 1; }\n")
	prog := write("main.c", "int f(void); int main(void) { return f() - 1; }\n")
	versions := []string{"1", "2", "100", "2147483647", "2147483648", "4294967296", "4294967297", "9999999999", "12345678901234"}
	var progs []string
	for i, v := range versions {
		name := "libhkwrap.so." + v
		run(gcc, "-shared", "-fPIC", "-o", filepath.Join(dir, name), "-Wl,-soname,"+name, lib)
		p := filepath.Join(dir, fmt.Sprint("prog", i))
		run(gcc, "-o", p, prog, filepath.Join(dir, name))
		progs = append(progs, p)
	}
	conf := write("ld.so.conf", dir+"\n")
	cacheFile := filepath.Join(dir, "ld.so.cache")
	run(ldconfig, "-X", "-C", cacheFile, "-f", conf)
	c, err := LoadCache(cacheFile)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := c.WriteLDConfig(&got, cacheFile); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(run(ldconfig, "-p", "-C", cacheFile), got.String()); d != "" {
		t.Fatalf("ldconfig -p differs (-ldconfig +ours):\n%s", d)
	}
	var ours []CacheEntry
	for _, e := range c.Entries {
		if strings.HasPrefix(e.Name, "libhkwrap.so.") {
			ours = append(ours, e)
		}
	}
	if len(ours) != len(versions) {
		t.Fatalf("%d libhkwrap entries in the cache, want %d", len(ours), len(versions))
	}
	for i := 1; i < len(ours); i++ {
		if CacheLibCmp(ours[i-1].Name, ours[i].Name) < 0 {
			t.Errorf("ldconfig put %s before %s; CacheLibCmp orders them the other way", ours[i-1].Name, ours[i].Name)
		}
	}
	// The loader's choice for each name, with this cache.
	script := `mount --bind "$1" /etc/ld.so.cache || exit 1; ldso=$2; shift 2; for p; do "$ldso" --list "$p" || exit 1; done`
	out := run(unshare, append([]string{"-rm", "/bin/sh", "-c", script, "sh", cacheFile, ldso}, progs...)...)
	loader := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if name, rest, ok := strings.Cut(strings.TrimSpace(line), " => "); ok && strings.HasPrefix(name, "libhkwrap.so.") {
			path, _, _ := strings.Cut(rest, " (")
			loader[name] = path
		}
	}
	hp := HostPlatform()
	wrapped := 0
	for _, v := range versions {
		name := "libhkwrap.so." + v
		want, ok := loader[name]
		if !ok {
			t.Fatalf("the loader did not list %s:\n%s", name, out)
		}
		e, ok := c.Lookup(name, hp.CacheFlagsOK, hp.HWCaps)
		if !ok || e.Path != want {
			t.Errorf("Lookup(%q) = %q, %v; the loader uses %q", name, e.Path, ok, want)
		}
		if filepath.Base(want) != name {
			wrapped++
		}
	}
	if wrapped == 0 {
		t.Errorf("the loader resolved every name to its own file: this glibc does not wrap, and the test shows nothing")
	}
}
