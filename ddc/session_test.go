package ddc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/ddc/ddctest"
)

// fast is the timing multiplier unit tests use for both sides: the
// protocol's shape at a hundredth of its waits.
const fast = 0.01

func newPair(t *testing.T, cfg ddctest.Config, opts ddc.Options) (*ddctest.Monitor, *ddc.Session) {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = t.Name()
	}
	if cfg.Multiplier == 0 {
		cfg.Multiplier = fast
	}
	if opts.SleepMultiplier == 0 {
		opts.SleepMultiplier = fast
	}
	m := ddctest.New(cfg)
	return m, ddc.NewSession(m, &opts)
}

func TestSessionGetSet(t *testing.T) {
	ctx := context.Background()
	m, s := newPair(t, ddctest.Config{}, ddc.Options{})
	r, err := s.GetVCP(ctx, 0x10)
	if err != nil || r.Value != 50 || r.Max != 100 {
		t.Fatalf("get: %+v %v", r, err)
	}
	if err := s.SetVCP(ctx, 0x10, 70); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Feature(0x10); f.Value != 70 {
		t.Errorf("monitor has %d after set", f.Value)
	}
	if r, err := s.GetVCP(ctx, 0x10); err != nil || r.Value != 70 {
		t.Errorf("get after set: %+v %v", r, err)
	}
	w := m.Writes()
	if len(w) != 3 || !bytes.Equal(w[0], []byte{0x51, 0x82, 0x01, 0x10, 0xAC}) || !bytes.Equal(w[1], []byte{0x51, 0x84, 0x03, 0x10, 0x00, 0x46, 0xEE}) {
		t.Errorf("frames written: % X", w)
	}
	if m.TooSoon() != 0 {
		t.Errorf("%d timing violations: %v", m.TooSoon(), m.Records())
	}
	if err := s.SaveSettings(ctx); err != nil {
		t.Fatal(err)
	}
	// The next command waits out the save delay: no violation.
	if _, err := s.GetVCP(ctx, 0x12); err != nil || m.TooSoon() != 0 {
		t.Errorf("after save: %v, %d violations", err, m.TooSoon())
	}
	if tr, err := s.Timing(ctx); err != nil || tr.VFreq != 5995 {
		t.Errorf("timing: %+v %v", tr, err)
	}
}

func TestSessionVerify(t *testing.T) {
	ctx := context.Background()
	_, s := newPair(t, ddctest.Config{}, ddc.Options{})
	if err := s.SetVCPVerified(ctx, 0x10, 30); err != nil {
		t.Errorf("verified set: %v", err)
	}
	// The monitor clamps to its maximum, so the read-back differs.
	err := s.SetVCPVerified(ctx, 0x10, 150)
	var fe *ddc.FeatureError
	if !errors.Is(err, ddc.ErrVerify) || !errors.As(err, &fe) || fe.Code != 0x10 {
		t.Errorf("clamped set: %v", err)
	}
	// Options.Verify applies to SetVCP; a read-only feature fails it.
	_, s2 := newPair(t, ddctest.Config{Name: t.Name() + "2"}, ddc.Options{Verify: true})
	if err := s2.SetVCP(ctx, 0xDF, 0x0300); !errors.Is(err, ddc.ErrVerify) {
		t.Errorf("set of read-only feature with Verify: %v", err)
	}
}

// TestUnsupportedThreeWays: result code 01, the null message and all-zero
// values all end as ErrUnsupported once ProbeQuirks has learnt the style.
func TestUnsupportedThreeWays(t *testing.T) {
	ctx := context.Background()
	for _, style := range []ddctest.Unsupported{ddctest.ResultCode, ddctest.NullMessage, ddctest.ZeroValues} {
		t.Run(fmt.Sprint(style), func(t *testing.T) {
			m, s := newPair(t, ddctest.Config{Unsupported: style}, ddc.Options{Retries: ddc.Retries{WriteRead: 3}})
			q, err := s.ProbeQuirks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if q.NullIsUnsupported != (style == ddctest.NullMessage) || q.ZeroIsUnsupported != (style == ddctest.ZeroValues) {
				t.Errorf("quirks %+v for style %v", q, style)
			}
			before := m.Requests()
			_, err = s.GetVCP(ctx, 0x41)
			if !errors.Is(err, ddc.ErrUnsupported) {
				t.Errorf("get unsupported: %v", err)
			}
			if n := m.Requests() - before; n != 1 {
				t.Errorf("%d requests for an unsupported feature, want 1 (no retries)", n)
			}
			if r, err := s.GetVCP(ctx, 0x10); err != nil || r.Value != 50 {
				t.Errorf("supported feature: %+v %v", r, err)
			}
		})
	}
}

func TestNullRetriesBounded(t *testing.T) {
	m, s := newPair(t, ddctest.Config{Faults: ddctest.Faults{Null: 1}}, ddc.Options{Retries: ddc.Retries{WriteRead: 4}})
	_, err := s.GetVCP(context.Background(), 0x10)
	if !errors.Is(err, ddc.ErrNullReply) || !strings.Contains(err.Error(), "after 4 tries") {
		t.Errorf("err = %v", err)
	}
	if m.Requests() != 4 {
		t.Errorf("%d requests, want 4", m.Requests())
	}
	if st := s.Stats(); st.NullReplies != 4 || st.Retries != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestRetriesRecoverFromFaults(t *testing.T) {
	m, s := newPair(t, ddctest.Config{Faults: ddctest.Faults{Null: 0.2, Checksum: 0.15, Zero: 0.1, DoubledAddress: 0.2, Seed: 7}}, ddc.Options{})
	ctx := context.Background()
	for i := 0; i < 40; i++ {
		v := uint16(i)
		if err := s.SetVCP(ctx, 0x12, v); err != nil {
			t.Fatal(err)
		}
		r, err := s.GetVCP(ctx, 0x12)
		if err != nil || r.Value != v {
			t.Fatalf("round %d: %+v %v", i, r, err)
		}
	}
	st := s.Stats()
	if st.Retries == 0 || st.NullReplies == 0 || st.ChecksumErrors == 0 || st.ZeroReads == 0 {
		t.Errorf("faults were not exercised: %+v", st)
	}
	if m.TooSoon() != 0 {
		t.Errorf("%d timing violations", m.TooSoon())
	}
}

// TestDoubledAddress: a display that doubles the leading 0x6E is read
// without a single retry.
func TestDoubledAddress(t *testing.T) {
	_, s := newPair(t, ddctest.Config{Faults: ddctest.Faults{DoubledAddress: 1}}, ddc.Options{})
	ctx := context.Background()
	if r, err := s.GetVCP(ctx, 0x10); err != nil || r.Value != 50 {
		t.Fatalf("%+v %v", r, err)
	}
	if c, err := s.CapabilitiesString(ctx); err != nil || !strings.HasPrefix(c, "(prot(monitor)") {
		t.Fatalf("caps %q %v", c, err)
	}
	if st := s.Stats(); st.Retries != 0 {
		t.Errorf("%d retries", st.Retries)
	}
}

// TestTimingEnforced: a host that does not wait gets nothing useful from
// a monitor at spec timing.
func TestTimingEnforced(t *testing.T) {
	m, s := newPair(t, ddctest.Config{Multiplier: 1}, ddc.Options{SleepMultiplier: 0.0001, Retries: ddc.Retries{WriteRead: 3}})
	if _, err := s.GetVCP(context.Background(), 0x10); !errors.Is(err, ddc.ErrNullReply) {
		t.Errorf("hurried get: %v", err)
	}
	if m.TooSoon() == 0 {
		t.Error("the monitor saw no timing violation")
	}
	found := false
	for _, r := range m.Records() {
		found = found || strings.HasPrefix(r.Note, "too soon")
	}
	if !found {
		t.Error("no record notes the violation")
	}
}

func TestCapabilitiesMultiPart(t *testing.T) {
	m, s := newPair(t, ddctest.Config{}, ddc.Options{})
	raw, err := s.CapabilitiesString(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := ddctest.New(ddctest.Config{}).Capabilities()
	if raw != want {
		t.Fatalf("read %q\nwant %q", raw, want)
	}
	frags := (len(want)+ddc.FragmentSize-1)/ddc.FragmentSize + 1 // and the empty one
	w := m.Writes()
	if len(w) != frags {
		t.Errorf("%d fragment requests, want %d", len(w), frags)
	}
	for i, f := range w {
		off := int(f[3])<<8 | int(f[4])
		if f[2] != 0xF3 || off != min(i*ddc.FragmentSize, len(want)) {
			t.Errorf("request %d: % X", i, f)
		}
	}
	c, err := s.Capabilities(context.Background())
	if err != nil || !c.Supports(0x10) || c.MCCSVersion != ddc.V22 {
		t.Errorf("parsed: %+v %v", c, err)
	}
}

func TestTableReadWrite(t *testing.T) {
	ctx := context.Background()
	feats := ddctest.DefaultFeatures()
	feats[0xE0] = ddctest.Feature{}
	_, s := newPair(t, ddctest.Config{Features: feats}, ddc.Options{})
	lut, err := s.TableRead(ctx, 0x73)
	if err != nil || len(lut) != 9 {
		t.Fatalf("table read: % X %v", lut, err)
	}
	data := bytes.Repeat([]byte("0123456789"), 7)
	if err := s.TableWrite(ctx, 0xE0, data); err != nil {
		t.Fatal(err)
	}
	back, err := s.TableRead(ctx, 0xE0)
	if err != nil || !bytes.Equal(back, data) {
		t.Errorf("read back %q, %v", back, err)
	}
}

// scriptedBus answers every DDC/CI read with the next scripted frame.
type scriptedBus struct {
	name    string
	replies [][]byte
	n       int
}

func (b *scriptedBus) Name() string { return b.name }
func (b *scriptedBus) Close() error { return nil }
func (b *scriptedBus) Transfer(ctx context.Context, msgs ...ddc.Msg) error {
	for _, m := range msgs {
		if m.Read {
			copy(m.Buf, b.replies[min(b.n, len(b.replies)-1)])
			b.n++
		}
	}
	return nil
}

func TestFragmentOffsetMismatch(t *testing.T) {
	bad, _ := ddc.EncodeReply(ddc.FragmentReply{Op: ddc.OpCapabilitiesReply, Offset: 7, Data: []byte("(vcp")})
	b := &scriptedBus{name: t.Name(), replies: [][]byte{bad}}
	s := ddc.NewSession(b, &ddc.Options{SleepMultiplier: fast, Retries: ddc.Retries{MultiPart: 2}})
	_, err := s.CapabilitiesString(context.Background())
	if err == nil || !strings.Contains(err.Error(), "offset 7, asked for 0") {
		t.Errorf("err = %v", err)
	}
	// A reply about another feature is also refused.
	other, _ := ddc.EncodeReply(ddc.VCPReply{Code: 0x12, Max: 100, Value: 1})
	b2 := &scriptedBus{name: t.Name() + "2", replies: [][]byte{other}}
	s2 := ddc.NewSession(b2, &ddc.Options{SleepMultiplier: fast, Retries: ddc.Retries{WriteRead: 2}})
	if _, err := s2.GetVCP(context.Background(), 0x10); !errors.Is(err, ddc.ErrMalformed) {
		t.Errorf("wrong feature: %v", err)
	}
}

func TestContextCancel(t *testing.T) {
	_, s := newPair(t, ddctest.Config{Multiplier: 1}, ddc.Options{SleepMultiplier: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := s.GetVCP(ctx, 0x10); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := s.CapabilitiesString(ctx2); !errors.Is(err, context.Canceled) {
		t.Errorf("caps with cancelled context: %v", err)
	}
}

// TestExclusiveAccess: sessions on the same bus from many goroutines never
// interleave their exchanges, and share the bus's timing.
func TestExclusiveAccess(t *testing.T) {
	m := ddctest.New(ddctest.Config{Name: t.Name(), Multiplier: fast})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := ddc.NewSession(m, &ddc.Options{SleepMultiplier: fast, Retries: ddc.Retries{WriteRead: 1}})
			for i := 0; i < 5; i++ {
				if _, err := s.GetVCP(context.Background(), 0x10); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m.TooSoon() != 0 {
		t.Errorf("%d timing violations: exchanges overlapped", m.TooSoon())
	}
}

func TestAdaptive(t *testing.T) {
	key := "adaptive-" + t.Name()
	// A monitor that needs only a third of the spec waits.
	m := ddctest.New(ddctest.Config{Name: t.Name(), Multiplier: fast / 3})
	s := ddc.NewSession(m, &ddc.Options{SleepMultiplier: fast, Adaptive: true, AdaptiveKey: key})
	ctx := context.Background()
	for i := 0; i < 30; i++ {
		if _, err := s.GetVCP(ctx, 0x10); err != nil {
			t.Fatal(err)
		}
	}
	low := ddc.AdaptiveFactor(key)
	if low >= 1 {
		t.Fatalf("factor %v after 30 clean exchanges, want < 1", low)
	}
	// Errors push the waits back up to at least the spec.
	bad := ddctest.New(ddctest.Config{Name: t.Name() + "-bad", Multiplier: fast, Faults: ddctest.Faults{Null: 1}})
	s2 := ddc.NewSession(bad, &ddc.Options{SleepMultiplier: fast, Adaptive: true, AdaptiveKey: key, Retries: ddc.Retries{WriteRead: 2}})
	_, _ = s2.GetVCP(ctx, 0x10)
	if f := ddc.AdaptiveFactor(key); f < 1 {
		t.Errorf("factor %v after errors, want >= 1 (was %v)", f, low)
	}
}

func TestDetect(t *testing.T) {
	var buses []ddc.Bus
	for i := 0; i < 4; i++ {
		buses = append(buses, ddctest.New(ddctest.Config{Name: fmt.Sprintf("%s-%d", t.Name(), i), Multiplier: fast}))
	}
	buses = append(buses, ddctest.New(ddctest.Config{Name: t.Name() + "-noddc", Multiplier: fast, NoDDC: true}))
	ds := ddc.Detect(context.Background(), buses, &ddc.Options{SleepMultiplier: fast})
	for i, d := range ds[:4] {
		if !d.DDC || d.MCCSVersion != ddc.V22 || d.EDID == nil || d.EDID.Name != "HK Sim 27" || d.Err != nil {
			t.Errorf("display %d: %+v", i, d)
		}
	}
	if d := ds[4]; d.DDC || d.EDID == nil || !errors.Is(d.Err, ddc.ErrNoDevice) {
		t.Errorf("no-DDC display: %+v", d)
	}
}

// flakyBus fails the first n writes, as a bus does when the display
// does not acknowledge.
type flakyBus struct {
	*ddctest.Monitor
	n int
}

func (b *flakyBus) Transfer(ctx context.Context, msgs ...ddc.Msg) error {
	if b.n > 0 && !msgs[0].Read {
		b.n--
		return errors.New("i/o error (no ack)")
	}
	return b.Monitor.Transfer(ctx, msgs...)
}

func TestWriteRetries(t *testing.T) {
	m := ddctest.New(ddctest.Config{Name: t.Name(), Multiplier: fast})
	s := ddc.NewSession(&flakyBus{Monitor: m, n: 3}, &ddc.Options{SleepMultiplier: fast})
	if err := s.SetVCP(context.Background(), 0x10, 42); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Feature(0x10); f.Value != 42 || s.Stats().Retries != 3 {
		t.Errorf("value %d, stats %+v", f.Value, s.Stats())
	}
	s2 := ddc.NewSession(&flakyBus{Monitor: m, n: 10}, &ddc.Options{SleepMultiplier: fast, Retries: ddc.Retries{WriteOnly: 2}})
	if err := s2.SaveSettings(context.Background()); err == nil || !strings.Contains(err.Error(), "after 2 tries") {
		t.Errorf("save on a dead bus: %v", err)
	}
}
