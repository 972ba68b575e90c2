package acmeutil

import (
	"errors"
	"math"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func TestDefaultWindowLifetimes(t *testing.T) {
	for _, tc := range []struct {
		life, left time.Duration
	}{
		{90 * 24 * time.Hour, 30 * 24 * time.Hour},
		{64 * 24 * time.Hour, 64 * 24 * time.Hour / 3},
		{45 * 24 * time.Hour, 15 * 24 * time.Hour},
		{6 * 24 * time.Hour, 3 * 24 * time.Hour},
		{160 * time.Hour, 80 * time.Hour},
	} {
		w := DefaultWindow(t0, t0.Add(tc.life))
		if got := t0.Add(tc.life).Sub(w.End); got != tc.left {
			t.Errorf("lifetime %v: window ends with %v left, want %v", tc.life, got, tc.left)
		}
		span := w.End.Sub(w.Start)
		if span <= 0 || span > 24*time.Hour || span > tc.life/20 {
			t.Errorf("lifetime %v: window span %v", tc.life, span)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	want := []time.Duration{0, time.Minute, 10 * time.Minute, 100 * time.Minute, 24 * time.Hour, 24 * time.Hour}
	for n, w := range want {
		if got := RetryDelay(n); got != w {
			t.Errorf("RetryDelay(%d) = %v, want %v", n, got, w)
		}
	}
}

// The chosen renewal time is always inside the window in use: the ARI
// window when valid, else the default one, which leaves at least a third
// (half for short certificates) of the lifetime.
func TestRenewalTimeInsideWindow(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		life := time.Duration(rapid.Int64Range(int64(time.Hour), int64(400*24*time.Hour)).Draw(t, "life"))
		nb := t0.Add(time.Duration(rapid.Int64Range(-1e15, 1e15).Draw(t, "shift")))
		na := nb.Add(life)
		u := rapid.Float64().Draw(t, "u")
		var ari *Window
		if rapid.Bool().Draw(t, "ari") {
			s := nb.Add(time.Duration(rapid.Int64Range(0, int64(life)).Draw(t, "start")))
			w := Window{Start: s, End: s.Add(time.Duration(rapid.Int64Range(1, int64(48*time.Hour)).Draw(t, "span")))}
			ari = &w
		}
		at := RenewalTime(nb, na, ari, u)
		w := DefaultWindow(nb, na)
		if ari != nil {
			w = *ari
		} else {
			left := life / 3
			if life < 10*24*time.Hour {
				left = life / 2
			}
			if na.Sub(at) < left {
				t.Fatalf("renews with %v left of %v, want at least %v", na.Sub(at), life, left)
			}
		}
		if at.Before(w.Start) || !at.Before(w.End) {
			t.Fatalf("renewal time %v outside [%v, %v)", at, w.Start, w.End)
		}
	})
}

func TestWindowAtClamps(t *testing.T) {
	w := Window{Start: t0, End: t0.Add(time.Hour)}
	for _, u := range []float64{-1, 0, 0.5, 1, 2, math.NaN(), math.Inf(1)} {
		at := w.At(u)
		if at.Before(w.Start) || !at.Before(w.End) {
			t.Errorf("At(%v) = %v outside the window", u, at)
		}
	}
}

func TestDecide(t *testing.T) {
	m := &Metadata{NotBefore: t0, NotAfter: t0.Add(90 * 24 * time.Hour)}
	m.Renewal.RenewAt = RenewalTime(m.NotBefore, m.NotAfter, nil, 0.5)
	m.Renewal.ARINextCheck = t0.Add(6 * time.Hour)

	if d := Decide(m, t0.Add(time.Hour)); d.Renew || d.CheckARI || !d.Next.Equal(m.Renewal.ARINextCheck) {
		t.Errorf("fresh certificate: %+v", d)
	}
	if d := Decide(m, t0.Add(7*time.Hour)); !d.CheckARI || d.Renew {
		t.Errorf("ARI due: %+v", d)
	}
	m.Renewal.ARINextCheck = t0.Add(1000 * 24 * time.Hour)
	if d := Decide(m, m.Renewal.RenewAt); !d.Renew {
		t.Errorf("at the renewal time: %+v", d)
	}
	if d := Decide(m, m.NotAfter.Add(time.Hour)); !d.Renew {
		t.Errorf("expired: %+v", d)
	}
	// A failure backs off, then retries.
	late := m.Renewal.RenewAt.Add(time.Hour)
	m.Renewal.recordFailure(late, errors.New("boom"))
	if d := Decide(m, late.Add(30*time.Second)); d.Renew || !d.Next.Equal(late.Add(time.Minute)) {
		t.Errorf("during backoff: %+v", d)
	}
	if d := Decide(m, late.Add(time.Minute)); !d.Renew {
		t.Errorf("after backoff: %+v", d)
	}
	m.Renewal.recordFailure(late, errors.New("boom"))
	if m.Renewal.NextAttempt.Sub(late) != 10*time.Minute {
		t.Errorf("second failure backs off %v", m.Renewal.NextAttempt.Sub(late))
	}
}

// A new ARI window gets a new random time; the same window keeps the time.
func TestApplyARI(t *testing.T) {
	var r RenewalState
	w := Window{Start: t0, End: t0.Add(24 * time.Hour)}
	r.applyARI(RenewalInfo{Window: w, RetryAfter: 6 * time.Hour}, t0.Add(-time.Hour), 0.25)
	if !r.RenewAt.Equal(t0.Add(6*time.Hour)) || !r.ARINextCheck.Equal(t0.Add(5*time.Hour)) {
		t.Fatalf("%+v", r)
	}
	r.applyARI(RenewalInfo{Window: w, RetryAfter: time.Hour}, t0, 0.75)
	if !r.RenewAt.Equal(t0.Add(6 * time.Hour)) {
		t.Errorf("same window moved the renewal time to %v", r.RenewAt)
	}
	w2 := Window{Start: t0.Add(-48 * time.Hour), End: t0.Add(-24 * time.Hour)}
	r.applyARI(RenewalInfo{Window: w2, RetryAfter: time.Hour}, t0, 0.5)
	m := &Metadata{NotBefore: t0.Add(-80 * 24 * time.Hour), NotAfter: t0.Add(10 * 24 * time.Hour), Renewal: r}
	if d := Decide(m, t0); !d.Renew {
		t.Errorf("window in the past must renew now: %+v", d)
	}
}

// Decide never says "renew" before the chosen time unless the certificate
// expired, and always gives a next time when it does not renew.
func TestDecideProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		life := time.Duration(rapid.Int64Range(int64(time.Hour), int64(100*24*time.Hour)).Draw(t, "life"))
		m := &Metadata{NotBefore: t0, NotAfter: t0.Add(life)}
		m.Renewal.RenewAt = RenewalTime(m.NotBefore, m.NotAfter, nil, rapid.Float64Range(0, 1).Draw(t, "u"))
		m.Renewal.ARINextCheck = t0.Add(time.Duration(rapid.Int64Range(0, int64(life)).Draw(t, "ari")))
		now := t0.Add(time.Duration(rapid.Int64Range(-int64(life), 2*int64(life)).Draw(t, "now")))
		d := Decide(m, now)
		if d.Renew && now.Before(m.Renewal.RenewAt) {
			t.Fatalf("renews at %v before %v", now, m.Renewal.RenewAt)
		}
		if !d.Renew && (d.Next.IsZero() || d.Next.Before(now) && !d.CheckARI) {
			t.Fatalf("no usable next time: %+v at %v", d, now)
		}
	})
}
