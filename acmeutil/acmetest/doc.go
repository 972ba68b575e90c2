// Package acmetest runs a real ACME CA and a real nginx for tests: Pebble
// (github.com/letsencrypt/pebble/v2, the Let's Encrypt test CA) with
// pebble-challtestsrv answering DNS so that every test name resolves to
// 127.0.0.1, and an nginx instance in a private prefix directory.
//
// Everything listens on free loopback ports chosen at run time and is
// stopped by t.Cleanup. Pebble's HTTPS listener uses a certificate from a
// CA generated per run (Pebble's own test certificates are not installed
// by `go install`); HTTPClient trusts only that CA.
//
// Pebble's behaviour is pinned for repeatable tests: PEBBLE_VA_NOSLEEP=1
// (no random validation delay), PEBBLE_AUTHZREUSE=0 (no reused
// authorizations), PEBBLE_WFE_NONCEREJECT=0 (no injected bad nonces) unless
// Options says otherwise, and a single "default" profile unless Options
// names profiles.
//
// When pebble, pebble-challtestsrv or nginx is missing the test is marked
// unavailable: skipped with an install hint, or failed when
// HOSTKIT_REQUIRE_INTEGRATION=1.
package acmetest
