// Package ddctest provides a simulated DDC/CI monitor behind the ddc.Bus
// interface, for tests and for programs that run where no monitor is
// attached. Like netlink's nltest, it lets users of package ddc test their
// own code without hardware.
//
// A Monitor holds VCP features, a capabilities string and an EDID. It
// answers DDC/CI requests at I2C address 0x37 and EDID reads at 0x50 (with
// the E-DDC segment pointer at 0x30), enforces the DDC/CI timing the way
// real monitors punish hosts that hurry (a read too soon after a request
// gets the null message or garbage; a request too soon after the previous
// exchange is ignored), injects faults at set rates, and records every
// transfer.
package ddctest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hostkit-dev/hostkit/ddc"
)

// Feature is the state of one simulated VCP feature.
type Feature struct {
	Value, Max uint16
	// Type is the reply's type byte (0 set parameter, 1 momentary).
	Type byte
	// ReadOnly features ignore Set VCP.
	ReadOnly bool
	// Table holds the bytes of a table-type feature.
	Table []byte
}

// Unsupported selects how the monitor says a feature is unsupported.
type Unsupported int

// Ways of saying "unsupported".
const (
	// ResultCode answers with result code 01 (the standard way).
	ResultCode Unsupported = iota
	// NullMessage answers with the null message.
	NullMessage
	// ZeroValues answers result 00 with type, maximum and value zero.
	ZeroValues
)

// Faults sets the rates (0..1) at which reads go wrong.
type Faults struct {
	// Null replaces a reply with the null message.
	Null float64
	// Checksum corrupts a reply's checksum.
	Checksum float64
	// Zero returns only zero bytes.
	Zero float64
	// DoubledAddress prefixes the reply with an extra 0x6E (harmless to a
	// correct decoder).
	DoubledAddress float64
	// Seed makes the fault sequence reproducible.
	Seed uint64
}

// Record is one transfer as the monitor saw it.
type Record struct {
	Time  time.Time
	Addr  uint16
	Read  bool
	Bytes []byte
	// Note says what the monitor made of it ("too soon: ignored", ...).
	Note string
}

// String describes the Record for people.
func (r Record) String() string {
	dir := "write"
	if r.Read {
		dir = "read "
	}
	s := fmt.Sprintf("%s 0x%02X % X", dir, r.Addr, r.Bytes)
	if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	return s
}

// Config describes a simulated monitor.
type Config struct {
	// Name is the bus name the monitor reports (default "sim-0").
	Name string
	// Features are the VCP features; nil gives DefaultFeatures.
	Features map[byte]Feature
	// Capabilities is the capabilities string; "" gives one built from
	// the features.
	Capabilities string
	// EDID is the EDID blob; nil gives DefaultEDID.
	EDID []byte
	// NoDDC makes the monitor answer only EDID reads (as a display with
	// DDC/CI switched off in its menu does).
	NoDDC bool
	// Timing is the minimum timing the monitor needs; zero means
	// ddc.SpecTiming. Multiplier scales it (zero means 1).
	Timing     ddc.Timing
	Multiplier float64
	// Lenient disables the timing enforcement.
	Lenient bool
	// BitRate simulates the transfer time of an I2C bus at this many bits
	// per second (100000 for standard mode); zero transfers instantly.
	BitRate int
	// Unsupported is how the monitor reports unsupported features.
	Unsupported Unsupported
	// Faults injected into reads.
	Faults Faults
	// MaxRecords bounds the transfer log (default 10000).
	MaxRecords int
}

// Monitor is a simulated display. It implements ddc.Bus.
type Monitor struct {
	cfg    Config
	timing ddc.Timing

	mu       sync.Mutex
	features map[byte]Feature
	caps     []byte
	edid     []byte
	rng      *rand.Rand
	pending  []byte // encoded reply waiting to be read
	readyAt  time.Time
	nextCmd  time.Time
	log      []Record
	tooSoon  int
	requests int
	closed   bool
}

// DefaultFeatures is the feature set of the default simulated monitor.
func DefaultFeatures() map[byte]Feature {
	return map[byte]Feature{
		0x02: {Value: 0x01, Max: 0x02},
		0x10: {Value: 50, Max: 100},
		0x12: {Value: 75, Max: 100},
		0x14: {Value: 0x05, Max: 0x0B},
		0x16: {Value: 50, Max: 100},
		0x18: {Value: 50, Max: 100},
		0x1A: {Value: 50, Max: 100},
		0x60: {Value: 0x0F, Max: 0x12},
		0x62: {Value: 30, Max: 100},
		0x6B: {Value: 80, Max: 100},
		0x8D: {Value: 0x02, Max: 0x02},
		0xAC: {Value: 0x5C90, Max: 0x0001, ReadOnly: true},
		0xAE: {Value: 6000, Max: 0xFFFF, ReadOnly: true},
		0xB6: {Value: 0x03, Max: 0x09, ReadOnly: true},
		0xC0: {Value: 1234, Max: 0, ReadOnly: true},
		0xC8: {Value: 0x0005, Max: 0x0000, ReadOnly: true},
		0xC9: {Value: 0x0102, Max: 0xFFFF, ReadOnly: true},
		0xCC: {Value: 0x02, Max: 0x25},
		0xD6: {Value: 0x01, Max: 0x05},
		0xDC: {Value: 0x00, Max: 0x0A},
		0xDF: {Value: 0x0202, Max: 0xFFFF, ReadOnly: true},
		0x73: {Table: []byte{0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x0A, 0x0A, 0x0A}, ReadOnly: true},
	}
}

// DefaultEDID returns a two-block EDID (base and a CTA-861 block) of a
// simulated 27" 2560x1440 monitor named "HK Sim 27".
func DefaultEDID() []byte {
	cta := make([]byte, 128)
	// CTA-861 revision 3: underscan, basic audio, one native DTD; a video
	// data block (VIC 16 native, 4, 31, 3, 2) and an HDMI vendor block
	// (physical address 1.0.0.0).
	blocks := []byte{0x45, 0x90, 0x04, 0x1F, 0x03, 0x02, 0x65, 0x03, 0x0C, 0x00, 0x10, 0x00}
	cta[0], cta[1], cta[2], cta[3] = 0x02, 0x03, byte(4+len(blocks)), 0xC1
	copy(cta[4:], blocks)
	b, err := ddc.BuildEDID(ddc.EDIDSpec{
		Manufacturer: "HKT", ProductCode: 0x2701, SerialNumber: 1001, Week: 12, Year: 2024,
		Name: "HK Sim 27", SerialString: "SIM0001", WidthCM: 60, HeightCM: 34,
		Preferred: ddc.DetailedTiming{PixelClockKHz: 241500, HActive: 2560, HBlank: 160, HFrontPorch: 48, HSync: 32,
			VActive: 1440, VBlank: 41, VFrontPorch: 3, VSync: 5, WidthMM: 597, HeightMM: 336, HSyncPositive: true},
		Range:      &ddc.RangeLimits{MinVHz: 48, MaxVHz: 75, MinHKHz: 30, MaxHKHz: 113, MaxPixelClockMHz: 250, Support: 1},
		Extensions: [][]byte{cta},
	})
	if err != nil {
		panic("ddctest: default EDID: " + err.Error()) // a bug in this file, not bad input
	}
	return b
}

// capsFromFeatures builds a capabilities string listing the features.
func capsFromFeatures(f map[byte]Feature) string {
	codes := make([]int, 0, len(f))
	for c := range f {
		codes = append(codes, int(c))
	}
	sort.Ints(codes)
	var b strings.Builder
	b.WriteString("(prot(monitor)type(lcd)model(HK Sim 27)cmds(01 02 03 07 0C E3 F3)vcp(")
	for i, c := range codes {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02X", c)
		switch c {
		case 0x14:
			b.WriteString("(01 05 06 08 0B)")
		case 0x60:
			b.WriteString("(0F 10 11 12)")
		case 0xD6:
			b.WriteString("(01 04 05)")
		case 0xCC:
			b.WriteString("(02 03 04)")
		}
	}
	b.WriteString(")mswhql(1)asset_eep(40)mccs_ver(2.2))")
	return b.String()
}

// New returns a simulated monitor.
func New(cfg Config) *Monitor {
	if cfg.Name == "" {
		cfg.Name = "sim-0"
	}
	if cfg.Features == nil {
		cfg.Features = DefaultFeatures()
	}
	if cfg.Capabilities == "" {
		cfg.Capabilities = capsFromFeatures(cfg.Features)
	}
	if cfg.EDID == nil {
		cfg.EDID = DefaultEDID()
	}
	if cfg.Timing == (ddc.Timing{}) {
		cfg.Timing = ddc.SpecTiming
	}
	if cfg.Multiplier <= 0 {
		cfg.Multiplier = 1
	}
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = 10000
	}
	m := &Monitor{cfg: cfg, timing: cfg.Timing.Scale(cfg.Multiplier), features: map[byte]Feature{},
		caps: []byte(cfg.Capabilities), edid: append([]byte(nil), cfg.EDID...),
		rng: rand.New(rand.NewPCG(cfg.Faults.Seed, cfg.Faults.Seed^0x9E3779B97F4A7C15))}
	for k, v := range cfg.Features {
		v.Table = append([]byte(nil), v.Table...)
		m.features[k] = v
	}
	return m
}

// Name implements ddc.Bus.
func (m *Monitor) Name() string { return m.cfg.Name }

// Close implements ddc.Bus.
func (m *Monitor) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

// Feature returns the current state of a feature.
func (m *Monitor) Feature(code byte) (Feature, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.features[code]
	return f, ok
}

// SetFeature changes a feature as if the user pressed the monitor's
// buttons.
func (m *Monitor) SetFeature(code byte, f Feature) {
	m.mu.Lock()
	m.features[code] = f
	m.mu.Unlock()
}

// Records returns a copy of the transfer log.
func (m *Monitor) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.log...)
}

// Writes returns the DDC/CI request frames written so far.
func (m *Monitor) Writes() [][]byte {
	var out [][]byte
	for _, r := range m.Records() {
		if r.Addr == ddc.AddrDDCCI && !r.Read {
			out = append(out, r.Bytes)
		}
	}
	return out
}

// TooSoon returns how many transfers broke the monitor's timing.
func (m *Monitor) TooSoon() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tooSoon
}

// Requests returns how many DDC/CI requests the monitor accepted.
func (m *Monitor) Requests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

func (m *Monitor) record(r Record) {
	if len(m.log) < m.cfg.MaxRecords {
		r.Bytes = append([]byte(nil), r.Bytes...)
		m.log = append(m.log, r)
	}
}

// transferTime is how long n bytes plus the address byte take on the wire.
func (m *Monitor) transferTime(n int) time.Duration {
	if m.cfg.BitRate <= 0 {
		return 0
	}
	bits := (n+1)*9 + 2 // 8 bits + ack per byte, start and stop
	return time.Duration(float64(bits) / float64(m.cfg.BitRate) * float64(time.Second))
}

// TransferTime returns the simulated wire time of a message with n data
// bytes (zero when BitRate is zero).
func (m *Monitor) TransferTime(n int) time.Duration { return m.transferTime(n) }

// Transfer implements ddc.Bus.
func (m *Monitor) Transfer(ctx context.Context, msgs ...ddc.Msg) error {
	// As the i2c-dev bus: an ended context fails before anything is done.
	if err := ctx.Err(); err != nil {
		return err
	}
	total := 0
	for _, msg := range msgs {
		total += len(msg.Buf)
	}
	if d := m.transferTime(total + len(msgs) - 1); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("ddctest: %s: bus closed", m.cfg.Name)
	}
	now := time.Now()
	segment := 0
	edidOff := 0
	for _, msg := range msgs {
		switch msg.Addr {
		case ddc.AddrSegment:
			if msg.Read || len(msg.Buf) != 1 {
				return fmt.Errorf("ddctest: %s: segment pointer takes one written byte: %w", m.cfg.Name, ddc.ErrNoDevice)
			}
			segment = int(msg.Buf[0])
			m.record(Record{Time: now, Addr: msg.Addr, Bytes: msg.Buf})
		case ddc.AddrEDID:
			if !msg.Read {
				if len(msg.Buf) > 0 {
					edidOff = int(msg.Buf[0])
				}
				m.record(Record{Time: now, Addr: msg.Addr, Bytes: msg.Buf})
				continue
			}
			base := segment*256 + edidOff
			for i := range msg.Buf {
				if base+i < len(m.edid) {
					msg.Buf[i] = m.edid[base+i]
				} else {
					msg.Buf[i] = 0xFF
				}
			}
			edidOff += len(msg.Buf)
			m.record(Record{Time: now, Addr: msg.Addr, Read: true, Bytes: msg.Buf})
		case ddc.AddrDDCCI:
			if m.cfg.NoDDC {
				return fmt.Errorf("ddctest: %s: address 0x37: %w", m.cfg.Name, ddc.ErrNoDevice)
			}
			if msg.Read {
				m.readReply(now, msg.Buf)
			} else {
				m.request(now, msg.Buf)
			}
		default:
			return fmt.Errorf("ddctest: %s: address 0x%02X: %w", m.cfg.Name, msg.Addr, ddc.ErrNoDevice)
		}
	}
	return nil
}

func (m *Monitor) request(now time.Time, frame []byte) {
	if !m.cfg.Lenient && now.Before(m.nextCmd) {
		m.tooSoon++
		m.pending = nil
		m.record(Record{Time: now, Addr: ddc.AddrDDCCI, Bytes: frame,
			Note: fmt.Sprintf("too soon: %v before the command gap ended, ignored", m.nextCmd.Sub(now).Round(time.Microsecond))})
		return
	}
	req, err := ddc.DecodeRequest(frame)
	if err != nil {
		m.pending = nil
		m.record(Record{Time: now, Addr: ddc.AddrDDCCI, Bytes: frame, Note: "bad request: " + err.Error()})
		return
	}
	m.requests++
	m.record(Record{Time: now, Addr: ddc.AddrDDCCI, Bytes: frame})
	m.pending = nil
	m.readyAt = now.Add(m.timing.ReplyDelay)
	m.nextCmd = now.Add(m.timing.CommandGap)
	var rep ddc.Reply
	switch r := req.(type) {
	case ddc.GetVCPRequest:
		rep = m.get(r.Code)
	case ddc.SetVCPRequest:
		if f, ok := m.features[r.Code]; ok && !f.ReadOnly {
			f.Value = r.Value
			if f.Max != 0 && f.Value > f.Max {
				f.Value = f.Max
			}
			m.features[r.Code] = f
		}
	case ddc.SaveSettingsRequest:
		m.nextCmd = now.Add(m.timing.SaveDelay)
	case ddc.CapabilitiesRequest:
		rep = fragment(ddc.OpCapabilitiesReply, r.Offset, m.caps)
	case ddc.TableReadRequest:
		if f, ok := m.features[r.Code]; ok {
			rep = fragment(ddc.OpTableReadReply, r.Offset, f.Table)
		} else {
			rep = ddc.NullReply{}
		}
	case ddc.TableWriteRequest:
		if f, ok := m.features[r.Code]; ok && !f.ReadOnly {
			end := int(r.Offset) + len(r.Data)
			if end > len(f.Table) {
				f.Table = append(f.Table, make([]byte, end-len(f.Table))...)
			}
			copy(f.Table[r.Offset:], r.Data)
			m.features[r.Code] = f
		}
	case ddc.TimingRequest:
		rep = ddc.TimingReply{Status: 0x03, HFreq: 8880, VFreq: 5995}
	case ddc.IdentificationRequest:
		rep = ddc.IdentificationReply{Data: append([]byte(nil), m.edid[8:18]...)}
	case ddc.VCPResetRequest:
	}
	if rep != nil {
		m.pending, _ = ddc.EncodeReply(rep)
	}
}

func fragment(op ddc.Opcode, off uint16, data []byte) ddc.Reply {
	start := min(int(off), len(data))
	end := min(start+ddc.FragmentSize, len(data))
	return ddc.FragmentReply{Op: op, Offset: off, Data: append([]byte(nil), data[start:end]...)}
}

func (m *Monitor) get(code byte) ddc.Reply {
	f, ok := m.features[code]
	if !ok {
		switch m.cfg.Unsupported {
		case NullMessage:
			return ddc.NullReply{}
		case ZeroValues:
			return ddc.VCPReply{Code: code}
		}
		return ddc.VCPReply{Result: 1, Code: code}
	}
	return ddc.VCPReply{Code: code, Type: f.Type, Max: f.Max, Value: f.Value}
}

var nullFrame = []byte{0x6E, 0x80, 0xBE}

func (m *Monitor) readReply(now time.Time, buf []byte) {
	note := ""
	var out []byte
	switch {
	case m.pending == nil:
		out = nullFrame
		note = "nothing to say: null message"
	case !m.cfg.Lenient && now.Before(m.readyAt):
		m.tooSoon++
		out = nullFrame
		note = fmt.Sprintf("too soon: reply not ready for %v, null message", m.readyAt.Sub(now).Round(time.Microsecond))
	default:
		out = m.pending
		f := m.cfg.Faults
		switch x := m.rng.Float64(); {
		case x < f.Null:
			out, note = nullFrame, "fault: null message"
		case x < f.Null+f.Checksum:
			out = append([]byte(nil), out...)
			out[len(out)-1] ^= 0x5A
			note = "fault: bad checksum"
		case x < f.Null+f.Checksum+f.Zero:
			out, note = nil, "fault: all zero"
		case x < f.Null+f.Checksum+f.Zero+f.DoubledAddress:
			out = append([]byte{0x6E}, out...)
			note = "oddity: doubled 0x6E"
		}
	}
	for i := range buf {
		switch {
		case out == nil:
			buf[i] = 0
		case i < len(out):
			buf[i] = out[i]
		default:
			buf[i] = 0xFF
		}
	}
	if m.pending != nil && !strings.HasPrefix(note, "too soon") {
		m.pending = nil // a reply is read once
	}
	m.nextCmd = maxTime(m.nextCmd, now.Add(m.timing.CommandGap))
	m.record(Record{Time: now, Addr: ddc.AddrDDCCI, Read: true, Bytes: buf, Note: note})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Capabilities returns the monitor's capabilities string.
func (m *Monitor) Capabilities() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.caps)
}
