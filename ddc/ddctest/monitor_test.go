package ddctest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/ddc"
)

func TestMonitorTimingAndRecords(t *testing.T) {
	ctx := context.Background()
	m := New(Config{Name: "t", Multiplier: 0.02})
	req, _ := ddc.EncodeRequest(ddc.GetVCPRequest{Code: 0x10})
	buf := make([]byte, 11)
	// Read immediately: too soon, null message.
	if err := m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrDDCCI, Buf: req}); err != nil {
		t.Fatal(err)
	}
	if err := m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrDDCCI, Read: true, Buf: buf}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf[:3], []byte{0x6E, 0x80, 0xBE}) || m.TooSoon() != 1 {
		t.Errorf("early read gave % X, %d violations", buf, m.TooSoon())
	}
	// After the reply delay the reply is there.
	time.Sleep(m.timing.ReplyDelay)
	if err := m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrDDCCI, Read: true, Buf: buf}); err != nil {
		t.Fatal(err)
	}
	if r, err := ddc.DecodeReply(buf); err != nil || r.(ddc.VCPReply).Value != 50 {
		t.Errorf("reply % X: %v", buf, err)
	}
	// A request inside the command gap is ignored.
	if err := m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrDDCCI, Buf: req}); err != nil {
		t.Fatal(err)
	}
	recs := m.Records()
	if last := recs[len(recs)-1]; !strings.Contains(last.Note, "too soon") || last.Read {
		t.Errorf("last record %v", last)
	}
	if len(m.Writes()) != 2 || m.Requests() != 1 {
		t.Errorf("writes %d requests %d", len(m.Writes()), m.Requests())
	}
}

func TestMonitorEDIDAndAddresses(t *testing.T) {
	ctx := context.Background()
	m := New(Config{Name: "e", Lenient: true})
	blk := make([]byte, 128)
	if err := m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrEDID, Buf: []byte{0x80}}, ddc.Msg{Addr: ddc.AddrEDID, Read: true, Buf: blk}); err != nil {
		t.Fatal(err)
	}
	if blk[0] != 0x02 {
		t.Errorf("block 1 starts % X, want the CTA tag 02", blk[:4])
	}
	// Segment 1 is past the end: 0xFF, as an absent EEPROM area reads.
	if err := m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrSegment, Buf: []byte{1}}, ddc.Msg{Addr: ddc.AddrEDID, Buf: []byte{0}}, ddc.Msg{Addr: ddc.AddrEDID, Read: true, Buf: blk}); err != nil {
		t.Fatal(err)
	}
	if blk[0] != 0xFF {
		t.Errorf("segment 1: % X", blk[:4])
	}
	if err := m.Transfer(ctx, ddc.Msg{Addr: 0x49, Read: true, Buf: blk}); !errors.Is(err, ddc.ErrNoDevice) {
		t.Errorf("unknown address: %v", err)
	}
	nd := New(Config{Name: "nd", NoDDC: true})
	if err := nd.Transfer(ctx, ddc.Msg{Addr: ddc.AddrDDCCI, Buf: []byte{1}}); !errors.Is(err, ddc.ErrNoDevice) {
		t.Errorf("no DDC: %v", err)
	}
	m.Close()
	if err := m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrEDID, Read: true, Buf: blk}); err == nil {
		t.Error("transfer on a closed monitor")
	}
}

func TestMonitorFaultRates(t *testing.T) {
	ctx := context.Background()
	m := New(Config{Name: "f", Lenient: true, Faults: Faults{Null: 0.25, Checksum: 0.25, Zero: 0.25, Seed: 1}})
	req, _ := ddc.EncodeRequest(ddc.GetVCPRequest{Code: 0x10})
	counts := map[string]int{}
	const n = 400
	for i := 0; i < n; i++ {
		buf := make([]byte, 11)
		m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrDDCCI, Buf: req})
		m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrDDCCI, Read: true, Buf: buf})
		r, err := ddc.DecodeReply(buf)
		switch {
		case errors.Is(err, ddc.ErrChecksum):
			counts["checksum"]++
		case errors.Is(err, ddc.ErrAllZero):
			counts["zero"]++
		case err == nil && r == (ddc.NullReply{}):
			counts["null"]++
		case err == nil:
			counts["ok"]++
		default:
			t.Fatalf("unexpected %v", err)
		}
	}
	for k, c := range counts {
		if c < n/8 || c > n*3/8 {
			t.Errorf("%s: %d of %d, want about a quarter (%v)", k, c, n, counts)
		}
	}
}

func TestMonitorSimulatedWireTime(t *testing.T) {
	m := New(Config{BitRate: 100000})
	// 11 data bytes + address, 9 bits each, start and stop: 110 bits.
	if got := m.TransferTime(11); got != 1100*time.Microsecond {
		t.Errorf("TransferTime(11) = %v", got)
	}
	if New(Config{}).TransferTime(11) != 0 {
		t.Error("no BitRate must transfer instantly")
	}
}

// TestMonitorTransferHonoursContext: like the real i2c-dev bus, a transfer
// started with an ended context fails with its error and does nothing (it
// used to act on the request whenever no wire time was simulated).
func TestMonitorTransferHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := New(Config{Name: t.Name(), Lenient: true})
	req, _ := ddc.EncodeRequest(ddc.SetVCPRequest{Code: 0x10, Value: 7})
	err := m.Transfer(ctx, ddc.Msg{Addr: ddc.AddrDDCCI, Buf: req})
	if f, _ := m.Feature(0x10); !errors.Is(err, context.Canceled) || f.Value != 50 || len(m.Records()) != 0 {
		t.Errorf("Transfer with a cancelled context: %v, brightness %d, %d records; want context.Canceled, 50, none",
			err, f.Value, len(m.Records()))
	}
}
