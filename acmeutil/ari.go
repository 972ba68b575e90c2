package acmeutil

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ARI (RFC 9773) bounds on how often renewal information is fetched.
const (
	// ARIDefaultInterval is used when the CA sends no usable Retry-After.
	ARIDefaultInterval = 6 * time.Hour
	// ARIMinInterval and ARIMaxInterval clamp the CA's Retry-After.
	ARIMinInterval = time.Minute
	ARIMaxInterval = 24 * time.Hour
)

// RenewalInfo is a CA's answer to an ARI request.
type RenewalInfo struct {
	// Window is the suggested renewal window.
	Window Window `json:"suggestedWindow"`
	// ExplanationURL optionally points at a page explaining the window
	// (for example an incident that forces early renewal).
	ExplanationURL string `json:"explanationURL,omitempty"`
	// RetryAfter is when to ask again, clamped to [ARIMinInterval, ARIMaxInterval];
	// ARIDefaultInterval when the CA sent none.
	RetryAfter time.Duration `json:"-"`
}

// CertID returns the ARI certificate identifier of cert (RFC 9773 section 4.1):
// base64url(authority key identifier) "." base64url(DER serial number bytes).
func CertID(cert *x509.Certificate) (string, error) {
	if len(cert.AuthorityKeyId) == 0 {
		return "", fmt.Errorf("%w: certificate %s has no authority key identifier, needed for ARI", ErrCorrupt, cert.SerialNumber.Text(16))
	}
	if cert.SerialNumber == nil || cert.SerialNumber.Sign() < 0 {
		return "", fmt.Errorf("%w: certificate has no usable serial number", ErrCorrupt)
	}
	serial := cert.SerialNumber.Bytes()
	if len(serial) == 0 || serial[0]&0x80 != 0 {
		// DER INTEGER content is two's complement: a positive number
		// whose high bit is set gets a leading zero byte.
		serial = append([]byte{0}, serial...)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(cert.AuthorityKeyId) + "." + enc.EncodeToString(serial), nil
}

// ParseRenewalInfo decodes an ARI response body. The window must have both
// ends and end after start; the explanation URL, if any, must be http(s).
func ParseRenewalInfo(data []byte) (RenewalInfo, error) {
	var raw struct {
		SuggestedWindow *struct {
			Start *time.Time `json:"start"`
			End   *time.Time `json:"end"`
		} `json:"suggestedWindow"`
		ExplanationURL string `json:"explanationURL"`
	}
	if len(data) > 64<<10 {
		return RenewalInfo{}, fmt.Errorf("%w: renewal info: %d bytes (at most 65536)", ErrCorrupt, len(data))
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return RenewalInfo{}, fmt.Errorf("%w: renewal info: %s", ErrCorrupt, jsonErrorWhere(data, err))
	}
	w := raw.SuggestedWindow
	switch {
	case w == nil:
		return RenewalInfo{}, fmt.Errorf("%w: renewal info: field suggestedWindow missing", ErrCorrupt)
	case w.Start == nil:
		return RenewalInfo{}, fmt.Errorf("%w: renewal info: field suggestedWindow.start missing", ErrCorrupt)
	case w.End == nil:
		return RenewalInfo{}, fmt.Errorf("%w: renewal info: field suggestedWindow.end missing", ErrCorrupt)
	case !w.End.After(*w.Start):
		return RenewalInfo{}, fmt.Errorf("%w: renewal info: suggestedWindow.end %s is not after start %s", ErrCorrupt, w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
	}
	if u := raw.ExplanationURL; u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return RenewalInfo{}, fmt.Errorf("%w: renewal info: explanationURL %q is not an http(s) URL", ErrCorrupt, u)
	}
	return RenewalInfo{
		Window:         Window{Start: w.Start.UTC(), End: w.End.UTC()},
		ExplanationURL: raw.ExplanationURL,
		RetryAfter:     ARIDefaultInterval,
	}, nil
}

// jsonErrorWhere describes a JSON decoding error with its line and offset.
func jsonErrorWhere(data []byte, err error) string {
	var off int64 = -1
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		line := 1 + strings.Count(string(data), "\n")
		return fmt.Sprintf("truncated: data ends at line %d (offset %d) inside a JSON value", line, len(data))
	}
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
		if e.Field != "" {
			return fmt.Sprintf("field %s: %v (offset %d)", e.Field, err, e.Offset)
		}
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + strings.Count(string(data[:off]), "\n")
	return fmt.Sprintf("line %d (offset %d): %v", line, off, err)
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date).
// It returns 0 when the header is absent or unparsable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 1<<31 {
			n = 1 << 31
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}

// RenewalInfo fetches the CA's ARI window for cert. It returns ErrNoARI if the
// CA's directory has no renewalInfo resource.
func (c *Client) RenewalInfo(ctx context.Context, cert *x509.Certificate) (RenewalInfo, error) {
	if c.renewalInfoURL == "" {
		return RenewalInfo{}, ErrNoARI
	}
	id, err := CertID(cert)
	if err != nil {
		return RenewalInfo{}, err
	}
	u := strings.TrimSuffix(c.renewalInfoURL, "/") + "/" + id
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return RenewalInfo{}, fmt.Errorf("acmeutil: renewal info request: %w", err)
	}
	req.Header.Set("User-Agent", c.userAgent())
	res, err := c.http.Do(req)
	if err != nil {
		return RenewalInfo{}, fmt.Errorf("acmeutil: fetching renewal info %s: %w", u, err)
	}
	defer res.Body.Close()
	body, err := readAllLimit(res.Body, 64<<10)
	if err != nil {
		return RenewalInfo{}, fmt.Errorf("acmeutil: reading renewal info %s: %w", u, err)
	}
	if res.StatusCode != http.StatusOK {
		return RenewalInfo{}, &ProblemError{Op: "renewal info", URL: u, Problem: problemFromBody(res, body),
			Err: fmt.Errorf("HTTP %s", res.Status)}
	}
	ri, err := ParseRenewalInfo(body)
	if err != nil {
		return RenewalInfo{}, fmt.Errorf("%s: %w", u, err)
	}
	if d := parseRetryAfter(res.Header.Get("Retry-After"), time.Now()); d > 0 {
		ri.RetryAfter = min(max(d, ARIMinInterval), ARIMaxInterval)
	}
	return ri, nil
}
