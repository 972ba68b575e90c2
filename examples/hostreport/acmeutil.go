package main

import "context"

func init() { register(70, "acmeutil", "Certificates (ACME)", reportAcmeutil) }

// reportAcmeutil is a placeholder until issue #10 lands the acmeutil package.
func reportAcmeutil(ctx context.Context, s *Section) {
	s.Miss("not implemented yet (issue #10): this section will show certificates in a given state directory with expiry and next renewal, or what is needed to start")
}
