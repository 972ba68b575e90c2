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
	ports, err := pickPorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// pickPorts returns n distinct loopback ports, each free for TCP and UDP a
// moment ago. Every listener stays open until all n are found, so that the
// kernel offers neither a rejected port nor an already picked one again.
func pickPorts(n int) ([]int, error) {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	var ports []int
	for len(ports) < n {
		if len(held) == 100*n {
			return nil, fmt.Errorf("finding a free port: only %d of %d TCP ports were free for UDP too", len(ports), len(held))
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		held = append(held, l)
		if u, err := net.ListenPacket("udp", l.Addr().String()); err == nil {
			u.Close()
			ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		}
	}
	return ports, nil
}
