package acmetest

import (
	"net"
	"strconv"
	"testing"
)

// FreePort returns a loopback TCP port that was free a moment ago (the
// kernel picked it for a listener that was then closed).
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("acmetest: finding a free port: %v", err)
	}
	defer l.Close()
	if u, err := net.ListenPacket("udp", l.Addr().String()); err == nil {
		u.Close()
	} else {
		return FreePort(t)
	}
	return l.Addr().(*net.TCPAddr).Port
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
