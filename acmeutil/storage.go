package acmeutil

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"
)

// Certificate is a stored certificate: private key, leaf, chain and metadata.
type Certificate struct {
	Meta Metadata
	// KeyPEM is the private key (PKCS#8 PEM).
	KeyPEM []byte
	// CertPEM is the leaf certificate; ChainPEM the issuer chain after it.
	CertPEM  []byte
	ChainPEM []byte
	// Leaf is the parsed leaf certificate (set by Load and by Issue).
	Leaf *x509.Certificate
}

// FullchainPEM is the leaf followed by the chain, what servers serve.
func (c *Certificate) FullchainPEM() []byte {
	out := make([]byte, 0, len(c.CertPEM)+len(c.ChainPEM))
	out = append(out, c.CertPEM...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, c.ChainPEM...)
}

// Check verifies that the parts belong together: the key parses, the leaf
// parses and carries the key's public key, the chain parses, and the
// metadata matches the leaf (serial, validity). It sets Leaf.
func (c *Certificate) Check() error {
	key, err := ParseKey(c.KeyPEM)
	if err != nil {
		return fmt.Errorf("certificate %q: private key: %w", c.Meta.Name, err)
	}
	certs, err := ParseCertificates(c.CertPEM)
	if err != nil {
		return fmt.Errorf("certificate %q: cert: %w", c.Meta.Name, err)
	}
	if len(c.ChainPEM) > 0 {
		if _, err := ParseCertificates(c.ChainPEM); err != nil {
			return fmt.Errorf("certificate %q: chain: %w", c.Meta.Name, err)
		}
	}
	leaf := certs[0]
	if !publicKeysEqual(key.Public(), leaf.PublicKey) {
		return fmt.Errorf("%w: certificate %q: the private key does not match the certificate", ErrCorrupt, c.Meta.Name)
	}
	if got := leaf.SerialNumber.Text(16); c.Meta.Serial != "" && got != c.Meta.Serial {
		return fmt.Errorf("%w: certificate %q: metadata serial %s, certificate serial %s", ErrCorrupt, c.Meta.Name, c.Meta.Serial, got)
	}
	if !c.Meta.NotAfter.IsZero() && !leaf.NotAfter.Equal(c.Meta.NotAfter) {
		return fmt.Errorf("%w: certificate %q: metadata not_after %s, certificate %s", ErrCorrupt, c.Meta.Name, c.Meta.NotAfter.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	c.Leaf = leaf
	return nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	ae, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ae.Equal(b)
}

// AccountRecord is a stored ACME account for one CA.
type AccountRecord struct {
	// Server is the CA's directory URL.
	Server string `json:"server"`
	// URL is the account URL (the key ID the CA assigned).
	URL string `json:"url"`
	// Contact are the account's contact URIs ("mailto:...").
	Contact []string `json:"contact,omitempty"`
	// CreatedAt is when the account was registered.
	CreatedAt time.Time `json:"created_at"`
	// Key is the account's private key (not part of the JSON).
	Key crypto.Signer `json:"-"`
}

// Storage keeps certificates and accounts. Implementations must make each
// Save atomic for readers that hold the certificate's lock, and Lock must
// exclude other holders (goroutines, processes, and for shared stores other
// machines) until unlock is called.
type Storage interface {
	// Lock takes the lock of the named certificate, waiting until ctx is done.
	Lock(ctx context.Context, name string) (unlock func(), err error)
	// List returns the names of stored certificates, sorted.
	List(ctx context.Context) ([]string, error)
	// Load reads and checks a certificate (ErrNotFound, ErrCorrupt).
	Load(ctx context.Context, name string) (*Certificate, error)
	// LoadMetadata reads only the metadata of a certificate.
	LoadMetadata(ctx context.Context, name string) (*Metadata, error)
	// Save stores a certificate (key, cert, chain, fullchain, metadata).
	Save(ctx context.Context, c *Certificate) error
	// SaveMetadata replaces only the metadata of a stored certificate.
	SaveMetadata(ctx context.Context, m *Metadata) error
	// LoadAccount reads the account for a CA directory URL (ErrNotFound).
	LoadAccount(ctx context.Context, server string) (*AccountRecord, error)
	// SaveAccount stores an account and its key (the key file 0600).
	SaveAccount(ctx context.Context, a *AccountRecord) error
}

// sameBytes is bytes.Equal, named for the install code's readability.
func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) }
