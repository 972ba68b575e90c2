package acmeutil

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// BenchmarkPlan10000 is the renewal decision over 10,000 stored
// certificates: read each one's metadata from a DirStorage and Decide.
// One op is the whole pass over the 10,000.
func BenchmarkPlan10000(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	s := &DirStorage{Root: b.TempDir(), NoSync: true}
	proto := selfSigned(b, t0, t0.Add(90*24*time.Hour), "proto.example.com")
	for i := 0; i < n; i++ {
		c := *proto
		c.Meta.Name = fmt.Sprintf("host%05d.example.com", i)
		c.Meta.Domains = []string{c.Meta.Name}
		c.Meta.Renewal.RenewAt = RenewalTime(c.Meta.NotBefore, c.Meta.NotAfter, nil, float64(i)/n)
		// Plan reads only the metadata; the PEM files are left out to keep
		// the set-up short.
		if err := os.MkdirAll(s.CertDir(c.Meta.Name), 0o700); err != nil {
			b.Fatal(err)
		}
		if err := s.SaveMetadata(ctx, &c.Meta); err != nil {
			b.Fatal(err)
		}
	}
	m := &Manager{Store: s, Now: func() time.Time { return t0.Add(59*24*time.Hour + 12*time.Hour) }}
	b.ResetTimer()
	for b.Loop() {
		plan, err := m.Plan(ctx)
		if err != nil || len(plan) != n {
			b.Fatalf("%d planned, %v", len(plan), err)
		}
		due := 0
		for _, p := range plan {
			if p.Err != nil {
				b.Fatal(p.Err)
			}
			if p.Decision.Renew {
				due++
			}
		}
		if due == 0 || due == n {
			b.Fatalf("%d of %d due: the decision is not discriminating", due, n)
		}
	}
}

// BenchmarkDecide is the pure decision for one certificate.
func BenchmarkDecide(b *testing.B) {
	m := &Metadata{NotBefore: t0, NotAfter: t0.Add(90 * 24 * time.Hour)}
	m.Renewal.RenewAt = RenewalTime(m.NotBefore, m.NotAfter, nil, 0.3)
	m.Renewal.ARINextCheck = t0.Add(time.Hour)
	now := t0.Add(30 * time.Minute)
	for b.Loop() {
		_ = Decide(m, now)
	}
}
