package ddc_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/ddc/ddctest"
)

// noisyEDIDBus flips one byte of the first read of each listed EDID block,
// as a glitch on the DDC wires does; later reads are clean.
type noisyEDIDBus struct {
	*ddctest.Monitor
	mu      sync.Mutex
	segment int
	offset  int
	corrupt map[int]int // block -> byte index to flip on its first read
	reads   map[int]int
}

func (b *noisyEDIDBus) Transfer(ctx context.Context, msgs ...ddc.Msg) error {
	if err := b.Monitor.Transfer(ctx, msgs...); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	seg := 0
	for _, m := range msgs {
		switch {
		case m.Addr == ddc.AddrSegment && !m.Read:
			seg = int(m.Buf[0])
		case m.Addr == ddc.AddrEDID && !m.Read:
			b.offset = int(m.Buf[0])
		case m.Addr == ddc.AddrEDID && m.Read:
			block := (seg*256 + b.offset) / ddc.EDIDBlockSize
			b.reads[block]++
			if i, ok := b.corrupt[block]; ok && b.reads[block] == 1 {
				m.Buf[i] ^= 0x10
			}
		}
	}
	return nil
}

// TestReadEDIDRetriesCorruptBlocks: the kernel's DRM core reads each EDID
// block up to four times until its checksum (and, for the base block, its
// header) is valid (drm_edid.c, edid_block_read). A single glitch must not
// give the caller a corrupt EDID, or none at all.
func TestReadEDIDRetriesCorruptBlocks(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		corrupt map[int]int
	}{
		{"base block data", map[int]int{0: 20}},
		{"base block header", map[int]int{0: 3}},
		{"extension block", map[int]int{1: 40}},
		{"extension count", map[int]int{0: 126}},
	} {
		m := ddctest.New(ddctest.Config{Name: "edid-" + tc.name})
		want := ddctest.DefaultEDID()
		bus := &noisyEDIDBus{Monitor: m, corrupt: tc.corrupt, reads: map[int]int{}}
		got, err := ddc.ReadEDID(ctx, bus)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: one corrupt read: err %v, %d bytes, equal to the EEPROM: %v (reads per block %v)",
				tc.name, err, len(got), bytes.Equal(got, want), bus.reads)
		}
	}
}
