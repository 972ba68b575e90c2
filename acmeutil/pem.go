package acmeutil

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
)

// ParseCertificates reads a PEM bundle (a certificate, a chain, a fullchain)
// and returns its certificates in order. Anything other than CERTIFICATE
// blocks and white space is an error naming the line where it starts, as is
// a bundle without certificates or a block that does not parse.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := data
	for {
		trimmed := bytes.TrimLeft(rest, " \t\r\n")
		if len(trimmed) == 0 {
			break
		}
		off := len(data) - len(trimmed)
		line := 1 + bytes.Count(data[:off], []byte("\n"))
		if !bytes.HasPrefix(trimmed, []byte("-----BEGIN ")) {
			return nil, fmt.Errorf("%w: line %d (offset %d): expected -----BEGIN CERTIFICATE-----", ErrCorrupt, line, off)
		}
		b, r := pem.Decode(trimmed)
		if b == nil {
			return nil, fmt.Errorf("%w: line %d (offset %d): malformed PEM block", ErrCorrupt, line, off)
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: line %d (offset %d): PEM block %q, want CERTIFICATE", ErrCorrupt, line, off, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d (offset %d): certificate %d: %v", ErrCorrupt, line, off, len(out)+1, err)
		}
		out = append(out, c)
		rest = r
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no certificate in PEM data", ErrCorrupt)
	}
	return out, nil
}

// encodeCerts PEM-encodes DER certificates.
func encodeCerts(der [][]byte) []byte {
	var b bytes.Buffer
	for _, d := range der {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: d})
	}
	return b.Bytes()
}

// readAllLimit reads at most limit bytes and fails if there are more.
func readAllLimit(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}
