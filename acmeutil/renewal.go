package acmeutil

import (
	"fmt"
	"time"
)

// Window is a time span [Start, End).
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Valid reports whether the window is non-empty.
func (w Window) Valid() bool { return !w.Start.IsZero() && w.End.After(w.Start) }

// At returns the point a fraction u (0 <= u < 1) into the window. u outside
// [0,1) is clamped, so the result is always within [Start, End).
func (w Window) At(u float64) time.Time {
	if !(u >= 0) { // also catches NaN
		u = 0
	}
	span := w.End.Sub(w.Start)
	off := time.Duration(u * float64(span))
	if off >= span {
		off = span - 1
	}
	if off < 0 {
		off = 0
	}
	return w.Start.Add(off)
}

// shortLifetime is the lifetime below which half of it, not a third, is left
// when renewing without ARI.
const shortLifetime = 10 * 24 * time.Hour

// DefaultWindow is the renewal window used when the CA gives no ARI window:
// it ends when a third of the lifetime is left (half for certificates of
// less than 10 days) and spans a twentieth of the lifetime, at most a day,
// so renewals of many certificates spread over the time of day.
func DefaultWindow(notBefore, notAfter time.Time) Window {
	life := notAfter.Sub(notBefore)
	if life <= 0 {
		return Window{Start: notBefore, End: notBefore.Add(time.Second)}
	}
	left := life / 3
	if life < shortLifetime {
		left = life / 2
	}
	end := notAfter.Add(-left)
	span := min(life/20, 24*time.Hour)
	if span <= 0 {
		span = time.Second
	}
	return Window{Start: end.Add(-span), End: end}
}

// RenewalTime chooses when to renew a certificate valid from notBefore to
// notAfter: at fraction u (a uniform random number in [0,1)) into the ARI
// window when ari is a valid window, else into DefaultWindow.
func RenewalTime(notBefore, notAfter time.Time, ari *Window, u float64) time.Time {
	if ari != nil && ari.Valid() {
		return ari.At(u)
	}
	return DefaultWindow(notBefore, notAfter).At(u)
}

// RetryDelay is how long to wait before the next attempt after the given
// number of consecutive failures: 1 minute, 10 minutes, 100 minutes, then
// daily. It is 0 for 0 failures.
func RetryDelay(failures int) time.Duration {
	switch {
	case failures <= 0:
		return 0
	case failures == 1:
		return time.Minute
	case failures == 2:
		return 10 * time.Minute
	case failures == 3:
		return 100 * time.Minute
	}
	return 24 * time.Hour
}

// RenewalState is the renewal bookkeeping kept in a certificate's metadata.
type RenewalState struct {
	// ARI is the CA's last suggested window, if it gave one.
	ARI *Window `json:"ari,omitempty"`
	// ARIExplanation is the CA's explanation URL for the window.
	ARIExplanation string `json:"ari_explanation,omitempty"`
	// ARICheckedAt is when ARI was last fetched; ARINextCheck when to fetch again.
	ARICheckedAt time.Time `json:"ari_checked_at,omitzero"`
	ARINextCheck time.Time `json:"ari_next_check,omitzero"`
	// RenewAt is the chosen renewal time (random inside the window).
	RenewAt time.Time `json:"renew_at"`
	// Failures counts consecutive failed renewal attempts.
	Failures int `json:"failures,omitempty"`
	// LastAttempt, LastError: the last failed attempt.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// NextAttempt is the earliest retry after a failure.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// Decision is what to do about one certificate now.
type Decision struct {
	// Renew is true when the certificate should be renewed now.
	Renew bool
	// CheckARI is true when the ARI window should be fetched first.
	CheckARI bool
	// Next is when to look again if nothing is done now.
	Next time.Time
	// Reason says why, for logs and status output.
	Reason string
}

// Decide is the renewal decision for certificate metadata m at time now.
// It is pure: it reads m and returns what to do.
func Decide(m *Metadata, now time.Time) Decision {
	r := &m.Renewal
	var d Decision
	d.CheckARI = !r.ARINextCheck.After(now)
	renewAt := r.RenewAt
	if renewAt.IsZero() {
		renewAt = DefaultWindow(m.NotBefore, m.NotAfter).End
	}
	switch {
	case r.Failures > 0 && now.Before(r.NextAttempt):
		d.Next = r.NextAttempt
		d.Reason = fmt.Sprintf("retry %d after failure at %s", r.Failures+1, r.NextAttempt.Format(time.RFC3339))
	case !now.Before(m.NotAfter):
		d.Renew = true
		d.Reason = "certificate expired at " + m.NotAfter.Format(time.RFC3339)
	case !now.Before(renewAt):
		d.Renew = true
		if r.ARI != nil {
			d.Reason = fmt.Sprintf("inside the CA's renewal window %s .. %s", r.ARI.Start.Format(time.RFC3339), r.ARI.End.Format(time.RFC3339))
		} else {
			d.Reason = "less than " + fractionLeft(m) + " of the lifetime left"
		}
		if r.Failures > 0 {
			d.Reason += fmt.Sprintf(" (retry %d)", r.Failures+1)
		}
	default:
		d.Next = renewAt
		d.Reason = "renewal due at " + renewAt.Format(time.RFC3339)
	}
	if d.CheckARI {
		d.Next = now
	} else if !d.Renew && r.ARINextCheck.Before(d.Next) {
		d.Next = r.ARINextCheck
	}
	return d
}

func fractionLeft(m *Metadata) string {
	if m.NotAfter.Sub(m.NotBefore) < shortLifetime {
		return "half"
	}
	return "a third"
}

// applyARI records a fetched ARI answer: a new window gets a new random
// renewal time inside it; the same window keeps the time already chosen.
func (r *RenewalState) applyARI(ri RenewalInfo, now time.Time, u float64) {
	r.ARICheckedAt = now
	r.ARINextCheck = now.Add(ri.RetryAfter)
	r.ARIExplanation = ri.ExplanationURL
	if r.ARI != nil && r.ARI.Start.Equal(ri.Window.Start) && r.ARI.End.Equal(ri.Window.End) && !r.RenewAt.IsZero() {
		return
	}
	w := ri.Window
	r.ARI = &w
	r.RenewAt = w.At(u)
}

// recordFailure counts a failed attempt and schedules the next.
func (r *RenewalState) recordFailure(now time.Time, err error) {
	r.Failures++
	r.LastAttempt = now
	r.LastError = err.Error()
	r.NextAttempt = now.Add(RetryDelay(r.Failures))
}
