package acmeutil

import (
	"crypto/x509"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// The example in RFC 9773 section 4.1.
func TestCertIDRFCExample(t *testing.T) {
	c := &x509.Certificate{
		AuthorityKeyId: []byte{0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4},
		SerialNumber:   big.NewInt(0x87654321),
	}
	got, err := CertID(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"; got != want {
		t.Errorf("CertID = %q, want %q", got, want)
	}
	c.SerialNumber = big.NewInt(0x1234)
	if got, _ := CertID(c); !strings.HasSuffix(got, ".EjQ") {
		t.Errorf("positive serial without high bit: %q", got)
	}
	if _, err := CertID(&x509.Certificate{SerialNumber: big.NewInt(1)}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("no AKI: %v", err)
	}
}

func TestParseRenewalInfo(t *testing.T) {
	ri, err := ParseRenewalInfo([]byte(`{"suggestedWindow":{"start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"},"explanationURL":"https://acme.example.com/docs/ari"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !ri.Window.Start.Equal(time.Date(2025, 1, 2, 4, 0, 0, 0, time.UTC)) || ri.Window.End.Sub(ri.Window.Start) != 24*time.Hour || ri.ExplanationURL == "" {
		t.Errorf("got %+v", ri)
	}
	for _, tc := range []struct{ in, want string }{
		{`{}`, "suggestedWindow missing"},
		{`{"suggestedWindow":{"end":"2025-01-03T04:00:00Z"}}`, "suggestedWindow.start missing"},
		{`{"suggestedWindow":{"start":"2025-01-03T04:00:00Z"}}`, "suggestedWindow.end missing"},
		{`{"suggestedWindow":{"start":"2025-01-03T04:00:00Z","end":"2025-01-02T04:00:00Z"}}`, "not after start"},
		{`{"suggestedWindow":{"start":"yesterday","end":"2025-01-02T04:00:00Z"}}`, "yesterday"},
		{"{\n\"suggestedWindow\": [}", "line 2"},
		{`{"suggestedWindow":{"start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"},"explanationURL":"javascript:x"}`, "explanationURL"},
	} {
		_, err := ParseRenewalInfo([]byte(tc.in))
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseRenewalInfo(%s) = %v, want ErrCorrupt mentioning %q", tc.in, err, tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"120":                           2 * time.Minute,
		"-5":                            0,
		"soon":                          0,
		"Wed, 01 Jan 2025 00:10:00 GMT": 10 * time.Minute,
		"Tue, 31 Dec 2024 23:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseRenewalInfo(f *testing.F) {
	f.Add([]byte(`{"suggestedWindow":{"start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"}}`))
	f.Add([]byte(`{"suggestedWindow":{"start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"},"explanationURL":"https://x"}`))
	f.Add([]byte(`{"suggestedWindow":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ri, err := ParseRenewalInfo(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error without ErrCorrupt: %v", err)
			}
			return
		}
		if !ri.Window.Valid() {
			t.Fatalf("accepted an empty window %+v", ri.Window)
		}
		at := ri.Window.At(0.999999)
		if at.Before(ri.Window.Start) || !at.Before(ri.Window.End) {
			t.Fatalf("At outside window: %v %+v", at, ri.Window)
		}
	})
}
