package nginxtest_test

import (
	"fmt"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/nginxtest"
)

// A test that needs a web server in front of a directory.
func ExampleStart() {
	// In a real test this is the *testing.T of the test function.
	var t testing.TB = &testing.T{}
	root := t.TempDir()
	s := nginxtest.Start(t, nginxtest.Config{
		HTTP:  "access_log off;",
		Ports: 1,
		Servers: func(ports []int) string {
			return fmt.Sprintf("server { listen 127.0.0.1:%d; root %s; }", ports[0], root)
		},
	})
	fmt.Println(s.URL(0)) // http://127.0.0.1:PORT serves root
}
