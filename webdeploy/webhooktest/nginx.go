package webhooktest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/hostkit-dev/hostkit/internal/nginxtest"
)

// Nginx starts a private nginx (the Debian package) serving root on a free
// loopback port, for the life of the test, and returns its base URL
// ("http://127.0.0.1:PORT"). Everything nginx writes (pid, logs,
// temporary files) stays in a test directory. Serving <webroot>/current
// this way is how a real site is served.
func Nginx(t testing.TB, root string) string {
	t.Helper()
	s := nginxtest.Start(t, nginxtest.Config{
		HTTP:  "access_log off;\ndefault_type text/plain;",
		Ports: 1,
		Servers: func(ports []int) string {
			return fmt.Sprintf(`server {
    listen 127.0.0.1:%d;
    root %s;
    location / { try_files $uri $uri/ =404; }
}`, ports[0], root)
		},
	})
	return s.URL(0)
}

// Get fetches url and returns the status code and body (a helper for
// checking what a web server serves).
func Get(ctx context.Context, c *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
