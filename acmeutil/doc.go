// Package acmeutil gets and keeps TLS certificates from an ACME CA (Let's
// Encrypt and others) the way acme.sh's webroot mode does, with the parts
// people get wrong done right: the challenge path served while everything
// else redirects to https, renewals on time (ARI) that never fail
// silently, atomic installs with a reload only when something changed, and
// an nginx that can start before the certificate exists.
//
// # Protocol
//
// The ACME protocol (RFC 8555) is golang.org/x/crypto/acme: this package
// never builds a JWS itself. What x/crypto/acme does not have is added
// here: ACME Renewal Information (RFC 9773; Client.RenewalInfo, CertID),
// prompt polling that honours Retry-After (20 ms doubling to 2 s, never
// sooner than the CA asks), alternate chain selection, and errors
// (*ProblemError) that carry the CA's problem document with the domain and
// challenge concerned.
//
// # Pieces
//
//   - Accounts: NewClient registers (ECDSA P-256 by default, RSA on
//     request; contact, terms agreement, external account binding) or
//     reuses the account in a Storage. Keys are stored 0600 and refused
//     when group or others can read them.
//   - Solvers: WebrootSolver writes <webroot>/.well-known/acme-challenge/<token>
//     (token checked as base64url, directories 0755, file 0644, removed
//     afterwards even on failure); HTTPSolver answers from memory as an
//     http.Handler; HookSolver runs commands (DNS-01); Solver is the
//     interface for others.
//   - Issue: Client.Issue with a fresh key per certificate (ECDSA P-256,
//     P-384, RSA 2048/3072/4096), CSR, finalize, chain download.
//   - Storage: DirStorage keeps key, cert, chain, fullchain and Metadata
//     (order URL, renewal state, install spec) per certificate, each file
//     written atomically, with a flock(2) lock per certificate.
//   - Renewal: Decide and RenewalTime (a random time inside the ARI
//     window, else in DefaultWindow: a third of the lifetime left, half for
//     certificates under 10 days), RetryDelay (1 min, 10 min, 100 min,
//     daily); Manager runs it for many certificates under one context.
//   - Install: Install copies key and fullchain (and cert, chain) atomically,
//     keeps existing owners and modes, and runs the reload command only when
//     something changed; a failed reload is returned and retried.
//   - nginx: NginxSite renders the http-only bootstrap server block and the
//     https one; Nginx runs nginx -t and reloads; Bootstrap is the whole
//     container-init sequence in one call.
//
// The subpackage acmetest runs a real Pebble CA (with pebble-challtestsrv
// for DNS) and a real nginx for tests, yours included.
//
// # Dependencies
//
// golang.org/x/crypto/acme for the protocol, golang.org/x/sys/unix for
// flock(2); nothing else beyond the standard library.
package acmeutil
