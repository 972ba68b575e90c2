package acmeutil

import "context"

// Challenge types.
const (
	HTTP01 = "http-01"
	DNS01  = "dns-01"
)

// Challenge is what a Solver must make visible to the CA for one identifier.
type Challenge struct {
	// Type is the challenge type (HTTP01, DNS01).
	Type string
	// Domain is the identifier being validated (without a wildcard's "*.").
	Domain string
	// Token is the CA's token, already checked with ValidateToken.
	Token string
	// KeyAuth is the key authorization: the body an HTTP-01 response serves.
	KeyAuth string
	// DNSValue is the TXT record value for DNS-01.
	DNSValue string
}

// HTTPPath is the path the CA fetches for an HTTP-01 challenge.
func (c Challenge) HTTPPath() string { return "/.well-known/acme-challenge/" + c.Token }

// DNSName is the TXT record name for a DNS-01 challenge.
func (c Challenge) DNSName() string { return "_acme-challenge." + c.Domain }

// Solver makes challenges visible to the CA and removes them afterwards.
// Issue calls CleanUp for every Present that was attempted, also when the
// issuance fails or is cancelled.
type Solver interface {
	// ChallengeType is the challenge type the solver answers.
	ChallengeType() string
	// Present makes the challenge answerable.
	Present(ctx context.Context, ch Challenge) error
	// CleanUp removes what Present created.
	CleanUp(ctx context.Context, ch Challenge) error
}
