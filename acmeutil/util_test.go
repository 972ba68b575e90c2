package acmeutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// selfSigned makes a stored-certificate record for domains, valid from
// notBefore to notAfter, with a fresh P-256 key.
func selfSigned(t testing.TB, notBefore, notAfter time.Time, domains ...string) *Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{CommonName: domains[0]},
		DNSNames:       domains,
		NotBefore:      notBefore,
		NotAfter:       notAfter,
		AuthorityKeyId: []byte{1, 2, 3, 4},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	keyPEM, _ := MarshalKey(key)
	c := &Certificate{
		Meta: Metadata{
			Version: MetadataVersion, Name: CertName(domains[0]), Domains: domains, KeyType: KeyEC256,
			Server: "https://ca.example/dir", OrderURL: "https://ca.example/order/1",
			Serial: leaf.SerialNumber.Text(16), NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter,
			IssuedAt: notBefore,
		},
		KeyPEM:   keyPEM,
		CertPEM:  encodeCerts([][]byte{der}),
		ChainPEM: encodeCerts([][]byte{der}),
		Leaf:     leaf,
	}
	c.Meta.Renewal.RenewAt = RenewalTime(c.Meta.NotBefore, c.Meta.NotAfter, nil, 0.5)
	return c
}
