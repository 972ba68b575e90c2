package acmeutil

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
)

// Config configures a Client.
type Config struct {
	// DirectoryURL is the CA's ACME directory, e.g. acme.LetsEncryptURL.
	DirectoryURL string
	// HTTPClient is used for every request; nil means http.DefaultClient.
	// Tests point it at a client that trusts the test CA's HTTPS certificate.
	HTTPClient *http.Client
	// UserAgent is prepended to the User-Agent header.
	UserAgent string

	// Store keeps the account (key 0600 and URL) so it is reused. When nil,
	// AccountKey must be set and the account is looked up or registered on
	// every NewClient.
	Store Storage
	// AccountKey is the account key to use for a new account. When nil a key
	// of AccountKeyType (default ECDSA P-256) is generated.
	AccountKey     crypto.Signer
	AccountKeyType KeyType
	// Contact are contact URIs for a new account ("mailto:admin@example.com").
	// A bare e-mail address gets "mailto:" prepended.
	Contact []string
	// AgreeTOS agrees to the CA's terms of service. NewClient fails if the
	// CA has terms and this is false.
	AgreeTOS bool
	// EAB is the external account binding, for CAs that require one.
	EAB *acme.ExternalAccountBinding
}

// Client issues certificates from one CA with one account. It is safe for
// concurrent use.
type Client struct {
	cfg            Config
	ac             *acme.Client
	http           *http.Client
	dir            acme.Directory
	renewalInfoURL string
	account        AccountRecord
	retry          *retryRecorder
}

// NewClient discovers the CA's directory and loads the account from
// cfg.Store, or registers a new one (agreeing to the terms, with external
// account binding if given) and stores it.
func NewClient(ctx context.Context, cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.DirectoryURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: CA directory URL %q (want https://...)", ErrInvalidConfig, cfg.DirectoryURL)
	}
	base := cfg.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	rec := &retryRecorder{next: base.Transport}
	hc := *base
	hc.Transport = rec
	c := &Client{cfg: cfg, http: &hc, retry: rec}
	c.ac = &acme.Client{
		DirectoryURL: cfg.DirectoryURL,
		HTTPClient:   &hc,
		UserAgent:    c.userAgent(),
		RetryBackoff: retryBackoff,
	}
	if err := c.discover(ctx); err != nil {
		return nil, err
	}
	if err := c.loadOrRegister(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) userAgent() string {
	ua := "hostkit-acmeutil"
	if c.cfg.UserAgent != "" {
		ua = c.cfg.UserAgent + " " + ua
	}
	return ua
}

// Directory returns the CA's directory.
func (c *Client) Directory() acme.Directory { return c.dir }

// RenewalInfoURL is the CA's ARI base URL, "" when it offers none.
func (c *Client) RenewalInfoURL() string { return c.renewalInfoURL }

// Account returns the account in use (without its key).
func (c *Client) Account() AccountRecord {
	a := c.account
	a.Key = nil
	return a
}

// ACME returns the underlying golang.org/x/crypto/acme client, for
// operations this package does not wrap (revocation, key rollover).
func (c *Client) ACME() *acme.Client { return c.ac }

// discover reads the directory twice: through x/crypto/acme (which caches
// it) and directly, because acme.Directory has no renewalInfo field.
func (c *Client) discover(ctx context.Context) error {
	dir, err := c.ac.Discover(ctx)
	if err != nil {
		return wrapACME("directory", "", "", c.cfg.DirectoryURL, err)
	}
	c.dir = dir
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.DirectoryURL, nil)
	if err != nil {
		return fmt.Errorf("acmeutil: directory: %w", err)
	}
	req.Header.Set("User-Agent", c.userAgent())
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("acmeutil: directory %s: %w", c.cfg.DirectoryURL, err)
	}
	defer res.Body.Close()
	body, err := readAllLimit(res.Body, 1<<20)
	if err != nil {
		return fmt.Errorf("acmeutil: directory %s: %w", c.cfg.DirectoryURL, err)
	}
	var raw struct {
		RenewalInfo string `json:"renewalInfo"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return fmt.Errorf("acmeutil: directory %s: %s", c.cfg.DirectoryURL, jsonErrorWhere(body, err))
	}
	if raw.RenewalInfo != "" {
		ru, err := url.Parse(raw.RenewalInfo)
		if err != nil || (ru.Scheme != "https" && ru.Scheme != "http") {
			return fmt.Errorf("%w: directory %s: renewalInfo %q is not an http(s) URL", ErrCorrupt, c.cfg.DirectoryURL, raw.RenewalInfo)
		}
		c.renewalInfoURL = raw.RenewalInfo
	}
	return nil
}

func (c *Client) loadOrRegister(ctx context.Context) error {
	cfg := c.cfg
	if cfg.Store != nil {
		rec, err := cfg.Store.LoadAccount(ctx, cfg.DirectoryURL)
		switch {
		case err == nil:
			c.ac.Key = rec.Key
			c.ac.KID = acme.KeyID(rec.URL)
			c.account = *rec
			return nil
		case !errors.Is(err, ErrNotFound):
			return err
		}
	}
	if c.dir.Terms != "" && !cfg.AgreeTOS {
		return fmt.Errorf("%w: the CA's terms of service (%s) must be agreed to register an account", ErrInvalidConfig, c.dir.Terms)
	}
	if c.dir.ExternalAccountRequired && cfg.EAB == nil {
		return fmt.Errorf("%w: the CA requires external account binding: give the EAB key ID and HMAC key from the CA", ErrInvalidConfig)
	}
	key := cfg.AccountKey
	if key == nil {
		var err error
		if key, err = GenerateKey(cfg.AccountKeyType); err != nil {
			return err
		}
	}
	c.ac.Key = key
	contact := make([]string, 0, len(cfg.Contact))
	for _, ct := range cfg.Contact {
		if ct == "" {
			continue
		}
		if !strings.Contains(ct, ":") {
			ct = "mailto:" + ct
		}
		contact = append(contact, ct)
	}
	acct := &acme.Account{Contact: contact, ExternalAccountBinding: cfg.EAB}
	got, err := c.ac.Register(ctx, acct, func(string) bool { return cfg.AgreeTOS })
	if errors.Is(err, acme.ErrAccountAlreadyExists) {
		got, err = c.ac.GetReg(ctx, "")
	}
	if err != nil {
		return wrapACME("account registration", "", "", c.dir.RegURL, err)
	}
	c.account = AccountRecord{Server: cfg.DirectoryURL, URL: got.URI, Contact: got.Contact, CreatedAt: time.Now().UTC(), Key: key}
	c.ac.KID = acme.KeyID(got.URI)
	if cfg.Store != nil {
		if err := cfg.Store.SaveAccount(ctx, &c.account); err != nil {
			return err
		}
	}
	return nil
}

// retryBackoff is the acme.Client.RetryBackoff: the CA's Retry-After when
// given, a prompt retry for a rejected nonce (400), else exponential from
// 250 ms; at most 3 retries (the renewal schedule retries later anyway).
func retryBackoff(n int, _ *http.Request, res *http.Response) time.Duration {
	if n > 3 {
		return 0
	}
	if res != nil {
		if d := parseRetryAfter(res.Header.Get("Retry-After"), time.Now()); d > 0 {
			return d
		}
		if res.StatusCode == http.StatusBadRequest {
			return time.Duration(n) * 5 * time.Millisecond
		}
	}
	return min(250*time.Millisecond<<(n-1), 10*time.Second)
}

// retryRecorder is an http.RoundTripper that remembers the last
// Retry-After header per URL, so the polling loops can honour it even
// though golang.org/x/crypto/acme does not return response headers.
type retryRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	last map[string]string
}

// RoundTrip implements http.RoundTripper.
func (r *retryRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	next := r.next
	if next == nil {
		next = http.DefaultTransport
	}
	res, err := next.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		if r.last == nil {
			r.last = make(map[string]string)
		}
		if v := res.Header.Get("Retry-After"); v != "" {
			r.last[req.URL.String()] = v
		} else {
			delete(r.last, req.URL.String())
		}
		r.mu.Unlock()
	}
	return res, err
}

// retryAfter returns the Retry-After of the last response from u.
func (r *retryRecorder) retryAfter(u string) time.Duration {
	r.mu.Lock()
	v := r.last[u]
	r.mu.Unlock()
	return parseRetryAfter(v, time.Now())
}

// problemFromBody decodes an RFC 7807 problem document from a non-ACME
// response (the ARI resource), or nil.
func problemFromBody(res *http.Response, body []byte) *acme.Error {
	var p struct {
		Type   string `json:"type"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) != nil || p.Type == "" {
		return nil
	}
	return &acme.Error{StatusCode: res.StatusCode, ProblemType: p.Type, Detail: p.Detail, Header: res.Header}
}
