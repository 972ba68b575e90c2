package ddc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Retries bounds how often an exchange is tried again after a null reply,
// a bad checksum, an all-zero read or a garbled frame. The defaults are
// ddcutil's: 4 for write-only, 10 for write-read, 8 for multi-part reads.
type Retries struct {
	WriteOnly, WriteRead, MultiPart int
}

// DefaultRetries are the retry bounds used when Options leaves them zero.
var DefaultRetries = Retries{WriteOnly: 4, WriteRead: 10, MultiPart: 8}

// maxRetries is the hard ceiling for any retry count (ddcutil's 15).
const maxRetries = 15

// Quirks describe how a display deviates from the protocol.
type Quirks struct {
	// NullIsUnsupported: the display answers Get VCP of an unsupported
	// feature with the null message instead of result code 01.
	NullIsUnsupported bool
	// ZeroIsUnsupported: the display answers an unsupported feature with a
	// reply whose type, maximum and value are all zero.
	ZeroIsUnsupported bool
}

// Options configure a Session.
type Options struct {
	// Timing is the protocol timing; zero means SpecTiming.
	Timing Timing
	// SleepMultiplier scales every wait (ddcutil's --sleep-multiplier);
	// zero means 1.
	SleepMultiplier float64
	// Adaptive lowers the waits while the display answers cleanly and
	// raises them again on errors, remembering the factor per display
	// (see AdaptiveKey) for the life of the process.
	Adaptive bool
	// AdaptiveKey names the display for the adaptive memory; empty means
	// the bus name. Detect sets it from the EDID.
	AdaptiveKey string
	// Retries bounds retries; zero fields take DefaultRetries.
	Retries Retries
	// Verify reads a value back after every SetVCP and fails with
	// ErrVerify when it differs.
	Verify bool
	// Quirks of the display.
	Quirks Quirks
	// Version is the display's MCCS version, used to name features in
	// errors; zero is fine.
	Version Version
}

// Stats counts what happened on a session.
type Stats struct {
	Exchanges, Retries, NullReplies, ChecksumErrors, ZeroReads, OtherErrors int
	// Slept is the total time spent waiting for protocol delays.
	Slept time.Duration
}

// Session talks DDC/CI to the display on one bus. It is safe for
// concurrent use; exchanges on the same bus (by name) are serialised, in
// this process and, for buses implementing ProcessLocker, across
// processes.
type Session struct {
	bus   Bus
	opts  Options
	base  Timing
	mu    sync.Mutex
	stats Stats
}

// NewSession returns a session on bus. opts may be nil.
func NewSession(bus Bus, opts *Options) *Session {
	s := &Session{bus: bus}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Timing == (Timing{}) {
		s.opts.Timing = SpecTiming
	}
	if s.opts.SleepMultiplier <= 0 {
		s.opts.SleepMultiplier = 1
	}
	r := &s.opts.Retries
	if r.WriteOnly <= 0 {
		r.WriteOnly = DefaultRetries.WriteOnly
	}
	if r.WriteRead <= 0 {
		r.WriteRead = DefaultRetries.WriteRead
	}
	if r.MultiPart <= 0 {
		r.MultiPart = DefaultRetries.MultiPart
	}
	r.WriteOnly, r.WriteRead, r.MultiPart = min(r.WriteOnly, maxRetries), min(r.WriteRead, maxRetries), min(r.MultiPart, maxRetries)
	s.base = s.opts.Timing.Scale(s.opts.SleepMultiplier)
	return s
}

// Bus returns the session's bus.
func (s *Session) Bus() Bus { return s.bus }

// Stats returns a copy of the session's counters.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// SetQuirks replaces the session's quirks (as found by ProbeQuirks).
func (s *Session) SetQuirks(q Quirks) {
	s.mu.Lock()
	s.opts.Quirks = q
	s.mu.Unlock()
}

func (s *Session) quirks() Quirks {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Quirks
}

func (s *Session) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// adaptive memory: factor per display key.
var (
	adaptMu sync.Mutex
	adapt   = map[string]*adaptState{}
)

type adaptState struct {
	factor float64
	clean  int
}

const (
	adaptMin   = 0.25
	adaptMax   = 2.0
	adaptSteps = 3 // clean exchanges before lowering
)

func (s *Session) adaptKey() string {
	if s.opts.AdaptiveKey != "" {
		return s.opts.AdaptiveKey
	}
	return s.bus.Name()
}

// factor returns the current adaptive factor (1 when not adaptive).
func (s *Session) factor() float64 {
	if !s.opts.Adaptive {
		return 1
	}
	adaptMu.Lock()
	defer adaptMu.Unlock()
	a := adapt[s.adaptKey()]
	if a == nil {
		return 1
	}
	return a.factor
}

// AdaptiveFactor returns the factor the adaptive mode applies to the waits
// for key (1 when nothing has been learnt).
func AdaptiveFactor(key string) float64 {
	adaptMu.Lock()
	defer adaptMu.Unlock()
	if a := adapt[key]; a != nil {
		return a.factor
	}
	return 1
}

func (s *Session) learn(ok bool) {
	if !s.opts.Adaptive {
		return
	}
	adaptMu.Lock()
	defer adaptMu.Unlock()
	k := s.adaptKey()
	a := adapt[k]
	if a == nil {
		a = &adaptState{factor: 1}
		adapt[k] = a
	}
	if ok {
		a.clean++
		if a.clean >= adaptSteps && a.factor > adaptMin {
			a.factor = max(adaptMin, a.factor*0.8)
			a.clean = 0
		}
		return
	}
	a.clean = 0
	a.factor = min(adaptMax, max(1, a.factor*1.5)) // back to spec at least
}

func (s *Session) timing() Timing { return s.base.Scale(s.factor()) }

// exchange writes req and, when it wants a reply, reads and decodes it,
// honouring the protocol waits. The caller holds the bus lock.
func (s *Session) exchange(ctx context.Context, st *busState, req Request, gap time.Duration) (Reply, error) {
	frame, err := EncodeRequest(req)
	if err != nil {
		return nil, err
	}
	t := s.timing()
	w := time.Until(st.next)
	if w > 0 {
		s.count(func(x *Stats) { x.Slept += w })
	}
	// sleep returns ctx's error at once when no wait is due: a context that
	// has ended puts nothing on the wire.
	if err := sleep(ctx, w); err != nil {
		return nil, err
	}
	s.count(func(x *Stats) { x.Exchanges++ })
	if err := s.bus.Transfer(ctx, Msg{Addr: AddrDDCCI, Buf: frame}); err != nil {
		st.next = time.Now().Add(t.CommandGap)
		return nil, err
	}
	if !req.WantsReply() {
		if gap == 0 {
			gap = t.CommandGap
		}
		st.next = time.Now().Add(gap)
		return nil, nil
	}
	// Should ctx end during the reply delay, the display has still taken
	// a command: the next one on this bus must keep the gap.
	st.next = time.Now().Add(t.CommandGap)
	s.count(func(x *Stats) { x.Slept += t.ReplyDelay })
	if err := sleep(ctx, t.ReplyDelay); err != nil {
		return nil, err
	}
	buf := make([]byte, ReplyLen(req))
	err = s.bus.Transfer(ctx, Msg{Addr: AddrDDCCI, Read: true, Buf: buf})
	st.next = time.Now().Add(t.CommandGap)
	if err != nil {
		return nil, err
	}
	return DecodeReply(buf)
}

// retryable reports whether an exchange error is worth another try.
func retryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.Is(err, ErrNoDevice), errors.Is(err, ErrBusy), errors.Is(err, ErrPermission), errors.Is(err, ErrUnsupported):
		return false
	}
	return true
}

func (s *Session) noteErr(err error) {
	s.count(func(x *Stats) {
		switch {
		case errors.Is(err, ErrNullReply):
			x.NullReplies++
		case errors.Is(err, ErrChecksum):
			x.ChecksumErrors++
		case errors.Is(err, ErrAllZero):
			x.ZeroReads++
		default:
			x.OtherErrors++
		}
	})
}

// request runs one request with retries; check validates the reply and
// may turn it into an error (retryable or not).
func (s *Session) request(ctx context.Context, st *busState, req Request, tries int, check func(Reply) error) (Reply, error) {
	var last error
	for i := 0; i < tries; i++ {
		if i > 0 {
			s.count(func(x *Stats) { x.Retries++ })
		}
		rep, err := s.exchange(ctx, st, req, 0)
		if err == nil && check != nil {
			err = check(rep)
		}
		if err == nil {
			s.learn(true)
			return rep, nil
		}
		last = err
		if !retryable(err) {
			return nil, err
		}
		s.noteErr(err)
		s.learn(false)
	}
	return nil, fmt.Errorf("%w (after %d tries)", last, tries)
}

func (s *Session) lock(ctx context.Context) (*busState, func(), error) {
	return acquire(ctx, s.bus)
}

// GetVCP reads a VCP feature.
func (s *Session) GetVCP(ctx context.Context, code byte) (VCPReply, error) {
	st, unlock, err := s.lock(ctx)
	if err != nil {
		return VCPReply{}, err
	}
	defer unlock()
	return s.getVCP(ctx, st, code)
}

func (s *Session) getVCP(ctx context.Context, st *busState, code byte) (VCPReply, error) {
	q := s.quirks()
	rep, err := s.request(ctx, st, GetVCPRequest{Code: code}, s.opts.Retries.WriteRead, func(r Reply) error {
		switch r := r.(type) {
		case NullReply:
			if q.NullIsUnsupported {
				return ErrUnsupported
			}
			return ErrNullReply
		case VCPReply:
			if r.Code != code {
				return fmt.Errorf("%w: reply is for VCP 0x%02X, asked for 0x%02X", ErrMalformed, r.Code, code)
			}
			if r.Result == 1 {
				return ErrUnsupported
			}
			if r.Result != 0 {
				return fmt.Errorf("%w: result code 0x%02X", ErrMalformed, r.Result)
			}
			if q.ZeroIsUnsupported && r.Type == 0 && r.Max == 0 && r.Value == 0 {
				return ErrUnsupported
			}
			return nil
		}
		return fmt.Errorf("%w: unexpected reply % X to Get VCP", ErrMalformed, r.Payload())
	})
	if err != nil {
		return VCPReply{}, &FeatureError{Bus: s.bus.Name(), Code: code, Op: "get", Err: err}
	}
	return rep.(VCPReply), nil
}

// SetVCP sets a VCP feature. With Options.Verify it reads the value back.
func (s *Session) SetVCP(ctx context.Context, code byte, value uint16) error {
	return s.setVCP(ctx, code, value, s.opts.Verify)
}

// SetVCPVerified sets a VCP feature and reads it back, returning ErrVerify
// when the display reports another value.
func (s *Session) SetVCPVerified(ctx context.Context, code byte, value uint16) error {
	return s.setVCP(ctx, code, value, true)
}

func (s *Session) setVCP(ctx context.Context, code byte, value uint16, verify bool) error {
	st, unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.request(ctx, st, SetVCPRequest{Code: code, Value: value}, s.opts.Retries.WriteOnly, nil); err != nil {
		return &FeatureError{Bus: s.bus.Name(), Code: code, Op: "set", Err: err}
	}
	if !verify {
		return nil
	}
	r, err := s.getVCP(ctx, st, code)
	if err != nil {
		return err
	}
	if r.Value != value {
		return &FeatureError{Bus: s.bus.Name(), Code: code, Op: "verify",
			Err: fmt.Errorf("%w: wrote %d, read back %d", ErrVerify, value, r.Value)}
	}
	return nil
}

// SaveSettings asks the display to store its settings, then keeps the bus
// quiet for the save delay.
func (s *Session) SaveSettings(ctx context.Context) error {
	st, unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return s.writeOnly(ctx, st, SaveSettingsRequest{}, s.timing().SaveDelay)
}

// writeOnly sends a request without a reply, retrying failed writes up to
// Retries.WriteOnly times; gap is the quiet time after it (0: the command
// gap).
func (s *Session) writeOnly(ctx context.Context, st *busState, req Request, gap time.Duration) error {
	var err error
	for i := 0; i < s.opts.Retries.WriteOnly; i++ {
		if i > 0 {
			s.count(func(x *Stats) { x.Retries++ })
		}
		if _, err = s.exchange(ctx, st, req, gap); err == nil || !retryable(err) {
			return err
		}
		s.noteErr(err)
	}
	return fmt.Errorf("%w (after %d tries)", err, s.opts.Retries.WriteOnly)
}

// Send writes a request that has no reply (VCP reset, a raw Set).
func (s *Session) Send(ctx context.Context, req Request) error {
	if req.WantsReply() {
		return fmt.Errorf("ddc: %v expects a reply; use Request", Opcode(req.Payload()[0]))
	}
	st, unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return s.writeOnly(ctx, st, req, 0)
}

// Timing asks the display for its timing report.
func (s *Session) Timing(ctx context.Context) (TimingReply, error) {
	st, unlock, err := s.lock(ctx)
	if err != nil {
		return TimingReply{}, err
	}
	defer unlock()
	rep, err := s.request(ctx, st, TimingRequest{}, s.opts.Retries.WriteRead, func(r Reply) error {
		if _, ok := r.(TimingReply); ok {
			return nil
		}
		if _, ok := r.(NullReply); ok {
			return ErrNullReply
		}
		return fmt.Errorf("%w: unexpected reply % X to timing request", ErrMalformed, r.Payload())
	})
	if err != nil {
		return TimingReply{}, err
	}
	return rep.(TimingReply), nil
}

// maxMultiPart bounds a capabilities string or table (bytes).
const maxMultiPart = 64 << 10

// CapabilitiesString reads the display's capabilities string, fragment by
// fragment, until an empty fragment.
func (s *Session) CapabilitiesString(ctx context.Context) (string, error) {
	b, err := s.multiPart(ctx, func(off uint16) Request { return CapabilitiesRequest{Offset: off} }, OpCapabilitiesReply)
	if err != nil {
		return "", err
	}
	return string(bytes.TrimRight(b, "\x00")), nil
}

// Capabilities reads and parses the capabilities string.
func (s *Session) Capabilities(ctx context.Context) (*Capabilities, error) {
	raw, err := s.CapabilitiesString(ctx)
	if err != nil {
		return nil, err
	}
	return ParseCapabilities(raw)
}

// TableRead reads a table-type VCP feature.
func (s *Session) TableRead(ctx context.Context, code byte) ([]byte, error) {
	b, err := s.multiPart(ctx, func(off uint16) Request { return TableReadRequest{Code: code, Offset: off} }, OpTableReadReply)
	if err != nil {
		return nil, &FeatureError{Bus: s.bus.Name(), Code: code, Op: "table read", Err: err}
	}
	return b, nil
}

// TableWrite writes a table-type VCP feature in 32-byte fragments.
func (s *Session) TableWrite(ctx context.Context, code byte, data []byte) error {
	if len(data) > maxMultiPart {
		return fmt.Errorf("ddc: table of %d bytes exceeds %d", len(data), maxMultiPart)
	}
	st, unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	for off := 0; off < len(data) || off == 0; off += FragmentSize {
		end := min(off+FragmentSize, len(data))
		req := TableWriteRequest{Code: code, Offset: uint16(off), Data: data[off:end]}
		if _, err := s.request(ctx, st, req, s.opts.Retries.WriteOnly, nil); err != nil {
			return &FeatureError{Bus: s.bus.Name(), Code: code, Op: "table write", Err: err}
		}
		if len(data) == 0 {
			break
		}
	}
	return nil
}

func (s *Session) multiPart(ctx context.Context, mk func(uint16) Request, op Opcode) ([]byte, error) {
	st, unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []byte
	for {
		off := uint16(len(out))
		rep, err := s.request(ctx, st, mk(off), s.opts.Retries.MultiPart, func(r Reply) error {
			switch r := r.(type) {
			case FragmentReply:
				if r.Op != op {
					return fmt.Errorf("%w: reply opcode %v, want %v", ErrMalformed, r.Op, op)
				}
				if r.Offset != off {
					return fmt.Errorf("%w: fragment at offset %d, asked for %d", ErrMalformed, r.Offset, off)
				}
				return nil
			case NullReply:
				return ErrNullReply
			}
			return fmt.Errorf("%w: unexpected reply % X", ErrMalformed, r.Payload())
		})
		if err != nil {
			return nil, fmt.Errorf("ddc: multi-part read on %s at offset %d: %w", s.bus.Name(), off, err)
		}
		f := rep.(FragmentReply)
		if len(f.Data) == 0 {
			return out, nil
		}
		out = append(out, f.Data...)
		if len(out) > maxMultiPart {
			return nil, fmt.Errorf("ddc: multi-part read on %s: more than %d bytes without an end", s.bus.Name(), maxMultiPart)
		}
	}
}

// ReadEDID reads the display's EDID over I2C address 0x50, using the E-DDC
// segment pointer for blocks past the second.
func (s *Session) ReadEDID(ctx context.Context) ([]byte, error) {
	_, unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return ReadEDID(ctx, s.bus)
}

// edidReadTries is how often a block is read until it is valid (the
// kernel's drm_edid.c tries four times).
const edidReadTries = 4

// ReadEDID reads the EDID from bus without DDC/CI timing or locking (the
// EEPROM at 0x50 needs neither); Session.ReadEDID locks the bus first.
// Each block is read up to four times until its checksum is right.
func ReadEDID(ctx context.Context, bus Bus) ([]byte, error) {
	readBlock := func(n int) ([]byte, error) {
		buf := make([]byte, EDIDBlockSize)
		off := []byte{byte((n % 2) * EDIDBlockSize)}
		var err error
		if n < 2 {
			err = bus.Transfer(ctx, Msg{Addr: AddrEDID, Buf: off}, Msg{Addr: AddrEDID, Read: true, Buf: buf})
		} else {
			err = bus.Transfer(ctx, Msg{Addr: AddrSegment, Buf: []byte{byte(n / 2)}},
				Msg{Addr: AddrEDID, Buf: off}, Msg{Addr: AddrEDID, Read: true, Buf: buf})
		}
		if err != nil {
			return nil, fmt.Errorf("ddc: reading EDID block %d on %s: %w", n, bus.Name(), err)
		}
		return buf, nil
	}
	// As the kernel's DRM core does, read a block up to four times until
	// its checksum (and the base block's header) is right: a glitch on
	// the wires must not hand out a corrupt EDID, nor a wrong extension
	// count. A block still wrong after that is returned as read (the
	// parser reports its checksum).
	readValid := func(n int) ([]byte, error) {
		var b []byte
		for try := 0; try < edidReadTries; try++ {
			var err error
			if b, err = readBlock(n); err != nil {
				return nil, err
			}
			var sum byte
			for _, c := range b {
				sum += c
			}
			if sum == 0 && (n != 0 || bytes.Equal(b[:8], edidHeader)) {
				break
			}
			if n == 0 && try == 0 && allZero(b) {
				break // nothing drives the bus: no EDID, no use retrying
			}
		}
		return b, nil
	}
	b0, err := readValid(0)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(b0[:8], edidHeader) {
		return nil, &EDIDError{Msg: fmt.Sprintf("EDID read on %s has header % X", bus.Name(), b0[:8]), Kind: ErrMalformed}
	}
	out := b0
	for i := 1; i <= int(b0[126]); i++ {
		b, err := readValid(i)
		if err != nil {
			return out, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// ProbeQuirks learns how the display says "unsupported" by asking for
// features no display supports (0x41, then 0xDD), as ddcutil does. It
// records the answer in the session and returns it.
//
// Each probe is retried like any Get VCP: a null message is taken to mean
// "unsupported" only when every try came back null (a single one is a
// busy display), and the first conclusive answer decides: result code 01
// means the display uses the standard flag, all-zero values the zero
// style. A display that claims the probed feature exists is asked about
// the next one.
func (s *Session) ProbeQuirks(ctx context.Context) (Quirks, error) {
	st, unlock, err := s.lock(ctx)
	if err != nil {
		return Quirks{}, err
	}
	defer unlock()
	var q Quirks
probe:
	for _, code := range []byte{0x41, 0xDD} {
		nulls := 0
		rep, err := s.request(ctx, st, GetVCPRequest{Code: code}, s.opts.Retries.WriteRead, func(r Reply) error {
			switch r := r.(type) {
			case NullReply:
				nulls++
				return ErrNullReply
			case VCPReply:
				if r.Code != code {
					return fmt.Errorf("%w: reply is for VCP 0x%02X, asked for 0x%02X", ErrMalformed, r.Code, code)
				}
				return nil
			}
			return fmt.Errorf("%w: unexpected reply % X to Get VCP", ErrMalformed, r.Payload())
		})
		switch {
		case err == nil:
		case ctx.Err() != nil:
			// Interrupted, not answered: learn nothing, keep the
			// session's quirks.
			return Quirks{}, err
		case errors.Is(err, ErrNullReply) && nulls == s.opts.Retries.WriteRead:
			// Every try answered null: that is how it says unsupported.
			q.NullIsUnsupported = true
			break probe
		default:
			continue
		}
		r := rep.(VCPReply)
		switch {
		case r.Result == 1:
			break probe
		case r.Result == 0 && r.Type == 0 && r.Max == 0 && r.Value == 0:
			q.ZeroIsUnsupported = true
			break probe
		}
	}
	s.SetQuirks(q)
	return q, nil
}

// WaitReady waits until the bus may carry the next command (the command
// gap or save delay of the previous exchange has passed).
func (s *Session) WaitReady(ctx context.Context) error {
	st, unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	next := st.next
	unlock()
	return sleepUntil(ctx, next)
}
