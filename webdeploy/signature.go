package webdeploy

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Provider names a forge's webhook dialect: how deliveries are signed and
// how their push payload is laid out.
type Provider string

// The providers this package understands.
const (
	GitHub  Provider = "github"  // X-Hub-Signature-256 (X-Hub-Signature SHA-1 if allowed)
	GitLab  Provider = "gitlab"  // X-Gitlab-Token carries the secret itself
	Gitea   Provider = "gitea"   // X-Gitea-Signature: bare hex HMAC-SHA256
	Forgejo Provider = "forgejo" // X-Forgejo-Signature (Forgejo also sends X-Gitea-Signature)
	Gogs    Provider = "gogs"    // X-Gogs-Signature
	// StandardWebhooks is the standardwebhooks.com scheme: webhook-id,
	// webhook-timestamp and webhook-signature "v1,<base64>" over
	// "{id}.{timestamp}.{body}".
	StandardWebhooks Provider = "standard"
	// GenericHMAC is an HMAC of the raw body in a header of your choice.
	GenericHMAC Provider = "hmac"
)

// DefaultTolerance is how far a Standard Webhooks timestamp may be from
// the receiver's clock before the delivery is refused as a possible replay.
const DefaultTolerance = 5 * time.Minute

// VerifierConfig describes how one hook's deliveries are authenticated.
type VerifierConfig struct {
	Provider Provider
	// Secret is the shared secret. For Standard Webhooks a "whsec_" prefix
	// means the rest is the base64 key, as the specification's secrets are
	// written.
	Secret []byte
	// AllowUnsigned lets a hook with no secret run. Without it NewVerifier
	// refuses an empty secret with ErrNoSecret.
	AllowUnsigned bool
	// AllowSHA1 accepts GitHub's legacy X-Hub-Signature (HMAC-SHA1) when the
	// SHA-256 header is absent.
	AllowSHA1 bool
	// Tolerance bounds the Standard Webhooks timestamp skew (default
	// DefaultTolerance).
	Tolerance time.Duration
	// Header, Algorithm (sha1, sha256, sha512; default sha256), Prefix
	// (such as "sha256=") and Encoding (hex or base64; default hex)
	// describe a GenericHMAC signature.
	Header    string
	Algorithm string
	Prefix    string
	Encoding  string
}

// Verifier checks deliveries against one hook's secret. It is safe for
// concurrent use.
type Verifier struct {
	c   VerifierConfig
	key []byte
	alg func() hash.Hash
	// unsigned is set only by NewVerifier for a hook explicitly allowed to
	// run without a secret, so a zero Verifier refuses every delivery
	// instead of accepting them all.
	unsigned bool
}

// NewVerifier validates the configuration and returns a Verifier.
func NewVerifier(c VerifierConfig) (*Verifier, error) {
	v := &Verifier{c: c, key: c.Secret, alg: sha256.New}
	if c.Tolerance <= 0 {
		v.c.Tolerance = DefaultTolerance
	}
	switch c.Provider {
	case GitHub, GitLab, Gitea, Forgejo, Gogs:
	case StandardWebhooks:
		if s, ok := strings.CutPrefix(string(c.Secret), "whsec_"); ok {
			k, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("%w: the whsec_ secret is not valid base64", ErrConfig)
			}
			v.key = k
		}
	case GenericHMAC:
		if c.Header == "" {
			return nil, fmt.Errorf("%w: an hmac hook needs a header name", ErrConfig)
		}
		switch strings.ToLower(c.Algorithm) {
		case "", "sha256":
		case "sha1":
			v.alg = sha1.New
		case "sha512":
			v.alg = sha512.New
		default:
			return nil, fmt.Errorf("%w: algorithm %q (want sha1, sha256 or sha512)", ErrConfig, c.Algorithm)
		}
		switch c.Encoding {
		case "", "hex", "base64":
		default:
			return nil, fmt.Errorf("%w: encoding %q (want hex or base64)", ErrConfig, c.Encoding)
		}
	default:
		return nil, fmt.Errorf("%w: unknown provider %q (want github, gitlab, gitea, forgejo, gogs, standard or hmac)", ErrConfig, c.Provider)
	}
	if len(v.key) == 0 && !c.AllowUnsigned {
		return nil, fmt.Errorf("%w: set a secret, or allow unsigned deliveries explicitly", ErrNoSecret)
	}
	v.unsigned = len(v.key) == 0
	return v, nil
}

// Provider returns the hook's provider.
func (v *Verifier) Provider() Provider { return v.c.Provider }

// Unsigned reports whether the hook accepts deliveries with no signature.
func (v *Verifier) Unsigned() bool { return v.unsigned }

func (v *Verifier) mac(newHash func() hash.Hash, parts ...[]byte) []byte {
	m := hmac.New(newHash, v.key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// Verify checks the delivery's headers against the raw body. now is the
// receiver's clock, used for Standard Webhooks timestamps. The error is a
// *SignatureError wrapping ErrNoSignature, ErrBadSignature,
// ErrMalformedSignature or ErrStaleTimestamp.
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) error {
	if v == nil || len(v.key) == 0 {
		if v != nil && v.unsigned {
			return nil // explicitly allowed to run unsigned
		}
		// A Verifier not made by NewVerifier (or a nil one) has no secret
		// and no permission to run unsigned: refuse, never accept.
		return &SignatureError{Header: "", Err: ErrNoSecret, Detail: "this verifier has no secret; build it with NewVerifier"}
	}
	switch v.c.Provider {
	case GitHub:
		if s := h.Get("X-Hub-Signature-256"); s != "" {
			return v.checkHex("X-Hub-Signature-256", s, "sha256=", sha256.New, body)
		}
		if s := h.Get("X-Hub-Signature"); s != "" {
			if !v.c.AllowSHA1 {
				return &SignatureError{Header: "X-Hub-Signature-256", Err: ErrNoSignature,
					Detail: "only the SHA-1 X-Hub-Signature was sent; this hook accepts SHA-1 only when allow_sha1 is set"}
			}
			return v.checkHex("X-Hub-Signature", s, "sha1=", sha1.New, body)
		}
		return &SignatureError{Header: "X-Hub-Signature-256", Err: ErrNoSignature,
			Detail: "expected sha256=<hex HMAC-SHA256 of the raw body>; set the webhook's secret in the forge"}
	case GitLab:
		tok := h.Get("X-Gitlab-Token")
		if tok == "" {
			return &SignatureError{Header: "X-Gitlab-Token", Err: ErrNoSignature, Detail: "set the webhook's secret token in GitLab"}
		}
		// Hash both sides so the comparison time says nothing about length.
		a, b := sha256.Sum256([]byte(tok)), sha256.Sum256(v.key)
		if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			return &SignatureError{Header: "X-Gitlab-Token", Err: ErrBadSignature, Detail: "the token is not this hook's secret"}
		}
		return nil
	case Gitea, Forgejo, Gogs:
		for _, name := range []string{"X-Forgejo-Signature", "X-Gitea-Signature", "X-Gogs-Signature"} {
			if s := h.Get(name); s != "" {
				return v.checkHex(name, s, "", sha256.New, body)
			}
		}
		return &SignatureError{Header: "X-Gitea-Signature", Err: ErrNoSignature,
			Detail: "expected X-Gitea-Signature, X-Forgejo-Signature or X-Gogs-Signature with the hex HMAC-SHA256 of the raw body"}
	case StandardWebhooks:
		return v.verifyStandard(h, body, now)
	case GenericHMAC:
		s := h.Get(v.c.Header)
		if s == "" {
			return &SignatureError{Header: v.c.Header, Err: ErrNoSignature}
		}
		if v.c.Encoding == "base64" {
			rest, ok := cutPrefixFold(s, v.c.Prefix)
			if !ok {
				return &SignatureError{Header: v.c.Header, Err: ErrMalformedSignature, Detail: fmt.Sprintf("expected the prefix %q", v.c.Prefix)}
			}
			got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
			if err != nil {
				return &SignatureError{Header: v.c.Header, Err: ErrMalformedSignature, Detail: "not valid base64"}
			}
			return v.compare(v.c.Header, got, v.mac(v.alg, body))
		}
		return v.checkHex(v.c.Header, s, v.c.Prefix, v.alg, body)
	}
	return &SignatureError{Header: "", Err: ErrBadSignature, Detail: "unknown provider"}
}

// checkHex verifies a "<prefix><hex>" signature of body.
func (v *Verifier) checkHex(header, value, prefix string, newHash func() hash.Hash, body []byte) error {
	rest, ok := cutPrefixFold(strings.TrimSpace(value), prefix)
	if !ok {
		return &SignatureError{Header: header, Err: ErrMalformedSignature, Detail: fmt.Sprintf("expected the prefix %q", prefix)}
	}
	if len(rest)%2 == 1 {
		return &SignatureError{Header: header, Err: ErrMalformedSignature, Detail: "an odd number of hex digits (truncated?)"}
	}
	got, err := hex.DecodeString(rest)
	if err != nil {
		return &SignatureError{Header: header, Err: ErrMalformedSignature, Detail: "not hexadecimal"}
	}
	return v.compare(header, got, v.mac(newHash, body))
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

func (v *Verifier) compare(header string, got, want []byte) error {
	if len(got) != len(want) {
		return &SignatureError{Header: header, Err: ErrMalformedSignature,
			Detail: fmt.Sprintf("the signature is %d bytes, expected %d (truncated?)", len(got), len(want))}
	}
	if !hmac.Equal(got, want) {
		return &SignatureError{Header: header, Err: ErrBadSignature,
			Detail: "the HMAC of the raw body with this hook's secret differs; check the secret and that the body was not re-encoded"}
	}
	return nil
}

func (v *Verifier) verifyStandard(h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("Webhook-Id"), h.Get("Webhook-Timestamp"), h.Get("Webhook-Signature")
	switch {
	case id == "":
		return &SignatureError{Header: "webhook-id", Err: ErrNoSignature}
	case ts == "":
		return &SignatureError{Header: "webhook-timestamp", Err: ErrNoSignature}
	case sigs == "":
		return &SignatureError{Header: "webhook-signature", Err: ErrNoSignature}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return &SignatureError{Header: "webhook-timestamp", Err: ErrMalformedSignature, Detail: "expected whole seconds since 1970"}
	}
	skew := now.Sub(time.Unix(sec, 0))
	if skew > v.c.Tolerance || skew < -v.c.Tolerance {
		return &SignatureError{Header: "webhook-timestamp", Err: ErrStaleTimestamp,
			Detail: fmt.Sprintf("%v from the receiver's clock, tolerance %v", skew.Round(time.Second), v.c.Tolerance)}
	}
	want := v.mac(sha256.New, []byte(id), []byte{'.'}, []byte(ts), []byte{'.'}, body)
	seenV1 := false
	var last error
	for _, s := range strings.Fields(sigs) {
		ver, b64, ok := strings.Cut(s, ",")
		if !ok || ver != "v1" {
			continue
		}
		seenV1 = true
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			last = &SignatureError{Header: "webhook-signature", Err: ErrMalformedSignature, Detail: "a v1 signature is not valid base64"}
			continue
		}
		if last = v.compare("webhook-signature", got, want); last == nil {
			return nil
		}
	}
	if !seenV1 {
		return &SignatureError{Header: "webhook-signature", Err: ErrMalformedSignature, Detail: `expected "v1,<base64>" entries`}
	}
	return last
}

// Sign adds the headers a sender of this provider would set for body, so
// tests and tools can produce deliveries this Verifier accepts. id is the
// delivery id (used by Standard Webhooks), now its timestamp.
func (v *Verifier) Sign(h http.Header, body []byte, id string, now time.Time) {
	if len(v.key) == 0 {
		return
	}
	switch v.c.Provider {
	case GitHub:
		h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(v.mac(sha256.New, body)))
		if v.c.AllowSHA1 {
			h.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(v.mac(sha1.New, body)))
		}
	case GitLab:
		h.Set("X-Gitlab-Token", string(v.key))
	case Gitea, Forgejo, Gogs:
		sig := hex.EncodeToString(v.mac(sha256.New, body))
		switch v.c.Provider {
		case Forgejo:
			h.Set("X-Forgejo-Signature", sig)
			h.Set("X-Gitea-Signature", sig)
		case Gogs:
			h.Set("X-Gogs-Signature", sig)
		default:
			h.Set("X-Gitea-Signature", sig)
		}
	case StandardWebhooks:
		ts := strconv.FormatInt(now.Unix(), 10)
		h.Set("Webhook-Id", id)
		h.Set("Webhook-Timestamp", ts)
		mac := v.mac(sha256.New, []byte(id), []byte{'.'}, []byte(ts), []byte{'.'}, body)
		h.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(mac))
	case GenericHMAC:
		mac := v.mac(v.alg, body)
		if v.c.Encoding == "base64" {
			h.Set(v.c.Header, v.c.Prefix+base64.StdEncoding.EncodeToString(mac))
		} else {
			h.Set(v.c.Header, v.c.Prefix+hex.EncodeToString(mac))
		}
	}
}
