package acmeutil

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func sampleMeta() *Metadata {
	return &Metadata{
		Version: MetadataVersion, Name: "_.example.com", Domains: []string{"*.example.com", "example.com"},
		KeyType: KeyEC256, Server: "https://ca.example/dir", OrderURL: "https://ca.example/order/1",
		Serial: "abc", NotBefore: t0, NotAfter: t0.Add(90 * 24 * time.Hour), IssuedAt: t0,
		Issue:   IssueSettings{Webroot: "/var/www"},
		Renewal: RenewalState{RenewAt: t0.Add(60 * 24 * time.Hour), ARI: &Window{Start: t0, End: t0.Add(time.Hour)}},
		Install: &InstallSpec{KeyFile: "/etc/ssl/k.pem", FullchainFile: "/etc/ssl/f.pem", ReloadCmd: []string{"nginx", "-s", "reload"}},
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	m := sampleMeta()
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseMetadata(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Error(diff)
	}
}

func TestParseMetadataErrors(t *testing.T) {
	good, _ := sampleMeta().Marshal()
	for _, tc := range []struct {
		edit func(string) string
		want string
	}{
		{func(s string) string { return s[:len(s)/2] }, "offset"},
		{func(s string) string { return strings.Replace(s, `"version": 1`, `"version": 2`, 1) }, "field version"},
		{func(s string) string { return strings.Replace(s, `"name": "_.example.com"`, `"name": "../etc"`, 1) }, "field name"},
		{func(s string) string { return strings.Replace(s, `"example.com"`, `"exa mple.com"`, 1) }, "field domains"},
		{func(s string) string { return strings.Replace(s, `"version": 1`, `"version": 1, "extra": 1`, 1) }, "unknown field"},
		{func(s string) string { return strings.Replace(s, `"key_type": "ec-256"`, `"key_type": "dsa"`, 1) }, "key_type"},
		{func(s string) string {
			return strings.Replace(s, `"key_file": "/etc/ssl/k.pem"`, `"key_file": "k.pem"`, 1)
		}, "install"},
		{func(s string) string { return strings.Replace(s, `"version": 1`, `"version": "1"`, 1) }, "version"},
		{func(s string) string { return s + "{}" }, "after the JSON object"},
	} {
		in := tc.edit(string(good))
		_, err := ParseMetadata([]byte(in))
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want ErrCorrupt mentioning %q", err, tc.want)
		}
	}
}

// Any metadata that validates survives a Marshal/Parse round trip.
func TestMetadataRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := sampleMeta()
		m.Domains = []string{rapid.StringMatching(`[a-z][a-z0-9-]{0,10}[a-z]\.example\.(com|net)`).Draw(t, "domain")}
		m.Name = CertName(m.Domains[0])
		m.NotAfter = m.NotBefore.Add(time.Duration(rapid.Int64Range(1, 1e17).Draw(t, "life")))
		m.Renewal.Failures = rapid.IntRange(0, 100).Draw(t, "failures")
		m.Renewal.LastError = rapid.String().Draw(t, "lasterr")
		if rapid.Bool().Draw(t, "noinstall") {
			m.Install = nil
		}
		data, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseMetadata(data)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Fatal(diff)
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	good, _ := sampleMeta().Marshal()
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":1,"name":"a.com","domains":["a.com"],"not_before":"2025-01-01T00:00:00Z","not_after":"2025-02-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error without ErrCorrupt: %v", err)
			}
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseMetadata(out)
		if err != nil {
			t.Fatalf("re-parse of marshalled metadata: %v", err)
		}
		if diff := cmp.Diff(m, m2); diff != "" {
			t.Fatal(diff)
		}
	})
}
