package acmeutil

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseCertificates(t *testing.T) {
	c := selfSigned(t, t0, t0.Add(time.Hour), "pem.example.com")
	full := c.FullchainPEM()
	certs, err := ParseCertificates(full)
	if err != nil || len(certs) != 2 {
		t.Fatalf("fullchain: %d certs, %v", len(certs), err)
	}
	lines := bytes.Count(c.CertPEM, []byte("\n"))
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{nil, "no certificate"},
		{[]byte("  \n\n"), "no certificate"},
		{append(append([]byte{}, c.CertPEM...), "garbage\n"...), "line " + itoa(lines+1)},
		{append(append([]byte{}, c.CertPEM...), c.KeyPEM...), `"PRIVATE KEY"`},
		{[]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "certificate 1"},
		{[]byte("-----BEGIN CERTIFICATE-----\nnot base64"), "malformed"},
	} {
		_, err := ParseCertificates(tc.in)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCertificates(%.40q) = %v, want ErrCorrupt mentioning %q", tc.in, err, tc.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func FuzzParseCertificates(f *testing.F) {
	// A fixed seed (testdata/seed-fullchain.pem, made with openssl): fuzz
	// seeds must be the same in every fuzzing process.
	full, err := os.ReadFile(filepath.Join("testdata", "seed-fullchain.pem"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	f.Add(full[:len(full)/2])
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("junk"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificates(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error without ErrCorrupt: %v", err)
			}
			return
		}
		if len(certs) == 0 {
			t.Fatal("no error and no certificates")
		}
		// Re-encoding what was parsed parses to the same certificates.
		var der [][]byte
		for _, c := range certs {
			der = append(der, c.Raw)
		}
		again, err := ParseCertificates(encodeCerts(der))
		if err != nil || len(again) != len(certs) {
			t.Fatalf("re-parse: %d certs, %v", len(again), err)
		}
	})
}
