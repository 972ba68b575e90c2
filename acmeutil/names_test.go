package acmeutil

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestValidateToken(t *testing.T) {
	for _, tok := range []string{"abc", "A-b_9", strings.Repeat("x", 256), "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"} {
		if err := ValidateToken(tok); err != nil {
			t.Errorf("ValidateToken(%q) = %v", tok, err)
		}
	}
	for _, tok := range []string{"", "../etc/passwd", "a/b", "..", ".", "a.b", "a b", "a\x00b", "%2e%2e", strings.Repeat("x", 257), "é"} {
		err := ValidateToken(tok)
		if !errors.Is(err, ErrInvalidToken) {
			t.Errorf("ValidateToken(%q) = %v, want ErrInvalidToken", tok, err)
		}
	}
	if err := ValidateToken("ab/cd"); !strings.Contains(err.Error(), "offset 2") {
		t.Errorf("error does not say where: %v", err)
	}
}

func TestValidateDomain(t *testing.T) {
	for _, d := range []string{"example.com", "a.b.example.com", "*.example.com", "xn--bcher-kva.example", "a-b.c0m", "1.example.com"} {
		if err := ValidateDomain(d); err != nil {
			t.Errorf("ValidateDomain(%q) = %v", d, err)
		}
	}
	for _, d := range []string{"", "localhost", "Example.com", "ex ample.com", "a..b", ".example.com", "example.com.", "-a.com", "a-.com", "a_b.com", "*.*.com", "a.*.com", "*", "192.168.0.1", "ex/ample.com", "exa;mple.com", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 127) + "com"} {
		if err := ValidateDomain(d); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateDomain(%q) = %v, want ErrInvalidName", d, err)
		}
	}
	if err := validateDomains([]string{"a.com", "a.com"}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("duplicate names: %v", err)
	}
}

// A valid token is always a single, harmless path element.
func TestValidateTokenProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tok := rapid.String().Draw(t, "token")
		if ValidateToken(tok) != nil {
			return
		}
		if filepath.Base(tok) != tok || tok == "." || tok == ".." || strings.ContainsAny(tok, "/\\.\x00") {
			t.Fatalf("accepted unsafe token %q", tok)
		}
		joined := filepath.Join("/webroot/.well-known/acme-challenge", tok)
		if filepath.Dir(joined) != "/webroot/.well-known/acme-challenge" {
			t.Fatalf("token %q escapes: %s", tok, joined)
		}
	})
}

// Generated valid names are accepted; any byte outside the alphabet is refused.
func TestValidateDomainProperty(t *testing.T) {
	label := rapid.StringMatching(`[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?`)
	rapid.Check(t, func(t *rapid.T) {
		labels := rapid.SliceOfN(label, 1, 4).Draw(t, "labels")
		name := strings.Join(labels, ".") + ".example"
		if err := ValidateDomain(name); err != nil {
			t.Fatalf("ValidateDomain(%q) = %v", name, err)
		}
		bad := rapid.SampledFrom([]string{"_", " ", "/", "A", ";", "\n", "é", "'"}).Draw(t, "bad")
		i := rapid.IntRange(0, len(name)-1).Draw(t, "at")
		broken := name[:i] + bad + name[i+1:]
		if ValidateDomain(broken) == nil {
			t.Fatalf("accepted %q", broken)
		}
	})
}

func FuzzValidateToken(f *testing.F) {
	for _, s := range []string{"abc", "../x", "a/b", "", "..", "A_-z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if ValidateToken(tok) == nil && (filepath.Base(tok) != tok || strings.ContainsAny(tok, "./\\")) {
			t.Fatalf("accepted unsafe token %q", tok)
		}
	})
}

func FuzzValidateDomain(f *testing.F) {
	for _, s := range []string{"example.com", "*.a.b", "a..b", "-a.com", "xn--x.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		if ValidateDomain(d) != nil {
			return
		}
		if strings.ContainsAny(d, "/ ;{}\"'\\$\n\x00") || strings.Contains(d, "..") || len(d) > 253 {
			t.Fatalf("accepted %q", d)
		}
	})
}
