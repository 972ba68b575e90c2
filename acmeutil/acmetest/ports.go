package acmetest

import (
	"net"
	"strconv"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/nginxtest"
)

// FreePort returns a loopback TCP port that was free a moment ago (the
// kernel picked it for a listener that was then closed); a UDP socket
// could bind it too, so it also suits a DNS server.
func FreePort(t testing.TB) int {
	t.Helper()
	return nginxtest.FreePort(t)
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
