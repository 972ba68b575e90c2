package webdeploy_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
	"pgregory.net/rapid"
)

// GitHub's documented test vector (validating-webhook-deliveries).
const (
	ghSecret = "It's a Secret to Everybody"
	ghBody   = "Hello, World!"
	ghSig256 = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	ghSig1   = "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59" // computed, not documented
)

func mustVerifier(t testing.TB, c webdeploy.VerifierConfig) *webdeploy.Verifier {
	t.Helper()
	v, err := webdeploy.NewVerifier(c)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestGitHubDocumentedVector(t *testing.T) {
	v := mustVerifier(t, webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte(ghSecret)})
	if err := v.Verify(hdr("X-Hub-Signature-256", ghSig256), []byte(ghBody), time.Now()); err != nil {
		t.Fatalf("documented vector rejected: %v", err)
	}
	// Upper-case hex is the same signature.
	if err := v.Verify(hdr("X-Hub-Signature-256", strings.ToUpper(ghSig256[7:])), []byte(ghBody), time.Now()); err == nil {
		t.Fatal("accepted a signature without the sha256= prefix")
	}
	// Our signer produces exactly the documented header.
	h := http.Header{}
	v.Sign(h, []byte(ghBody), "id", time.Now())
	if got := h.Get("X-Hub-Signature-256"); got != ghSig256 {
		t.Fatalf("Sign = %q, want %q", got, ghSig256)
	}
}

func TestGitHubSHA1OnlyWhenAllowed(t *testing.T) {
	h := hdr("X-Hub-Signature", ghSig1)
	strict := mustVerifier(t, webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte(ghSecret)})
	err := strict.Verify(h, []byte(ghBody), time.Now())
	if !errors.Is(err, webdeploy.ErrNoSignature) || !strings.Contains(err.Error(), "allow_sha1") {
		t.Fatalf("SHA-1 accepted or unhelpful error without allow_sha1: %v", err)
	}
	lax := mustVerifier(t, webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte(ghSecret), AllowSHA1: true})
	if err := lax.Verify(h, []byte(ghBody), time.Now()); err != nil {
		t.Fatalf("SHA-1 rejected with allow_sha1: %v", err)
	}
}

func TestSignatureFailures(t *testing.T) {
	v := mustVerifier(t, webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte(ghSecret)})
	body := []byte(ghBody)
	for _, tc := range []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"missing", http.Header{}, body, webdeploy.ErrNoSignature},
		{"wrong", hdr("X-Hub-Signature-256", "sha256="+strings.Repeat("ab", 32)), body, webdeploy.ErrBadSignature},
		{"truncated", hdr("X-Hub-Signature-256", ghSig256[:len(ghSig256)-2]), body, webdeploy.ErrMalformedSignature},
		{"not hex", hdr("X-Hub-Signature-256", "sha256="+strings.Repeat("zz", 32)), body, webdeploy.ErrMalformedSignature},
		{"no prefix", hdr("X-Hub-Signature-256", ghSig256[7:]), body, webdeploy.ErrMalformedSignature},
		{"other body", hdr("X-Hub-Signature-256", ghSig256), []byte("Hello, World?"), webdeploy.ErrBadSignature},
	} {
		err := v.Verify(tc.h, tc.body, time.Now())
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
			continue
		}
		var se *webdeploy.SignatureError
		if !errors.As(err, &se) || se.Header == "" {
			t.Errorf("%s: not a SignatureError naming the header: %#v", tc.name, err)
		}
		if strings.Contains(err.Error(), ghSecret) || strings.Contains(err.Error(), ghSig256[7:]) {
			t.Errorf("%s: error leaks the secret or expected signature: %v", tc.name, err)
		}
	}
}

func TestNoSecretRefusesToStart(t *testing.T) {
	for _, p := range []webdeploy.Provider{webdeploy.GitHub, webdeploy.GitLab, webdeploy.Gitea, webdeploy.StandardWebhooks} {
		if _, err := webdeploy.NewVerifier(webdeploy.VerifierConfig{Provider: p}); !errors.Is(err, webdeploy.ErrNoSecret) {
			t.Errorf("%s without a secret: %v, want ErrNoSecret", p, err)
		}
		v, err := webdeploy.NewVerifier(webdeploy.VerifierConfig{Provider: p, AllowUnsigned: true})
		if err != nil || !v.Unsigned() {
			t.Errorf("%s with allow_unsigned: %v", p, err)
		}
	}
}

func TestProviderHeaders(t *testing.T) {
	body := []byte(`{"ref":"refs/heads/main"}`)
	secret := []byte("s3cr3t")
	now := time.Unix(1_800_000_000, 0)
	cases := []struct {
		c      webdeploy.VerifierConfig
		header string // the header that carries the signature
		format func(string) bool
	}{
		{webdeploy.VerifierConfig{Provider: webdeploy.GitHub}, "X-Hub-Signature-256", func(s string) bool { return strings.HasPrefix(s, "sha256=") && len(s) == 71 }},
		{webdeploy.VerifierConfig{Provider: webdeploy.GitLab}, "X-Gitlab-Token", func(s string) bool { return s == string(secret) }},
		{webdeploy.VerifierConfig{Provider: webdeploy.Gitea}, "X-Gitea-Signature", func(s string) bool { return len(s) == 64 }},
		{webdeploy.VerifierConfig{Provider: webdeploy.Forgejo}, "X-Forgejo-Signature", func(s string) bool { return len(s) == 64 }},
		{webdeploy.VerifierConfig{Provider: webdeploy.Gogs}, "X-Gogs-Signature", func(s string) bool { return len(s) == 64 }},
		{webdeploy.VerifierConfig{Provider: webdeploy.StandardWebhooks}, "Webhook-Signature", func(s string) bool { return strings.HasPrefix(s, "v1,") && len(s) == 47 }},
		{webdeploy.VerifierConfig{Provider: webdeploy.GenericHMAC, Header: "X-Signature", Algorithm: "sha512", Prefix: "sha512="}, "X-Signature", func(s string) bool { return strings.HasPrefix(s, "sha512=") && len(s) == 7+128 }},
		{webdeploy.VerifierConfig{Provider: webdeploy.GenericHMAC, Header: "X-Sig", Encoding: "base64"}, "X-Sig", func(s string) bool { return len(s) == 44 }},
	}
	for _, tc := range cases {
		tc.c.Secret = secret
		v := mustVerifier(t, tc.c)
		h := http.Header{}
		v.Sign(h, body, "msg_1", now)
		if !tc.format(h.Get(tc.header)) {
			t.Errorf("%s: %s = %q has the wrong format", tc.c.Provider, tc.header, h.Get(tc.header))
		}
		if err := v.Verify(h, body, now); err != nil {
			t.Errorf("%s: own signature rejected: %v", tc.c.Provider, err)
		}
		// Another secret must not verify.
		other := tc.c
		other.Secret = []byte("not the secret")
		if err := mustVerifier(t, other).Verify(h, body, now); !errors.Is(err, webdeploy.ErrBadSignature) {
			t.Errorf("%s: a delivery signed with another secret: %v", tc.c.Provider, err)
		}
		if err := v.Verify(http.Header{}, body, now); !errors.Is(err, webdeploy.ErrNoSignature) {
			t.Errorf("%s: missing signature: %v", tc.c.Provider, err)
		}
	}
}

func TestStandardWebhooksReplayWindow(t *testing.T) {
	// A whsec_ secret is base64 of the key.
	v := mustVerifier(t, webdeploy.VerifierConfig{Provider: webdeploy.StandardWebhooks, Secret: []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Tolerance: time.Minute})
	body := []byte(`{"type":"push"}`)
	sent := time.Unix(1_800_000_000, 0)
	h := http.Header{}
	v.Sign(h, body, "msg_2", sent)
	if err := v.Verify(h, body, sent.Add(30*time.Second)); err != nil {
		t.Fatalf("within tolerance: %v", err)
	}
	if err := v.Verify(h, body, sent.Add(2*time.Minute)); !errors.Is(err, webdeploy.ErrStaleTimestamp) {
		t.Fatalf("replayed after the window: %v", err)
	}
	if err := v.Verify(h, body, sent.Add(-2*time.Minute)); !errors.Is(err, webdeploy.ErrStaleTimestamp) {
		t.Fatalf("timestamp from the future: %v", err)
	}
	// Changing the id or timestamp breaks the signature (they are signed).
	h2 := h.Clone()
	h2.Set("Webhook-Id", "msg_3")
	if err := v.Verify(h2, body, sent); !errors.Is(err, webdeploy.ErrBadSignature) {
		t.Fatalf("id swapped: %v", err)
	}
	// Several signatures (key rotation): any valid v1 passes.
	h3 := h.Clone()
	h3.Set("Webhook-Signature", "v1,AAAA v2,xyz "+h.Get("Webhook-Signature"))
	if err := v.Verify(h3, body, sent); err != nil {
		t.Fatalf("list with a valid entry: %v", err)
	}
	if _, err := webdeploy.NewVerifier(webdeploy.VerifierConfig{Provider: webdeploy.StandardWebhooks, Secret: []byte("whsec_!!!")}); err == nil {
		t.Fatal("bad whsec_ base64 accepted")
	}
}

var providers = []webdeploy.Provider{webdeploy.GitHub, webdeploy.GitLab, webdeploy.Gitea, webdeploy.Forgejo, webdeploy.Gogs, webdeploy.StandardWebhooks, webdeploy.GenericHMAC}

func genConfig(t *rapid.T) webdeploy.VerifierConfig {
	c := webdeploy.VerifierConfig{
		Provider: rapid.SampledFrom(providers).Draw(t, "provider"),
		Secret:   rapid.SliceOfN(rapid.Byte(), 1, 64).Draw(t, "secret"),
	}
	if c.Provider == webdeploy.GitLab {
		// A token travels in a header: printable ASCII only.
		c.Secret = []byte(rapid.StringMatching(`[!-~]{1,64}`).Draw(t, "token"))
	}
	if c.Provider == webdeploy.GenericHMAC {
		c.Header = "X-Sig"
		c.Algorithm = rapid.SampledFrom([]string{"sha1", "sha256", "sha512"}).Draw(t, "alg")
		c.Encoding = rapid.SampledFrom([]string{"hex", "base64"}).Draw(t, "enc")
		c.Prefix = rapid.SampledFrom([]string{"", "sha=", "v1="}).Draw(t, "prefix")
	}
	return c
}

// Property: whatever the provider, secret and body, a signed delivery
// verifies, and changing any byte of the body makes it fail.
func TestSignVerifyRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		v, err := webdeploy.NewVerifier(c)
		if err != nil {
			t.Fatal(err)
		}
		body := rapid.SliceOfN(rapid.Byte(), 1, 2048).Draw(t, "body")
		now := time.Unix(rapid.Int64Range(1e9, 4e9).Draw(t, "now"), 0)
		h := http.Header{}
		v.Sign(h, body, "msg_"+rapid.StringMatching(`[a-z0-9]{1,20}`).Draw(t, "id"), now)
		if err := v.Verify(h, body, now); err != nil {
			t.Fatalf("round trip failed: %v", err)
		}
		if c.Provider == webdeploy.GitLab {
			return // the token does not depend on the body
		}
		i := rapid.IntRange(0, len(body)-1).Draw(t, "flip")
		mutated := bytes.Clone(body)
		mutated[i] ^= byte(rapid.IntRange(1, 255).Draw(t, "xor"))
		if err := v.Verify(h, mutated, now); !errors.Is(err, webdeploy.ErrBadSignature) {
			t.Fatalf("mutated body: %v", err)
		}
	})
}

// webhooktest.Sign produces what the Verifier accepts, for every provider.
func TestWebhooktestSignAccepted(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		v, _ := webdeploy.NewVerifier(c)
		body := []byte(rapid.String().Draw(t, "body"))
		h := http.Header{}
		now := time.Now()
		if err := webhooktest.Sign(h, c, "push", body, now); err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(h, body, now); err != nil {
			t.Fatalf("%s: %v (headers %v)", c.Provider, err, h)
		}
	})
}

// FuzzVerify: arbitrary headers and bodies never panic, and a signature
// not made with the secret never verifies.
func FuzzVerify(f *testing.F) {
	f.Add("github", "X-Hub-Signature-256", ghSig256, []byte(ghBody))
	f.Add("github", "X-Hub-Signature", ghSig1, []byte(ghBody))
	f.Add("gitlab", "X-Gitlab-Token", "tok", []byte("{}"))
	f.Add("gitea", "X-Gitea-Signature", strings.Repeat("0", 64), []byte("{}"))
	f.Add("standard", "Webhook-Signature", "v1,AAAA v1,====", []byte("{}"))
	f.Add("hmac", "X-Sig", "sha256=zz", []byte(""))
	f.Fuzz(func(t *testing.T, provider, name, value string, body []byte) {
		c := webdeploy.VerifierConfig{Provider: webdeploy.Provider(provider), Secret: []byte(ghSecret), AllowSHA1: true, Header: "X-Sig", Prefix: "sha256="}
		v, err := webdeploy.NewVerifier(c)
		if err != nil {
			return
		}
		h := http.Header{}
		h.Set(name, value)
		h.Set("Webhook-Id", "msg")
		h.Set("Webhook-Timestamp", "1800000000")
		err = v.Verify(h, body, time.Unix(1_800_000_000, 0))
		if err == nil {
			// Only the real signature may pass: recompute it.
			want := http.Header{}
			v.Sign(want, body, "msg", time.Unix(1_800_000_000, 0))
			ok := false
			switch webdeploy.Provider(provider) {
			case webdeploy.GitLab:
				ok = value == ghSecret
			case webdeploy.StandardWebhooks:
				ok = strings.Contains(value, want.Get("Webhook-Signature")[3:])
			default:
				ok = want.Get(name) != "" && strings.EqualFold(strings.TrimSpace(value), want.Get(name))
			}
			if !ok {
				t.Fatalf("forged signature accepted: %s=%q", name, value)
			}
		}
	})
}
