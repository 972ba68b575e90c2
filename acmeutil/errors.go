package acmeutil

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/acme"
)

// Sentinel errors. Errors returned by this package wrap them so that callers
// can test with errors.Is; the wrapping error names the value and file.
var (
	// ErrInvalidToken: a challenge token from the CA is not base64url
	// (it could escape the challenge directory if used as a file name).
	ErrInvalidToken = errors.New("acmeutil: invalid challenge token")
	// ErrInvalidName: a domain name is not a valid DNS name for a certificate.
	ErrInvalidName = errors.New("acmeutil: invalid domain name")
	// ErrKeyPermissions: a private key file is readable or writable by
	// group or others.
	ErrKeyPermissions = errors.New("acmeutil: private key file permissions too open")
	// ErrCorrupt: a stored file (key, certificate, metadata) cannot be parsed
	// or does not belong to the rest of the record.
	ErrCorrupt = errors.New("acmeutil: stored data is corrupt")
	// ErrNotFound: no such certificate or account in the store.
	ErrNotFound = errors.New("acmeutil: not found")
	// ErrNoSolver: the CA offered no challenge type that a configured solver handles.
	ErrNoSolver = errors.New("acmeutil: no solver for the offered challenges")
	// ErrNoARI: the CA's directory has no renewalInfo resource.
	ErrNoARI = errors.New("acmeutil: the CA does not offer renewal information (ARI)")
	// ErrInvalidConfig: a configuration value (path, argv, site) is unusable.
	ErrInvalidConfig = errors.New("acmeutil: invalid configuration")
)

// ProblemError is a failure reported by the CA, with the context of what this
// package was doing. It keeps the CA's problem document (type, detail,
// subproblems) from golang.org/x/crypto/acme.
type ProblemError struct {
	// Op is what was being done ("new order", "authorization", "finalize").
	Op string
	// Domain is the identifier concerned, if any.
	Domain string
	// Challenge is the challenge type concerned, if any.
	Challenge string
	// URL is the ACME resource concerned (order, authorization, challenge).
	URL string
	// Problem is the CA's problem document; nil when the CA gave none.
	Problem *acme.Error
	// Err is the underlying error.
	Err error
}

// Error says what failed, for which domain and challenge, and what the CA said.
func (e *ProblemError) Error() string {
	var b strings.Builder
	b.WriteString("acmeutil: ")
	b.WriteString(e.Op)
	if e.Domain != "" {
		fmt.Fprintf(&b, " for %q", e.Domain)
	}
	if e.Challenge != "" {
		fmt.Fprintf(&b, " (challenge %s)", e.Challenge)
	}
	if e.URL != "" {
		fmt.Fprintf(&b, " at %s", e.URL)
	}
	if p := e.Problem; p != nil {
		fmt.Fprintf(&b, ": CA problem %s", p.ProblemType)
		if p.StatusCode != 0 {
			fmt.Fprintf(&b, " (HTTP %d)", p.StatusCode)
		}
		if p.Detail != "" {
			fmt.Fprintf(&b, ": %s", p.Detail)
		}
		for _, sp := range p.Subproblems {
			fmt.Fprintf(&b, "; %s", sp.Type)
			if sp.Identifier != nil {
				fmt.Fprintf(&b, " for %s", sp.Identifier.Value)
			}
			if sp.Detail != "" {
				fmt.Fprintf(&b, ": %s", sp.Detail)
			}
		}
	} else if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the underlying error (an *acme.Error, *acme.OrderError, ...).
func (e *ProblemError) Unwrap() error { return e.Err }

// wrapACME turns an error from the acme package into a *ProblemError,
// extracting the problem document wherever the acme package put it.
func wrapACME(op, domain, challenge, url string, err error) error {
	if err == nil {
		return nil
	}
	pe := &ProblemError{Op: op, Domain: domain, Challenge: challenge, URL: url, Err: err}
	var ae *acme.Error
	var oe *acme.OrderError
	var aze *acme.AuthorizationError
	switch {
	case errors.As(err, &ae):
		pe.Problem = ae
	case errors.As(err, &oe):
		pe.Problem = oe.Problem
		if pe.URL == "" {
			pe.URL = oe.OrderURL
		}
	case errors.As(err, &aze):
		if pe.Domain == "" {
			pe.Domain = aze.Identifier
		}
		for _, e := range aze.Errors {
			var ae *acme.Error
			if errors.As(e, &ae) {
				pe.Problem = ae
				break
			}
		}
	}
	return pe
}

// CommandError reports a command (a reload command, a solver hook) that
// failed: it did not start, exited with a non-zero status, or ran out of time.
type CommandError struct {
	// Purpose says what the command was for ("reload", "present hook").
	Purpose string
	// Argv is the command that was run.
	Argv []string
	// ExitCode is the exit status, or -1 if the command did not exit normally.
	ExitCode int
	// Output is the tail of the command's combined output.
	Output string
	// Err is the underlying error.
	Err error
}

// Error names the command, its exit status and the tail of its output.
func (e *CommandError) Error() string {
	msg := fmt.Sprintf("acmeutil: %s command %q failed", e.Purpose, e.Argv)
	if e.ExitCode >= 0 {
		msg += fmt.Sprintf(" with exit status %d", e.ExitCode)
	}
	if e.Err != nil {
		msg += fmt.Sprintf(": %v", e.Err)
	}
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "; output: " + out
	}
	return msg
}

// Unwrap returns the underlying error (*exec.ExitError, context.DeadlineExceeded, ...).
func (e *CommandError) Unwrap() error { return e.Err }
