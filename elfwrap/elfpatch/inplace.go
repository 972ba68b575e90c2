package elfpatch

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// inPlaceWrite is one range of an in-place patch: the new bytes at off and
// the original bytes they replace (the part inside the original file; nil
// for a range past its end), kept to undo the write.
type inPlaceWrite struct {
	off  uint64
	data []byte
	orig []byte
}

// inPlacePlan turns the original file (oldSize bytes) into the output
// (newSize bytes) by writing ranges, then truncating or extending to
// newSize. Everything it writes or restores is in memory: building the
// plan reads the input, applying it reads nothing.
type inPlacePlan struct {
	oldSize, newSize uint64
	// writes in the order they are made: ranges past the original end
	// first (nothing in the file points at them yet), then ranges inside
	// the file from its end towards the start, so the ELF header and the
	// program headers, which make the new ranges reachable, come last.
	writes []inPlaceWrite
	// appended is the number of leading writes that lie past the old end.
	appended int
	// cutOrig holds the original bytes [newSize, oldSize) when the output
	// is shorter, to undo the truncation.
	cutOrig []byte
}

// inPlacePlan lists the byte ranges where the output differs from the
// original: the overlays, the rebuilt end of the file from the cut, and
// the new tail. Ranges inside the original are trimmed to the bytes that
// really change; zero padding past the original end is left to the file
// system (a hole reads as zeros).
func (m *image) inPlacePlan() *inPlacePlan {
	old := uint64(len(m.src))
	p := &inPlacePlan{oldSize: old, newSize: m.size}
	var spans [][2]uint64
	for _, o := range m.over {
		if len(o.b) > 0 {
			spans = append(spans, [2]uint64{o.off, o.off + uint64(len(o.b))})
		}
	}
	if hi := min(m.size, old); m.cut < hi {
		spans = append(spans, [2]uint64{m.cut, hi})
	}
	if m.tailOff < m.size {
		spans = append(spans, [2]uint64{m.tailOff, m.size})
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
	var inside, past []inPlaceWrite
	for _, s := range merged {
		if s[0] < old {
			lo, hi := s[0], min(s[1], old)
			data := make([]byte, hi-lo)
			m.read(data, lo)
			orig := m.src[lo:hi]
			// Only the bytes that change: trim equal ends.
			a, b := 0, len(data)
			for a < b && data[a] == orig[a] {
				a++
			}
			for b > a && data[b-1] == orig[b-1] {
				b--
			}
			if a < b {
				inside = append(inside, inPlaceWrite{off: lo + uint64(a), data: data[a:b], orig: bytes.Clone(orig[a:b])})
			}
		}
		if s[1] > old {
			lo := max(s[0], old)
			data := make([]byte, s[1]-lo)
			m.read(data, lo)
			past = append(past, inPlaceWrite{off: lo, data: data})
		}
	}
	slices.Reverse(inside)
	p.writes = append(past, inside...)
	p.appended = len(past)
	if m.size < old {
		p.cutOrig = bytes.Clone(m.src[m.size:old])
	}
	return p
}

// fileRW is what writing in place needs of the file (an interface so that
// tests can make each step fail).
type fileRW interface {
	WriteAt(b []byte, off int64) (int, error)
	Truncate(size int64) error
	Sync() error
}

// errRestored marks an in-place write that failed and was undone: the file
// holds its original bytes and size again.
var errRestored = errors.New("the file was restored to its original bytes")

// apply writes the plan to w. With sync, the ranges past the old end are
// synced before anything inside the file points at them, and the file is
// synced at the end. On any error it undoes what it did (original bytes
// written back in reverse order, original size restored, synced) and says
// whether that worked.
func (p *inPlacePlan) apply(w fileRW, sync bool) error {
	end := p.oldSize
	for i, x := range p.writes {
		if err := writeFull(w, x.data, x.off); err != nil {
			return p.undo(w, i, sync, err)
		}
		end = max(end, x.off+uint64(len(x.data)))
		if sync && i+1 == p.appended && len(p.writes) > p.appended {
			if err := w.Sync(); err != nil {
				return p.undo(w, i, sync, fmt.Errorf("fsync: %w", err))
			}
		}
	}
	if end != p.newSize {
		if err := w.Truncate(int64(p.newSize)); err != nil {
			return p.undo(w, len(p.writes)-1, sync, fmt.Errorf("truncate: %w", err))
		}
	}
	if sync {
		if err := w.Sync(); err != nil {
			return p.undo(w, len(p.writes)-1, sync, fmt.Errorf("fsync: %w", err))
		}
	}
	return nil
}

// undo restores the original after a failure at or after writes[last]
// (which may have been written in part).
func (p *inPlacePlan) undo(w fileRW, last int, sync bool, cause error) error {
	var failed error
	note := func(err error) {
		if err != nil && failed == nil {
			failed = err
		}
	}
	if p.cutOrig != nil {
		// The truncation may have happened: write the cut bytes back first.
		note(writeFull(w, p.cutOrig, p.newSize))
	}
	for j := last; j >= 0; j-- {
		if x := p.writes[j]; len(x.orig) > 0 {
			note(writeFull(w, x.orig, x.off))
		}
	}
	note(w.Truncate(int64(p.oldSize)))
	if sync {
		note(w.Sync())
	}
	if failed != nil {
		return fmt.Errorf("writing in place: %w; restoring the original bytes also failed (%v): the file may be damaged", cause, failed)
	}
	return fmt.Errorf("writing in place: %w (%w)", cause, errRestored)
}

// writeFull writes all of b at off.
func writeFull(w fileRW, b []byte, off uint64) error {
	for len(b) > 0 {
		n, err := w.WriteAt(b, int64(off))
		if err != nil {
			return err
		}
		if n <= 0 {
			return fmt.Errorf("write at offset %#x: no progress", off)
		}
		b, off = b[n:], off+uint64(n)
	}
	return nil
}
