package elfwrap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/hostkit-dev/hostkit/internal/regfile"
	"io"
	"strings"
)

// Cache entry flags (glibc sysdeps/generic/ldconfig.h). The low byte is the
// library type, the next byte the architecture variant the entry needs.
const (
	CacheFlagTypeMask     = 0x00ff
	CacheFlagELF          = 0x0001
	CacheFlagELFLibc5     = 0x0002
	CacheFlagELFLibc6     = 0x0003
	CacheFlagRequiredMask = 0xff00
	CacheFlagSparcLib64   = 0x0100
	CacheFlagIA64Lib64    = 0x0200
	CacheFlagX8664Lib64   = 0x0300
	CacheFlagS390Lib64    = 0x0400
	CacheFlagPowerPCLib64 = 0x0500
	CacheFlagMIPS64LibN32 = 0x0600
	CacheFlagMIPS64LibN64 = 0x0700
	CacheFlagX8664LibX32  = 0x0800
	CacheFlagARMLibHF     = 0x0900
	CacheFlagAArch64Lib64 = 0x0a00
	CacheFlagARMLibSF     = 0x0b00
	CacheFlagMIPSNan2008  = 0x0c00
	CacheFlagMIPSN32N2008 = 0x0d00
	CacheFlagMIPSN64N2008 = 0x0e00
	CacheFlagRISCVSoft    = 0x0f00
	CacheFlagRISCVDouble  = 0x1000
	CacheFlagLArchSoft    = 0x1100
	CacheFlagLArchDouble  = 0x1200
)

// CacheHWCapExtension is the hwcap bit marking an entry that lives in a
// glibc-hwcaps subdirectory; the low 32 bits index Cache.HWCaps.
const CacheHWCapExtension = uint64(1) << 62

const (
	cacheMagicOld     = "ld.so-1.7.0"
	cacheMagicNew     = "glibc-ld.so.cache"
	cacheVersionNew   = "1.1"
	cacheExtMagic     = 0xEAA42174
	cacheExtGenerator = 0
	cacheExtHWCaps    = 1
	oldHeaderSize     = 16
	oldEntrySize      = 12
	newHeaderSize     = 48
	newEntrySize      = 24
)

// CacheFormat says which layout a cache file uses.
type CacheFormat uint8

// Cache file layouts.
const (
	CacheFormatOld      CacheFormat = iota + 1 // ld.so-1.7.0 only
	CacheFormatNew                             // glibc-ld.so.cache1.1 only
	CacheFormatCombined                        // old followed by new (the new part is used)
)

// String returns the format's magic string.
func (f CacheFormat) String() string {
	switch f {
	case CacheFormatOld:
		return "ld.so-1.7.0"
	case CacheFormatNew:
		return "glibc-ld.so.cache1.1"
	case CacheFormatCombined:
		return "ld.so-1.7.0+glibc-ld.so.cache1.1"
	}
	return "unknown"
}

// CacheEntry is one library in ld.so.cache.
type CacheEntry struct {
	// Name is the key the loader looks up (the SONAME or file name).
	Name string
	// Path is where the library is.
	Path string
	// Flags is the type and architecture (CacheFlag...).
	Flags int32
	// HWCap is the hwcap word of new-format entries.
	HWCap uint64
	// HWCapsName is the glibc-hwcaps subdirectory name for entries with
	// CacheHWCapExtension set ("x86-64-v3"), else "".
	HWCapsName string
}

// HWCapsEntry reports an entry in a glibc-hwcaps subdirectory.
func (e CacheEntry) HWCapsEntry() bool { return e.HWCap&CacheHWCapExtension != 0 }

// String renders the entry as `ldconfig -p` prints it (without the leading
// tab): `libz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1`.
func (e CacheEntry) String() string {
	var b strings.Builder
	b.WriteString(e.Name)
	b.WriteString(" (")
	switch e.Flags & CacheFlagTypeMask {
	case 0:
		b.WriteString("libc4")
	case CacheFlagELF:
		b.WriteString("ELF")
	case CacheFlagELFLibc5:
		b.WriteString("libc5")
	case CacheFlagELFLibc6:
		b.WriteString("libc6")
	default:
		b.WriteString("unknown")
	}
	switch req := e.Flags & CacheFlagRequiredMask; req {
	case 0:
	case CacheFlagSparcLib64, CacheFlagS390Lib64, CacheFlagPowerPCLib64, CacheFlagMIPS64LibN64:
		b.WriteString(",64bit")
	case CacheFlagIA64Lib64:
		b.WriteString(",IA-64")
	case CacheFlagX8664Lib64:
		b.WriteString(",x86-64")
	case CacheFlagMIPS64LibN32:
		b.WriteString(",N32")
	case CacheFlagX8664LibX32:
		b.WriteString(",x32")
	case CacheFlagARMLibHF:
		b.WriteString(",hard-float")
	case CacheFlagAArch64Lib64:
		b.WriteString(",AArch64")
	case CacheFlagARMLibSF:
		b.WriteString(",soft-float")
	case CacheFlagMIPSNan2008:
		b.WriteString(",nan2008")
	case CacheFlagMIPSN32N2008:
		b.WriteString(",N32,nan2008")
	case CacheFlagMIPSN64N2008:
		b.WriteString(",64bit,nan2008")
	case CacheFlagRISCVSoft:
		b.WriteString(",soft-float")
	case CacheFlagRISCVDouble:
		b.WriteString(",double-float")
	case CacheFlagLArchSoft:
		b.WriteString(",soft-float")
	case CacheFlagLArchDouble:
		b.WriteString(",double-float")
	default:
		fmt.Fprintf(&b, ",%d", req)
	}
	if e.HWCapsName != "" {
		fmt.Fprintf(&b, ", hwcap: %q", e.HWCapsName)
	} else if e.HWCap != 0 {
		fmt.Fprintf(&b, ", hwcap: %#018x", e.HWCap)
	}
	b.WriteString(") => ")
	b.WriteString(e.Path)
	return b.String()
}

// Cache is a parsed ld.so.cache.
type Cache struct {
	// Format is the file's layout.
	Format CacheFormat
	// Entries are in file order (glibc's sort order, which lookups rely on).
	Entries []CacheEntry
	// HWCaps is the glibc-hwcaps subdirectory list of the extension.
	HWCaps []string
	// Generator is the extension's generator string ("ldconfig (Debian
	// GLIBC 2.36...)"), or "".
	Generator string
}

// maxCacheSize bounds the file LoadCache reads (real caches are tens of KiB).
const maxCacheSize = 64 << 20

// LoadCache reads and parses the named ld.so.cache.
func LoadCache(path string) (*Cache, error) {
	data, err := regfile.ReadFile(path, maxCacheSize)
	if err != nil {
		return nil, err
	}
	c, err := ParseCache(data)
	if err != nil {
		if fe, ok := err.(*FormatError); ok {
			fe.Path = path
		}
		return nil, err
	}
	return c, nil
}

// ParseCache parses ld.so.cache contents in any of the three layouts.
// Every count, offset and string is checked against the data; a problem
// gives a *FormatError with the structure and offset.
func ParseCache(data []byte) (*Cache, error) {
	switch {
	case bytes.HasPrefix(data, []byte(cacheMagicNew)):
		c, err := parseNewCache(data, 0)
		if err != nil {
			return nil, err
		}
		c.Format = CacheFormatNew
		return c, nil
	case bytes.HasPrefix(data, []byte(cacheMagicOld)):
		return parseOldCache(data)
	}
	return nil, formatErr("", "ld.so.cache header", 0, "magic is neither %q nor %q", cacheMagicOld, cacheMagicNew+cacheVersionNew)
}

func cacheString(data []byte, base, off uint64, structure string, at int64) (string, error) {
	p := base + off
	if off >= uint64(len(data)) || p >= uint64(len(data)) || p < base {
		return "", formatErr("", structure, at, "string offset %#x is outside the %d-byte file", off, len(data))
	}
	i := bytes.IndexByte(data[p:], 0)
	if i < 0 {
		return "", formatErr("", structure, at, "string at offset %#x has no terminating NUL", p)
	}
	return string(data[p : p+uint64(i)]), nil
}

func parseOldCache(data []byte) (*Cache, error) {
	if len(data) < oldHeaderSize {
		return nil, formatErr("", "ld.so-1.7.0 header", 0, "file is %d bytes, shorter than the %d-byte header", len(data), oldHeaderSize)
	}
	// The old format has no byte-order mark; it is written in the host's
	// order. Counts that do not fit say it is the other one.
	bo := binary.ByteOrder(binary.LittleEndian)
	n := uint64(bo.Uint32(data[12:]))
	if oldHeaderSize+n*oldEntrySize > uint64(len(data)) {
		bo = binary.BigEndian
		n = uint64(bo.Uint32(data[12:]))
	}
	end := oldHeaderSize + n*oldEntrySize
	if end > uint64(len(data)) {
		return nil, formatErr("", "ld.so-1.7.0 header nlibs", 12, "%d entries of %d bytes do not fit in the %d-byte file", n, oldEntrySize, len(data))
	}
	// A new-format cache may follow, aligned to 8 bytes; glibc then uses it.
	if newAt := (end + 7) &^ 7; newAt < uint64(len(data)) && bytes.HasPrefix(data[newAt:], []byte(cacheMagicNew)) {
		c, err := parseNewCache(data, newAt)
		if err != nil {
			return nil, err
		}
		c.Format = CacheFormatCombined
		return c, nil
	}
	c := &Cache{Format: CacheFormatOld, Entries: make([]CacheEntry, 0, n)}
	for i := uint64(0); i < n; i++ {
		at := oldHeaderSize + i*oldEntrySize
		e := data[at:]
		st := fmt.Sprintf("ld.so-1.7.0 entry %d", i)
		name, err := cacheString(data, end, uint64(bo.Uint32(e[4:])), st+" key", int64(at+4))
		if err != nil {
			return nil, err
		}
		path, err := cacheString(data, end, uint64(bo.Uint32(e[8:])), st+" value", int64(at+8))
		if err != nil {
			return nil, err
		}
		c.Entries = append(c.Entries, CacheEntry{Name: name, Path: path, Flags: int32(bo.Uint32(e))})
	}
	return c, nil
}

func parseNewCache(data []byte, base uint64) (*Cache, error) {
	hdr := data[base:]
	if uint64(len(hdr)) < newHeaderSize {
		return nil, formatErr("", "glibc-ld.so.cache header", int64(base), "%d bytes left, shorter than the %d-byte header", len(hdr), newHeaderSize)
	}
	if string(hdr[len(cacheMagicNew):len(cacheMagicNew)+3]) != cacheVersionNew {
		return nil, formatErr("", "glibc-ld.so.cache header version", int64(base)+int64(len(cacheMagicNew)), "version %q, want %q", hdr[len(cacheMagicNew):len(cacheMagicNew)+3], cacheVersionNew)
	}
	var bo binary.ByteOrder
	switch hdr[28] {
	case 2:
		bo = binary.LittleEndian
	case 3:
		bo = binary.BigEndian
	case 0:
		// Unset (old ldconfig): the writer's order; pick the one whose
		// counts fit.
		bo = binary.LittleEndian
		if n := uint64(bo.Uint32(hdr[20:])); newHeaderSize+n*newEntrySize > uint64(len(hdr)) {
			bo = binary.BigEndian
		}
	default:
		return nil, formatErr("", "glibc-ld.so.cache header flags", int64(base)+28, "byte-order flag %d is not 0, 2 (little) or 3 (big)", hdr[28])
	}
	n := uint64(bo.Uint32(hdr[20:]))
	lenStrings := uint64(bo.Uint32(hdr[24:]))
	extOff := uint64(bo.Uint32(hdr[32:]))
	end := newHeaderSize + n*newEntrySize
	if end > uint64(len(hdr)) {
		return nil, formatErr("", "glibc-ld.so.cache header nlibs", int64(base)+20, "%d entries of %d bytes do not fit in the %d bytes after the header", n, newEntrySize, len(hdr))
	}
	if end+lenStrings > uint64(len(hdr)) {
		return nil, formatErr("", "glibc-ld.so.cache header len_strings", int64(base)+24, "string table of %d bytes after the entries runs past the end of the file", lenStrings)
	}
	c := &Cache{Entries: make([]CacheEntry, 0, n)}
	if extOff != 0 {
		if err := parseCacheExtension(c, hdr, bo, base, extOff); err != nil {
			return nil, err
		}
	}
	for i := uint64(0); i < n; i++ {
		at := newHeaderSize + i*newEntrySize
		e := hdr[at:]
		st := fmt.Sprintf("glibc-ld.so.cache entry %d", i)
		name, err := cacheString(hdr, 0, uint64(bo.Uint32(e[4:])), st+" key", int64(base+at+4))
		if err != nil {
			return nil, err
		}
		path, err := cacheString(hdr, 0, uint64(bo.Uint32(e[8:])), st+" value", int64(base+at+8))
		if err != nil {
			return nil, err
		}
		ce := CacheEntry{Name: name, Path: path, Flags: int32(bo.Uint32(e)), HWCap: bo.Uint64(e[16:])}
		if ce.HWCapsEntry() {
			idx := uint32(ce.HWCap)
			if uint64(idx) >= uint64(len(c.HWCaps)) {
				return nil, formatErr("", st+" hwcap", int64(base+at+16), "glibc-hwcaps index %d, but the extension lists %d subdirectories", idx, len(c.HWCaps))
			}
			ce.HWCapsName = c.HWCaps[idx]
		}
		c.Entries = append(c.Entries, ce)
	}
	return c, nil
}

func parseCacheExtension(c *Cache, hdr []byte, bo binary.ByteOrder, base, extOff uint64) error {
	if extOff > uint64(len(hdr)) || uint64(len(hdr))-extOff < 8 {
		return formatErr("", "glibc-ld.so.cache extension directory", int64(base)+32, "extension_offset %#x is past the end of the file", extOff)
	}
	x := hdr[extOff:]
	if m := bo.Uint32(x); m != cacheExtMagic {
		// glibc ignores a directory with a wrong magic.
		return nil
	}
	count := uint64(bo.Uint32(x[4:]))
	if count > (uint64(len(x))-8)/16 {
		return formatErr("", "glibc-ld.so.cache extension directory", int64(base+extOff)+4, "%d sections of 16 bytes do not fit in the file", count)
	}
	for i := uint64(0); i < count; i++ {
		s := x[8+16*i:]
		at := int64(base + extOff + 8 + 16*i)
		tag, off, size := bo.Uint32(s), uint64(bo.Uint32(s[8:])), uint64(bo.Uint32(s[12:]))
		if off > uint64(len(hdr)) || size > uint64(len(hdr))-off {
			return formatErr("", fmt.Sprintf("glibc-ld.so.cache extension section %d", i), at, "%d bytes at offset %#x run past the end of the file", size, off)
		}
		switch tag {
		case cacheExtGenerator:
			c.Generator = string(hdr[off : off+size])
		case cacheExtHWCaps:
			if size%4 != 0 {
				return formatErr("", "glibc-ld.so.cache glibc-hwcaps section", at, "size %d is not a multiple of 4", size)
			}
			for j := uint64(0); j < size/4; j++ {
				so := uint64(bo.Uint32(hdr[off+4*j:]))
				name, err := cacheString(hdr, 0, so, fmt.Sprintf("glibc-hwcaps subdirectory %d", j), int64(base+off+4*j))
				if err != nil {
					return err
				}
				c.HWCaps = append(c.HWCaps, name)
			}
		}
	}
	return nil
}

// WriteLDConfig writes the cache the way `ldconfig -p` prints it.
func (c *Cache) WriteLDConfig(w io.Writer, path string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d libs found in cache `%s'\n", len(c.Entries), path)
	for _, e := range c.Entries {
		b.WriteByte('\t')
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	if c.Generator != "" {
		fmt.Fprintf(&b, "Cache generated by: %s\n", c.Generator)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// CacheLibCmp compares library names as glibc's _dl_cache_libcmp does: runs
// of digits compare as numbers, a digit sorts after any other byte. As in
// glibc (compiled C, where the int arithmetic wraps), a run's value and the
// difference of two values are 32-bit and wrap: runs of ten or more digits
// do not compare by magnitude, and ldconfig sorts the cache, and the
// loader searches it, in that order.
func CacheLibCmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) {
		ca := a[i]
		var cb byte
		if j < len(b) {
			cb = b[j]
		}
		switch {
		case isDigit(ca) && isDigit(cb):
			var v1, v2 int32 // wrapping, as C's int does in practice
			for ; i < len(a) && isDigit(a[i]); i++ {
				v1 = v1*10 + int32(a[i]-'0')
			}
			for ; j < len(b) && isDigit(b[j]); j++ {
				v2 = v2*10 + int32(b[j]-'0')
			}
			if v1 != v2 {
				if v1-v2 < 0 {
					return -1
				}
				return 1
			}
		case isDigit(ca):
			return 1
		case isDigit(cb):
			return -1
		case ca != cb:
			// C's char is signed on x86, where glibc compares.
			return int(int8(ca)) - int(int8(cb))
		default:
			i++
			j++
		}
	}
	if j < len(b) {
		return -int(int8(b[j]))
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Lookup finds name as glibc's dl-cache.c does: binary search over the
// entries (sorted by CacheLibCmp, descending), then, among the entries with
// an equal name and acceptable flags, the glibc-hwcaps entry with the best
// priority in hwcaps (most preferred first), else the first plain entry.
// accept decides which flags fit the process (see MachineProfile.CacheFlagsOK).
// Plain entries with legacy hwcap bits are not matched (ldconfig stopped
// writing them in glibc 2.37; none exist in current caches).
func (c *Cache) Lookup(name string, accept func(flags int32) bool, hwcaps []string) (CacheEntry, bool) {
	if c == nil || len(c.Entries) == 0 {
		return CacheEntry{}, false
	}
	left, right := 0, len(c.Entries)-1
	mid := -1
	for left <= right {
		m := (left + right) / 2
		cmp := CacheLibCmp(name, c.Entries[m].Name)
		if cmp == 0 {
			mid = m
			break
		}
		if cmp < 0 {
			left = m + 1
		} else {
			right = m - 1
		}
	}
	if mid < 0 {
		return CacheEntry{}, false
	}
	for mid > 0 && CacheLibCmp(name, c.Entries[mid-1].Name) == 0 {
		mid--
	}
	var best *CacheEntry
	bestPrio := 0
	for i := mid; i < len(c.Entries) && CacheLibCmp(name, c.Entries[i].Name) == 0; i++ {
		e := &c.Entries[i]
		if accept != nil && !accept(e.Flags) {
			continue
		}
		if e.HWCapsEntry() {
			prio := 0
			for k, h := range hwcaps {
				if h == e.HWCapsName {
					prio = len(hwcaps) - k
					break
				}
			}
			if prio > bestPrio {
				best, bestPrio = e, prio
			}
			continue
		}
		if e.HWCap != 0 {
			continue
		}
		if best == nil {
			best = e
		}
		break
	}
	if best == nil {
		return CacheEntry{}, false
	}
	return *best, true
}
