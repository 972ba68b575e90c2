package acmeutil

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
)

// IssueRequest says what certificate to get and how to prove control.
type IssueRequest struct {
	// Domains are the names to certify; the first becomes the subject
	// common name and the store name. "*.example.com" needs a DNS-01 solver.
	Domains []string
	// KeyType is the type of the new certificate key (default ECDSA P-256).
	// Each issuance gets a fresh key unless Key is set.
	KeyType KeyType
	// Key, when set, is used instead of a fresh key.
	Key crypto.Signer
	// Solvers answer the challenges; the first one whose type the CA offers
	// for an identifier is used.
	Solvers []Solver
	// Profile names an ACME issuance profile ("" lets the CA choose).
	Profile string
	// PreferredChain selects among the CA's chains the one whose top
	// certificate's issuer (or subject) common name is this. The default
	// chain is kept when none matches.
	PreferredChain string
}

// Issued is a newly issued certificate.
type Issued struct {
	Domains []string
	// Key is the certificate's private key; KeyPEM its PKCS#8 PEM.
	Key    crypto.Signer
	KeyPEM []byte
	// Leaf is the parsed certificate; CertPEM and ChainPEM are the leaf and
	// the issuer chain as PEM.
	Leaf     *x509.Certificate
	CertPEM  []byte
	ChainPEM []byte
	// OrderURL and CertURL are the ACME order and certificate resources.
	OrderURL string
	CertURL  string
	// Profile is the profile the CA used, if it said.
	Profile string
}

// Issue runs an ACME order: new order, challenges through the solvers,
// finalize with a CSR for a fresh key, download the chain (the preferred one
// if asked). It polls promptly (20 ms doubling to 2 s) and never sooner than
// the CA's Retry-After. Challenges presented are always cleaned up.
func (c *Client) Issue(ctx context.Context, req IssueRequest) (*Issued, error) {
	if err := validateDomains(req.Domains); err != nil {
		return nil, err
	}
	if len(req.Solvers) == 0 {
		return nil, fmt.Errorf("%w: no challenge solver given", ErrInvalidConfig)
	}
	key := req.Key
	if key == nil {
		var err error
		if key, err = GenerateKey(req.KeyType); err != nil {
			return nil, err
		}
	}
	keyPEM, err := MarshalKey(key)
	if err != nil {
		return nil, err
	}
	var opts []acme.OrderOption
	if req.Profile != "" {
		opts = append(opts, acme.WithOrderIssuanceProfile(acme.ProfileName(req.Profile)))
	}
	order, err := c.ac.AuthorizeOrder(ctx, acme.DomainIDs(req.Domains...), opts...)
	if err != nil {
		return nil, wrapACME("new order", strings.Join(req.Domains, ","), "", c.dir.OrderURL, err)
	}
	if err := c.authorize(ctx, order, req.Solvers); err != nil {
		return nil, err
	}
	if order, err = c.pollOrder(ctx, order.URI, acme.StatusReady); err != nil {
		return nil, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: commonName(req.Domains[0])},
		DNSNames: req.Domains,
	}, key)
	if err != nil {
		return nil, fmt.Errorf("acmeutil: creating CSR: %w", err)
	}
	der, certURL, err := c.finalize(ctx, order, csr)
	if err != nil {
		return nil, err
	}
	if req.PreferredChain != "" {
		der = c.preferredChain(ctx, der, certURL, req.PreferredChain)
	}
	leaf, err := x509.ParseCertificate(der[0])
	if err != nil {
		return nil, fmt.Errorf("%w: certificate from %s: %v", ErrCorrupt, certURL, err)
	}
	if !publicKeysEqual(key.Public(), leaf.PublicKey) {
		return nil, fmt.Errorf("%w: the CA's certificate at %s is not for the key in the CSR", ErrCorrupt, certURL)
	}
	for _, d := range req.Domains {
		if err := leaf.VerifyHostname(strings.Replace(d, "*", "x", 1)); err != nil {
			return nil, fmt.Errorf("%w: the CA's certificate at %s does not cover %s: %v", ErrCorrupt, certURL, d, err)
		}
	}
	return &Issued{
		Domains:  append([]string(nil), req.Domains...),
		Key:      key,
		KeyPEM:   keyPEM,
		Leaf:     leaf,
		CertPEM:  encodeCerts(der[:1]),
		ChainPEM: encodeCerts(der[1:]),
		OrderURL: order.URI,
		CertURL:  certURL,
		Profile:  string(order.Profile),
	}, nil
}

func commonName(d string) string {
	if len(d) > 64 {
		return ""
	}
	return d
}

type pending struct {
	authzURL string
	domain   string
	chal     Challenge
	solver   Solver
}

// authorize presents and accepts every pending authorization's challenge,
// then waits for all of them; presented challenges are cleaned up on return.
func (c *Client) authorize(ctx context.Context, order *acme.Order, solvers []Solver) (err error) {
	var todo []pending
	defer func() {
		// Clean up even when ctx was cancelled, with a bounded time.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, p := range todo {
			if cerr := p.solver.CleanUp(cctx, p.chal); cerr != nil && err == nil {
				err = fmt.Errorf("acmeutil: cleaning up challenge for %s: %w", p.domain, cerr)
			}
		}
	}()
	for _, u := range order.AuthzURLs {
		z, err := c.ac.GetAuthorization(ctx, u)
		if err != nil {
			return wrapACME("authorization", "", "", u, err)
		}
		domain := z.Identifier.Value
		switch z.Status {
		case acme.StatusValid:
			continue
		case acme.StatusPending:
		default:
			return &ProblemError{Op: "authorization", Domain: domain, URL: u, Err: fmt.Errorf("status %q", z.Status)}
		}
		var chosen *acme.Challenge
		var solver Solver
		for _, s := range solvers {
			for _, ch := range z.Challenges {
				if ch.Type == s.ChallengeType() {
					chosen, solver = ch, s
					break
				}
			}
			if chosen != nil {
				break
			}
		}
		if chosen == nil {
			var offered []string
			for _, ch := range z.Challenges {
				offered = append(offered, ch.Type)
			}
			return fmt.Errorf("%w: %s: the CA offers %s", ErrNoSolver, domain, strings.Join(offered, ", "))
		}
		if err := ValidateToken(chosen.Token); err != nil {
			return fmt.Errorf("challenge for %s at %s: %w", domain, chosen.URI, err)
		}
		ch := Challenge{Type: chosen.Type, Domain: domain, Token: chosen.Token}
		if ch.KeyAuth, err = c.ac.HTTP01ChallengeResponse(chosen.Token); err != nil {
			return fmt.Errorf("acmeutil: key authorization: %w", err)
		}
		if chosen.Type == DNS01 {
			if ch.DNSValue, err = c.ac.DNS01ChallengeRecord(chosen.Token); err != nil {
				return fmt.Errorf("acmeutil: DNS-01 record: %w", err)
			}
		}
		todo = append(todo, pending{authzURL: u, domain: domain, chal: ch, solver: solver})
		if err := solver.Present(ctx, ch); err != nil {
			return fmt.Errorf("acmeutil: presenting %s challenge for %s: %w", ch.Type, domain, err)
		}
		if _, err := c.ac.Accept(ctx, chosen); err != nil {
			return wrapACME("accepting challenge", domain, chosen.Type, chosen.URI, err)
		}
	}
	for _, p := range todo {
		if err := c.pollAuthz(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// pollDelay is the wait before poll number n (0-based): 20 ms doubling to
// 2 s, but never less than the CA's Retry-After.
func pollDelay(n int, retryAfter time.Duration) time.Duration {
	d := 2 * time.Second
	if n < 7 {
		d = min(20*time.Millisecond<<n, d)
	}
	return max(d, retryAfter)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) pollAuthz(ctx context.Context, p pending) error {
	for n := 0; ; n++ {
		if err := sleepCtx(ctx, pollDelay(n, c.retry.retryAfter(p.authzURL))); err != nil {
			return &ProblemError{Op: "waiting for authorization", Domain: p.domain, Challenge: p.chal.Type, URL: p.authzURL, Err: err}
		}
		z, err := c.ac.GetAuthorization(ctx, p.authzURL)
		if err != nil {
			return wrapACME("authorization", p.domain, p.chal.Type, p.authzURL, err)
		}
		switch z.Status {
		case acme.StatusValid:
			return nil
		case acme.StatusPending, acme.StatusProcessing:
			continue
		}
		pe := &ProblemError{Op: "authorization", Domain: p.domain, Challenge: p.chal.Type, URL: p.authzURL,
			Err: fmt.Errorf("authorization is %s", z.Status)}
		for _, ch := range z.Challenges {
			var ae *acme.Error
			if ch.Type == p.chal.Type && errors.As(ch.Error, &ae) {
				pe.Problem = ae
				pe.URL = ch.URI
			}
		}
		return pe
	}
}

// pollOrder polls until the order reaches want (ready or valid), failing
// on invalid.
func (c *Client) pollOrder(ctx context.Context, orderURL, want string) (*acme.Order, error) {
	for n := 0; ; n++ {
		o, err := c.ac.GetOrder(ctx, orderURL)
		if err != nil {
			return nil, wrapACME("order", "", "", orderURL, err)
		}
		if o.URI == "" {
			o.URI = orderURL
		}
		switch {
		case o.Status == want, o.Status == acme.StatusValid:
			return o, nil
		case o.Status == acme.StatusInvalid:
			return nil, &ProblemError{Op: "order", URL: orderURL, Problem: o.Error, Err: errors.New("order is invalid")}
		case want == acme.StatusReady && o.Status != acme.StatusPending:
			return nil, &ProblemError{Op: "order", URL: orderURL, Err: fmt.Errorf("status %q, want ready", o.Status)}
		}
		if err := sleepCtx(ctx, pollDelay(n, c.retry.retryAfter(orderURL))); err != nil {
			return nil, &ProblemError{Op: "waiting for order", URL: orderURL, Err: err}
		}
	}
}

// finalize submits the CSR. golang.org/x/crypto/acme then waits for the
// certificate with a fixed one-second poll; to stay prompt, this polls the
// order concurrently (never sooner than its Retry-After) and, once the CA
// says the order is valid, stops that wait and downloads the chain itself.
func (c *Client) finalize(ctx context.Context, order *acme.Order, csr []byte) ([][]byte, string, error) {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		der     [][]byte
		certURL string
		err     error
	}
	done := make(chan result, 1)
	go func() {
		der, certURL, err := c.ac.CreateCertFromOrder(fctx, order, csr, true)
		done <- result{der, certURL, err}
	}()
	for n := 0; ; n++ {
		t := time.NewTimer(pollDelay(n, c.retry.retryAfter(order.URI)))
		select {
		case r := <-done:
			t.Stop()
			if r.err != nil {
				return nil, "", wrapACME("finalize", "", "", order.FinalizeURL, r.err)
			}
			return r.der, r.certURL, nil
		case <-ctx.Done():
			t.Stop()
			<-done
			return nil, "", &ProblemError{Op: "waiting for certificate", URL: order.URI, Err: ctx.Err()}
		case <-t.C:
		}
		o, err := c.ac.GetOrder(ctx, order.URI)
		if err != nil {
			// The finalize call reports the CA's errors; keep waiting for it.
			continue
		}
		switch o.Status {
		case acme.StatusValid:
			cancel()
			if r := <-done; r.err == nil {
				return r.der, r.certURL, nil
			}
			der, err := c.ac.FetchCert(ctx, o.CertURL, true)
			if err != nil {
				return nil, "", wrapACME("certificate download", "", "", o.CertURL, err)
			}
			return der, o.CertURL, nil
		case acme.StatusInvalid:
			cancel()
			<-done
			return nil, "", &ProblemError{Op: "finalize", URL: order.URI, Problem: o.Error, Err: errors.New("order became invalid after finalize")}
		}
	}
}

// preferredChain returns the chain whose top certificate names want as
// issuer or subject common name, trying the alternates the CA links; the
// default chain when none matches or the alternates cannot be fetched.
func (c *Client) preferredChain(ctx context.Context, def [][]byte, certURL, want string) [][]byte {
	if chainMatches(def, want) {
		return def
	}
	alts, err := c.ac.ListCertAlternates(ctx, certURL)
	if err != nil {
		return def
	}
	for _, u := range alts {
		der, err := c.ac.FetchCert(ctx, u, true)
		if err == nil && chainMatches(der, want) {
			return der
		}
	}
	return def
}

func chainMatches(der [][]byte, want string) bool {
	if len(der) == 0 {
		return false
	}
	top, err := x509.ParseCertificate(der[len(der)-1])
	if err != nil {
		return false
	}
	return top.Issuer.CommonName == want || top.Subject.CommonName == want
}
