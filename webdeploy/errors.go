package webdeploy

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns for one of these
// conditions wraps the matching sentinel, so callers can test with errors.Is.
var (
	// ErrNoSignature: the delivery carries no signature (or token) header.
	ErrNoSignature = errors.New("no signature")
	// ErrBadSignature: the signature is well-formed but does not match.
	ErrBadSignature = errors.New("signature does not match")
	// ErrMalformedSignature: the signature header cannot be decoded.
	ErrMalformedSignature = errors.New("malformed signature")
	// ErrStaleTimestamp: a Standard Webhooks timestamp outside the tolerance.
	ErrStaleTimestamp = errors.New("timestamp outside the tolerance")
	// ErrNoSecret: a hook has no secret and is not allowed to run unsigned.
	ErrNoSecret = errors.New("hook has no secret")
	// ErrPayload: the body is not a push payload this package understands.
	ErrPayload = errors.New("bad payload")
	// ErrConfig: the configuration is invalid.
	ErrConfig = errors.New("bad configuration")
	// ErrUnknownSite: no site of that name.
	ErrUnknownSite = errors.New("unknown site")
	// ErrUnknownRelease: no kept release of that name.
	ErrUnknownRelease = errors.New("unknown release")
	// ErrUnsafeTree: the build output holds something that cannot be
	// published safely (a symlink leading out of the release, a device).
	ErrUnsafeTree = errors.New("unsafe build output")
	// ErrRewind: a deploy would replace the live commit by one of its
	// ancestors although the push was not forced (SiteConfig.AllowRewind).
	ErrRewind = errors.New("refusing to go back to an older commit")
	// ErrClosed: the deployer is shutting down and accepts no more work.
	ErrClosed = errors.New("deployer closed")
)

// SignatureError says which header failed verification and why. It never
// holds the secret or the expected value.
type SignatureError struct {
	Header string // the header that was checked, e.g. X-Hub-Signature-256
	Err    error  // one of the sentinels above
	Detail string // extra help for the sender, safe to show
}

// Error names the header and what was wrong with it, never the secret.
func (e *SignatureError) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Header, e.Err)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap returns the sentinel (ErrNoSignature, ErrBadSignature, ...).
func (e *SignatureError) Unwrap() error { return e.Err }

// PayloadError names the field of a payload that was missing or wrong.
type PayloadError struct {
	Field  string // JSON field path, e.g. "repository.full_name"
	Offset int64  // byte offset for syntax errors, else -1
	Msg    string
}

// Error names the field or byte offset and the problem.
func (e *PayloadError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("payload: %s at byte %d", e.Msg, e.Offset)
	}
	if e.Field == "" {
		return "payload: " + e.Msg
	}
	return fmt.Sprintf("payload field %q: %s", e.Field, e.Msg)
}

// Unwrap returns ErrPayload, so errors.Is(err, ErrPayload) holds.
func (e *PayloadError) Unwrap() error { return ErrPayload }

// ConfigError names the file and key of a configuration mistake.
type ConfigError struct {
	File string // path of the configuration file, if any
	Key  string // JSON path of the offending key, e.g. sites[0].build.command
	Msg  string
	Err  error // the underlying error (reading a file), if any
}

// Error names the file and key of the mistake.
func (e *ConfigError) Error() string {
	s := "config"
	if e.File != "" {
		s = e.File
	}
	if e.Key != "" {
		s += ": " + e.Key
	}
	return s + ": " + e.Msg
}

// Unwrap returns ErrConfig and the underlying error, so errors.Is works
// for both (for example fs.ErrNotExist for a missing file).
func (e *ConfigError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrConfig, e.Err}
	}
	return []error{ErrConfig}
}
