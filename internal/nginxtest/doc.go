// Package nginxtest starts a private nginx (the Debian package) for tests.
//
// Everything the instance writes (configuration, pid file, logs, temporary
// files) lives in one prefix directory under the test's temporary
// directory; it listens only on loopback ports; it runs in a process group
// of its own, which is stopped as a whole when the test ends, so no worker
// outlives the test. A small watchdog (/bin/sh) kills that group if the
// test binary itself dies first (go test -timeout, ^C, SIGKILL), when no
// cleanup runs. Start returns once the master has written its pid file
// and every port it was asked to listen on accepts connections; if nginx
// exits first, the test fails with the end of its error log.
//
// The caller gives the body of the http block (Config.HTTP) and, for sites
// that need ports, a function that renders server blocks for free ports
// picked at run time (Config.Servers). When another process takes a picked
// port before nginx binds it, Start tries again with new ports.
//
// A missing nginx marks the test unavailable through internal/testenv:
// skipped with an install hint, or failed when HOSTKIT_REQUIRE_INTEGRATION=1.
//
// acmeutil/acmetest and webdeploy/webhooktest build their public nginx
// helpers on this package; FreePort is shared by all of hostkit's test
// helpers.
package nginxtest
