package nginxtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// get fetches url on a fresh connection and returns status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res.StatusCode, string(b)
}

// A server block rendered for a picked port serves files from a root as
// soon as Start returns, and Args select this instance for nginx -t.
func TestStartServesRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "x.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Start(t, Config{
		HTTP:  "access_log off;\ndefault_type text/plain;",
		Ports: 1,
		Servers: func(ports []int) string {
			return fmt.Sprintf("server { listen 127.0.0.1:%d; root %s; }", ports[0], root)
		},
	})
	if code, body := get(t, s.URL(0)+"/x.txt"); code != 200 || body != "hello\n" {
		t.Errorf("GET /x.txt: %d %q", code, body)
	}
	if code, _ := get(t, s.URL(0)+"/missing"); code != 404 {
		t.Errorf("GET /missing: %d, want 404", code)
	}
	want := []string{"-p", s.Dir, "-e", s.ErrorLogFile, "-c", s.Conf}
	if !slices.Equal(s.Args, want) {
		t.Errorf("Args %q, want %q", s.Args, want)
	}
	if out, err := exec.Command(s.Binary, append(s.Args, "-t")...).CombinedOutput(); err != nil {
		t.Errorf("nginx -t with Args: %v\n%s", err, out)
	}
	conf, err := os.ReadFile(s.Conf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.HasPrefix(string(conf), "user root;\n"), os.Geteuid() == 0; got != want {
		t.Errorf("config starts with user root: %v, want %v (euid %d)", got, want, os.Geteuid())
	}
	for _, p := range []string{filepath.Join(s.Dir, "nginx.pid"), filepath.Join(s.Dir, "tmp"), s.ErrorLogFile} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("private path: %v", err)
		}
	}
}

// Stop ends the master and every worker: nothing is left in the group.
func TestStopEndsProcessGroup(t *testing.T) {
	s := Start(t, Config{HTTP: "access_log off;"})
	pgid := s.p.pid()
	workers := s.p.workers()
	if len(workers) != 1 {
		t.Fatalf("workers %v, want one", workers)
	}
	s.Stop()
	s.Stop() // a second call (as from t.Cleanup) is harmless
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d after Stop: kill 0 = %v, want ESRCH", pgid, err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "nginx.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file after Stop: %v", err)
	}
}

// reloadable starts a server whose answer comes from an included file.
func reloadable(t *testing.T, answer string) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	inc := filepath.Join(dir, "answer.inc")
	if err := os.WriteFile(inc, []byte(answer), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sites"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := Start(t, Config{
		Dir:   dir,
		HTTP:  "access_log off;\ndefault_type text/plain;\ninclude " + dir + "/sites/*.conf;",
		Ports: 1,
		Servers: func(ports []int) string {
			return fmt.Sprintf("server { listen 127.0.0.1:%d; location / { include %s; } }", ports[0], inc)
		},
	})
	if code, body := get(t, s.URL(0)); code != 200 || body != "one" {
		t.Fatalf("before reload: %d %q", code, body)
	}
	return s, inc
}

// After Reload returns, every new connection gets the new configuration:
// no polling needed.
func TestReload(t *testing.T) {
	s, inc := reloadable(t, `return 200 "one";`)
	old := s.p.workers()
	for i, answer := range []string{"two", "three"} {
		if err := os.WriteFile(inc, []byte(`return 200 "`+answer+`";`), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		err := s.Reload(ctx)
		cancel()
		if err != nil {
			t.Fatalf("reload %d: %v", i+1, err)
		}
		for range 20 {
			if code, body := get(t, s.URL(0)); code != 200 || body != answer {
				t.Fatalf("after reload %d: %d %q, want %q", i+1, code, body, answer)
			}
		}
		cur := s.p.workers()
		if slices.ContainsFunc(cur, func(p int) bool { return slices.Contains(old, p) }) {
			t.Errorf("reload %d: workers %v still include old %v", i+1, cur, old)
		}
		old = cur
	}
}

// A configuration nginx cannot parse is refused by nginx -s reload; one
// it parses but cannot apply (a port someone else holds) is refused by
// the master, which keeps serving the old one.
func TestReloadRejected(t *testing.T) {
	s, inc := reloadable(t, `return 200 "one";`)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if err := os.WriteFile(inc, []byte(`no_such_directive on;`), 0o644); err != nil {
		t.Fatal(err)
	}
	err := s.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), `unknown directive "no_such_directive"`) {
		t.Errorf("reload of a bad directive: %v", err)
	}
	if code, body := get(t, s.URL(0)); code != 200 || body != "one" {
		t.Errorf("after refused reload: %d %q", code, body)
	}

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if err := os.WriteFile(inc, []byte(`return 200 "two";`), 0o644); err != nil {
		t.Fatal(err)
	}
	site := fmt.Sprintf("server { listen %s; return 200 \"x\"; }", taken.Addr())
	if err := os.WriteFile(filepath.Join(s.Dir, "sites", "taken.conf"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	err = s.Reload(ctx)
	if !errors.Is(err, ErrNotReloaded) || !strings.Contains(err.Error(), "Address already in use") {
		t.Errorf("reload onto a taken port: %v, want ErrNotReloaded naming the bind error", err)
	}
	if code, body := get(t, s.URL(0)); code != 200 || body != "one" {
		t.Errorf("after refused reload: %d %q", code, body)
	}
}

// A port taken between picking and binding makes Start pick new ports.
func TestStartRetriesTakenPort(t *testing.T) {
	var calls [][]int
	var taken net.Listener
	t.Cleanup(func() {
		if taken != nil {
			taken.Close()
		}
	})
	s := Start(t, Config{
		HTTP:  "access_log off;",
		Ports: 2,
		Servers: func(ports []int) string {
			calls = append(calls, ports)
			if len(calls) == 1 {
				var err error
				if taken, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", ports[1])); err != nil {
					t.Fatal(err)
				}
			}
			return fmt.Sprintf("server { listen 127.0.0.1:%d; listen 127.0.0.1:%d; return 200 \"up\"; }", ports[0], ports[1])
		},
	})
	if len(calls) != 2 {
		t.Fatalf("Servers called %d times (%v), want 2", len(calls), calls)
	}
	if !slices.Equal(s.Ports, calls[1]) {
		t.Errorf("Ports %v, want the second pick %v", s.Ports, calls[1])
	}
	for i := range s.Ports {
		if code, body := get(t, s.URL(i)); code != 200 || body != "up" {
			t.Errorf("port %d: %d %q", s.Ports[i], code, body)
		}
	}
}

// A configuration nginx rejects fails at once (no retry) with the error
// log's words.
func TestStartReportsBadConfig(t *testing.T) {
	bin := testenv.RequireTool(t, "nginx")
	calls := 0
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := start(ctx, bin, Config{Dir: t.TempDir(), Ports: 1, Servers: func(ports []int) string {
		calls++
		return fmt.Sprintf("server { listen 127.0.0.1:%d; no_such_directive on; }", ports[0])
	}})
	if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), `unknown directive "no_such_directive"`) {
		t.Errorf("start: %v, want ErrExited quoting the error log", err)
	}
	if calls != 1 {
		t.Errorf("Servers called %d times, want 1", calls)
	}
}

// Config mistakes are reported before nginx runs.
func TestStartConfigErrors(t *testing.T) {
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"ports without servers": {Dir: t.TempDir(), Ports: 1},
		"servers without ports": {Dir: t.TempDir(), Servers: func([]int) string { return "" }},
		"negative ports":        {Dir: t.TempDir(), Ports: -1},
		"space in prefix":       {Dir: filepath.Join(t.TempDir(), "a b")},
		"semicolon in prefix":   {Dir: filepath.Join(t.TempDir(), "a;b")},
	} {
		if s, err := start(ctx, "/nonexistent/nginx", cfg); err == nil {
			s.Stop()
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "/nonexistent/nginx") {
			t.Errorf("%s: got as far as running nginx: %v", name, err)
		}
	}
}

// FreePort's port can be bound for TCP and UDP on loopback.
func TestFreePort(t *testing.T) {
	for range 20 {
		p := FreePort(t)
		addr := fmt.Sprintf("127.0.0.1:%d", p)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("TCP %s: %v", addr, err)
		}
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err != nil {
			t.Fatalf("UDP %s: %v", addr, err)
		}
		u.Close()
	}
}

// The ports of one configuration are distinct: nginx refuses a duplicate
// listen outright ("a duplicate listen"), which Start does not retry. The
// kernel may offer a port again once its listener is closed (about once in
// 10^4 pairs here), so this draws many sets.
func TestPickPortsDistinct(t *testing.T) {
	for i := range 10000 {
		ports, err := pickPorts(4)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, p := range ports {
			if seen[p] {
				t.Fatalf("draw %d: ports %v repeat %d", i, ports, p)
			}
			seen[p] = true
		}
	}
}
