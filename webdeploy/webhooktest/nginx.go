package webhooktest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// Nginx starts a private nginx (the Debian package) serving root on a free
// loopback port, for the life of the test, and returns its base URL
// ("http://127.0.0.1:PORT"). Everything nginx writes (pid, logs,
// temporary files) stays in a test directory. Serving <webroot>/current
// this way is how a real site is served.
func Nginx(t testing.TB, root string) string {
	t.Helper()
	bin := testenv.RequireTool(t, "nginx")
	dir := t.TempDir()
	for _, d := range []string{"tmp", "logs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers would run as nobody, who cannot read test directories
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		conf := fmt.Sprintf(`%s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/logs/error.log;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[2]s/tmp/body;
    proxy_temp_path %[2]s/tmp/proxy;
    fastcgi_temp_path %[2]s/tmp/fastcgi;
    uwsgi_temp_path %[2]s/tmp/uwsgi;
    scgi_temp_path %[2]s/tmp/scgi;
    default_type text/plain;
    server {
        listen 127.0.0.1:%[3]d;
        root %[4]s;
        location / { try_files $uri $uri/ =404; }
    }
}
`, user, dir, port, root)
		cf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		// Output goes to a file, not a pipe: a pipe held open by a worker
		// would keep Wait from returning.
		outf, err := os.Create(filepath.Join(dir, "logs", "stderr.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-p", dir, "-c", cf, "-e", filepath.Join(dir, "logs", "error.log"), "-g", "daemon off;")
		cmd.Stdout, cmd.Stderr = outf, outf
		// Its own process group, so that stopping it reaches the workers.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			outf.Close()
			t.Fatal(err)
		}
		outf.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		cancel := func() {
			pgid := cmd.Process.Pid
			syscall.Kill(pgid, syscall.SIGQUIT) // graceful: the master stops its workers
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
			syscall.Kill(-pgid, syscall.SIGKILL) // whatever is left of the group
		}
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case err := <-done:
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				outb, _ := os.ReadFile(filepath.Join(dir, "logs", "stderr.log"))
				logb, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
				lastErr = fmt.Errorf("nginx exited: %v\n%s%s", err, outb, logb)
				goto retry
			default:
			}
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
				c.Close()
				t.Cleanup(cancel)
				return url
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		t.Fatalf("nginx did not start listening on port %d", port)
	retry:
	}
	t.Fatalf("could not start nginx: %v", lastErr)
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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
