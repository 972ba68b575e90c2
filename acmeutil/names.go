package acmeutil

import (
	"fmt"
	"strings"
)

// ValidateToken checks that an ACME challenge token is safe to use as a file
// name: non-empty, at most 256 characters, only the base64url alphabet
// (A-Z a-z 0-9 - _). RFC 8555 requires this form, and it rules out "/",
// ".." and every other way out of the challenge directory.
func ValidateToken(token string) error {
	if token == "" {
		return fmt.Errorf("%w: empty", ErrInvalidToken)
	}
	if len(token) > 256 {
		return fmt.Errorf("%w: %d characters (at most 256)", ErrInvalidToken, len(token))
	}
	for i := 0; i < len(token); i++ {
		if !isB64URL(token[i]) {
			return fmt.Errorf("%w: %q has %q at offset %d (only A-Z a-z 0-9 - _ allowed)", ErrInvalidToken, token, token[i], i)
		}
	}
	return nil
}

func isB64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// ValidateDomain checks that name is a DNS name a public CA can certify:
// lower-case ASCII letters, digits and hyphens in dot-separated labels of
// 1..63 characters (no leading or trailing hyphen), at least two labels,
// at most 253 characters, optionally starting with a "*." wildcard label.
// Internationalised names must be given in their xn-- form.
func ValidateDomain(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidName)
	}
	if len(name) > 253 {
		return fmt.Errorf("%w: %q is %d characters long (at most 253)", ErrInvalidName, name, len(name))
	}
	rest := name
	if strings.HasPrefix(rest, "*.") {
		rest = rest[2:]
	}
	labels := strings.Split(rest, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%w: %q has a single label (need a domain like example.com)", ErrInvalidName, name)
	}
	off := len(name) - len(rest)
	for _, l := range labels {
		if l == "" {
			return fmt.Errorf("%w: %q has an empty label at offset %d", ErrInvalidName, name, off)
		}
		if len(l) > 63 {
			return fmt.Errorf("%w: %q has a label of %d characters at offset %d (at most 63)", ErrInvalidName, name, len(l), off)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
			if !ok {
				hint := ""
				if c >= 'A' && c <= 'Z' {
					hint = " (use lower case)"
				}
				return fmt.Errorf("%w: %q has %q at offset %d%s", ErrInvalidName, name, c, off+i, hint)
			}
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("%w: %q has a label starting or ending with '-' at offset %d", ErrInvalidName, name, off)
		}
		off += len(l) + 1
	}
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return fmt.Errorf("%w: %q looks like an IP address (certificates here are for DNS names)", ErrInvalidName, name)
	}
	return nil
}

// validateDomains checks every name and rejects duplicates.
func validateDomains(names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("%w: no domain names given", ErrInvalidName)
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if err := ValidateDomain(n); err != nil {
			return err
		}
		if seen[n] {
			return fmt.Errorf("%w: %q given twice", ErrInvalidName, n)
		}
		seen[n] = true
	}
	return nil
}
