package acmeutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// MetadataVersion is the version of the metadata format written by this package.
const MetadataVersion = 1

// Metadata describes a stored certificate: what was asked for, what was
// issued, where it came from, how to renew and install it, and the renewal
// state. It is stored as JSON beside the PEM files.
type Metadata struct {
	Version int `json:"version"`
	// Name is the certificate's name in the store (see CertName).
	Name string `json:"name"`
	// Domains are the names the certificate is for, the first one first.
	Domains []string `json:"domains"`
	// KeyType is the type of the certificate's private key.
	KeyType KeyType `json:"key_type"`
	// Server is the ACME directory URL that issued it.
	Server string `json:"server"`
	// OrderURL and CertURL are the ACME order and certificate resources.
	OrderURL string `json:"order_url"`
	CertURL  string `json:"cert_url,omitempty"`
	// Serial is the certificate's serial number in hex.
	Serial string `json:"serial"`
	// NotBefore and NotAfter copy the certificate's validity.
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// IssuedAt is when this package stored the certificate.
	IssuedAt time.Time `json:"issued_at"`
	// Issue holds the settings used to issue, reused on renewal.
	Issue IssueSettings `json:"issue"`
	// Renewal is the renewal bookkeeping.
	Renewal RenewalState `json:"renewal"`
	// Install, when set, is where the certificate is installed after each
	// issuance and what reloads the server.
	Install *InstallSpec `json:"install,omitempty"`
}

// IssueSettings are the issuance settings remembered for renewal
// (acme.sh keeps the same in its per-domain configuration).
type IssueSettings struct {
	// Webroot is the web server's document root for HTTP-01 files.
	Webroot string `json:"webroot,omitempty"`
	// Profile is the ACME issuance profile, if one was named.
	Profile string `json:"profile,omitempty"`
	// PreferredChain is the issuer common name of the preferred chain's top certificate.
	PreferredChain string `json:"preferred_chain,omitempty"`
}

// CertName is the store name for a certificate whose first domain is
// domain: the domain itself, with a wildcard's "*" spelled "_".
func CertName(domain string) string {
	return strings.Replace(domain, "*", "_", 1)
}

// ValidateCertName checks a store name: a valid domain, or one whose
// wildcard was spelled "_" by CertName. It keeps names usable as directory
// names (no "/", no leading ".").
func ValidateCertName(name string) error {
	d := name
	if strings.HasPrefix(d, "_.") {
		d = "*." + d[2:]
	}
	if err := ValidateDomain(d); err != nil {
		return fmt.Errorf("certificate name %q: %w", name, err)
	}
	return nil
}

// Marshal encodes m as indented JSON.
func (m *Metadata) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseMetadata decodes and checks stored metadata. Unknown fields are
// rejected (a typo in a hand edit must not be silently ignored); the name,
// domains, validity and install paths are validated.
func ParseMetadata(data []byte) (*Metadata, error) {
	if len(data) > 1<<20 {
		return nil, fmt.Errorf("%w: metadata: %d bytes (at most 1 MiB)", ErrCorrupt, len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Metadata
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: metadata: %s", ErrCorrupt, jsonErrorWhere(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: metadata: data after the JSON object at offset %d", ErrCorrupt, dec.InputOffset())
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Metadata) validate() error {
	if m.Version != MetadataVersion {
		return fmt.Errorf("%w: metadata: field version is %d, want %d", ErrCorrupt, m.Version, MetadataVersion)
	}
	if err := ValidateCertName(m.Name); err != nil {
		return fmt.Errorf("%w: metadata: field name: %v", ErrCorrupt, err)
	}
	if err := validateDomains(m.Domains); err != nil {
		return fmt.Errorf("%w: metadata: field domains: %v", ErrCorrupt, err)
	}
	if CertName(m.Domains[0]) != m.Name {
		return fmt.Errorf("%w: metadata: field name %q does not match the first domain %q", ErrCorrupt, m.Name, m.Domains[0])
	}
	if !m.NotAfter.After(m.NotBefore) {
		return fmt.Errorf("%w: metadata: field not_after %s is not after not_before %s", ErrCorrupt, m.NotAfter.Format(time.RFC3339), m.NotBefore.Format(time.RFC3339))
	}
	if m.KeyType != "" {
		if err := m.KeyType.Validate(); err != nil {
			return fmt.Errorf("%w: metadata: field key_type: %v", ErrCorrupt, err)
		}
	}
	if w := m.Renewal.ARI; w != nil && !w.Valid() {
		return fmt.Errorf("%w: metadata: field renewal.ari: end is not after start", ErrCorrupt)
	}
	if m.Renewal.Failures < 0 {
		return fmt.Errorf("%w: metadata: field renewal.failures is negative", ErrCorrupt)
	}
	if m.Install != nil {
		if err := m.Install.Validate(); err != nil {
			return fmt.Errorf("%w: metadata: field install: %v", ErrCorrupt, err)
		}
	}
	return nil
}
