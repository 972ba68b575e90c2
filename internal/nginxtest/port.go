package nginxtest

import (
	"fmt"
	"net"
	"testing"
)

// FreePort returns a loopback port that was free a moment ago for both TCP
// and UDP (the kernel picked it for a TCP listener that was then closed,
// and a UDP socket could bind it too, so it also suits DNS servers). It
// fails the test when no port can be had.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatalf("nginxtest: %v", err)
	}
	return p
}

func freePort() (int, error) {
	// Listeners stay open until a port is found, so that the kernel does
	// not offer a rejected port again.
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("finding a free port: %w", err)
		}
		held = append(held, l)
		if u, err := net.ListenPacket("udp", l.Addr().String()); err == nil {
			u.Close()
			return l.Addr().(*net.TCPAddr).Port, nil
		}
	}
	return 0, fmt.Errorf("finding a free port: no TCP port among %d was free for UDP too", len(held))
}
