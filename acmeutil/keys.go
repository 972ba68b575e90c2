package acmeutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// KeyType names a private key algorithm and size.
type KeyType string

// Key types for account and certificate keys. The zero value means KeyEC256.
const (
	KeyEC256   KeyType = "ec-256"
	KeyEC384   KeyType = "ec-384"
	KeyRSA2048 KeyType = "rsa-2048"
	KeyRSA3072 KeyType = "rsa-3072"
	KeyRSA4096 KeyType = "rsa-4096"
)

// ParseKeyType accepts the names above and acme.sh's --keylength spellings
// ("ec-256", "ec-384", "2048", "3072", "4096"). An empty string is KeyEC256.
func ParseKeyType(s string) (KeyType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "ec-256", "ec256", "p256", "ecdsa":
		return KeyEC256, nil
	case "ec-384", "ec384", "p384":
		return KeyEC384, nil
	case "rsa-2048", "2048", "rsa":
		return KeyRSA2048, nil
	case "rsa-3072", "3072":
		return KeyRSA3072, nil
	case "rsa-4096", "4096":
		return KeyRSA4096, nil
	}
	return "", fmt.Errorf("%w: key type %q (want ec-256, ec-384, 2048, 3072 or 4096)", ErrInvalidConfig, s)
}

// Validate reports whether kt is a key type GenerateKey accepts ("" is KeyEC256).
func (kt KeyType) Validate() error {
	switch kt {
	case "", KeyEC256, KeyEC384, KeyRSA2048, KeyRSA3072, KeyRSA4096:
		return nil
	}
	return fmt.Errorf("%w: key type %q (want ec-256, ec-384, rsa-2048, rsa-3072 or rsa-4096)", ErrInvalidConfig, kt)
}

// GenerateKey creates a new private key of the given type.
func GenerateKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case "", KeyEC256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyEC384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case KeyRSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case KeyRSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case KeyRSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	}
	return nil, fmt.Errorf("%w: key type %q", ErrInvalidConfig, kt)
}

// KeyTypeOf reports the KeyType of an existing key, or "" if it is none of them.
func KeyTypeOf(pub crypto.PublicKey) KeyType {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return KeyEC256
		case elliptic.P384():
			return KeyEC384
		}
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 2048:
			return KeyRSA2048
		case 3072:
			return KeyRSA3072
		case 4096:
			return KeyRSA4096
		}
	}
	return ""
}

// MarshalKey encodes a private key as a PKCS#8 "PRIVATE KEY" PEM block.
func MarshalKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("acmeutil: encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKey decodes the first PEM private key in data (PKCS#8, PKCS#1 RSA or
// SEC 1 EC). Only RSA and ECDSA keys are accepted.
func ParseKey(data []byte) (crypto.Signer, error) {
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("%w: no PEM private key block found", ErrCorrupt)
		}
		var k any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s block: %v", ErrCorrupt, b.Type, err)
		}
		switch s := k.(type) {
		case *rsa.PrivateKey:
			return s, nil
		case *ecdsa.PrivateKey:
			return s, nil
		}
		return nil, fmt.Errorf("%w: %T keys are not supported (RSA or ECDSA only)", ErrCorrupt, k)
	}
}

// LoadKeyFile reads a private key from path. It refuses a file that group or
// others may read or write (ErrKeyPermissions), like ssh does.
func LoadKeyFile(path string) (crypto.Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: key file %s: %w", ErrNotFound, path, err)
		}
		return nil, fmt.Errorf("acmeutil: key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("acmeutil: key file: %w", err)
	}
	if p := fi.Mode().Perm(); p&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600 (run: chmod 600 %s)", ErrKeyPermissions, path, p, path)
	}
	data, err := readAllLimit(f, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("acmeutil: reading key file %s: %w", path, err)
	}
	k, err := ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// WriteKeyFile atomically writes key to path with mode 0600.
func WriteKeyFile(path string, key crypto.Signer) error {
	data, err := MarshalKey(key)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, atomicfile.Options{Perm: 0o600, ForcePerm: true})
}
