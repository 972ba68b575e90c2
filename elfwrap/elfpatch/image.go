package elfpatch

import (
	"cmp"
	"io"
	"slices"
)

// image is a patched file described without copying the original: the
// first cut bytes of the original, zeros up to tailOff (the padding before
// an appended segment), then tail (the bytes [tailOff, size)), with
// overlays written over all of it in the order they were made. The writer
// streams it to the output file (the unchanged bulk of the file goes
// straight from the input, see PatchFileWith), and Bytes materializes it.
// Keeping the output as a description avoids allocating, filling and
// copying a second file-sized buffer per patch.
type image struct {
	src     []byte // the original file (never modified)
	cut     uint64 // bytes of src kept at the start of the output
	tailOff uint64 // start of tail; zeros in [cut, tailOff)
	size    uint64 // output size
	tail    []byte // output bytes [tailOff, size)
	over    []overlay
	// outside is set when a window past the end was asked for: a layout
	// error, reported by the caller instead of writing the file.
	outside bool
}

// overlay replaces output bytes [off, off+len(b)).
type overlay struct {
	off uint64
	b   []byte
}

// newImage needs cut <= tailOff <= size and cut <= len(src).
func newImage(src []byte, cut, tailOff, size uint64) *image {
	return &image{src: src, cut: cut, tailOff: tailOff, size: size, tail: make([]byte, size-tailOff)}
}

// at returns a writable window on the output bytes [off, off+n), holding
// their current content. The caller fills it before the next call to at;
// writes to it become part of the output. A window reaching past size is
// detached (writes to it are lost) and sets outside.
func (m *image) at(off, n uint64) []byte {
	if end, ok := checkedAdd(off, n); !ok || end > m.size {
		m.outside = true
		return make([]byte, n) // n is a table or string size bounded by the input
	}
	if off >= m.tailOff && !m.overlaid(off, n) {
		return m.tail[off-m.tailOff : off-m.tailOff+n : off-m.tailOff+n]
	}
	b := make([]byte, n)
	m.read(b, off)
	m.over = append(m.over, overlay{off: off, b: b})
	return b
}

// overlaid reports whether an overlay covers part of [off, off+n).
func (m *image) overlaid(off, n uint64) bool {
	for _, o := range m.over {
		if o.off < off+n && off < o.off+uint64(len(o.b)) {
			return true
		}
	}
	return false
}

// readBase copies the output bytes [off, off+len(dst)) before overlays.
func (m *image) readBase(dst []byte, off uint64) {
	end := off + uint64(len(dst))
	if off < m.cut {
		copy(dst, m.src[off:min(end, m.cut)])
	}
	if off < m.tailOff && end > m.cut {
		lo, hi := max(off, m.cut), min(end, m.tailOff)
		clear(dst[lo-off : hi-off])
	}
	if end > m.tailOff {
		lo := max(off, m.tailOff)
		copy(dst[lo-off:], m.tail[lo-m.tailOff:end-m.tailOff])
	}
}

// read copies the output bytes [off, off+len(dst)) into dst.
func (m *image) read(dst []byte, off uint64) {
	m.readBase(dst, off)
	end := off + uint64(len(dst))
	for _, o := range m.over {
		oe := o.off + uint64(len(o.b))
		if o.off >= end || oe <= off {
			continue
		}
		lo, hi := max(off, o.off), min(end, oe)
		copy(dst[lo-off:hi-off], o.b[lo-o.off:hi-o.off])
	}
}

// bytes materializes the whole output.
func (m *image) bytes() []byte {
	out := make([]byte, m.size)
	m.read(out, 0)
	return out
}

// sparse returns a buffer of the output's size in which only the given
// ranges (start, end pairs; clipped to the file) hold the output's bytes;
// the rest is zero. The buffer costs the pages the ranges touch, not the
// file size (see zeroBuf); call free when done with it.
func (m *image) sparse(ranges [][2]uint64) (out []byte, free func()) {
	out, free = zeroBuf(m.size)
	for _, r := range ranges {
		lo, hi := r[0], min(r[1], m.size)
		if lo < hi {
			m.read(out[lo:hi], lo)
		}
	}
	return out, free
}

// writeTo streams the output to w in file order: untouched stretches of
// the original straight from src (or through copySrc, when given, which
// writes the original's bytes [lo, hi) to w by other means), overlaid
// stretches merged first.
func (m *image) writeTo(w io.Writer, copySrc func(lo, hi uint64) error) error {
	// Merge overlays into disjoint, sorted spans.
	spans := make([][2]uint64, 0, len(m.over))
	for _, o := range m.over {
		if len(o.b) > 0 {
			spans = append(spans, [2]uint64{o.off, o.off + uint64(len(o.b))})
		}
	}
	slices.SortFunc(spans, func(a, b [2]uint64) int { return cmp.Compare(a[0], b[0]) })
	merged := spans[:0]
	for _, s := range spans {
		if n := len(merged); n > 0 && s[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], s[1])
			continue
		}
		merged = append(merged, s)
	}
	base := func(lo, hi uint64) error { // unpatched output bytes [lo, hi)
		if lo < m.cut {
			var err error
			if copySrc != nil {
				err = copySrc(lo, min(hi, m.cut))
			} else {
				_, err = w.Write(m.src[lo:min(hi, m.cut)])
			}
			if err != nil {
				return err
			}
		}
		for z := max(lo, m.cut); z < min(hi, m.tailOff); {
			n := min(min(hi, m.tailOff)-z, uint64(len(zeros)))
			if _, err := w.Write(zeros[:n]); err != nil {
				return err
			}
			z += n
		}
		if hi > m.tailOff {
			l := max(lo, m.tailOff)
			if _, err := w.Write(m.tail[l-m.tailOff : hi-m.tailOff]); err != nil {
				return err
			}
		}
		return nil
	}
	pos := uint64(0)
	for _, s := range merged {
		if s[0] > pos {
			if err := base(pos, s[0]); err != nil {
				return err
			}
		}
		buf := make([]byte, s[1]-s[0])
		m.read(buf, s[0])
		if _, err := w.Write(buf); err != nil {
			return err
		}
		pos = s[1]
	}
	if pos < m.size {
		return base(pos, m.size)
	}
	return nil
}

// zeros is padding written between the original's end and an appended
// segment.
var zeros [16 << 10]byte
