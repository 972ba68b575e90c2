package nginxtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// ErrExited is wrapped by the errors of Start and Reload when the nginx
// master process ended on its own.
var ErrExited = errors.New("nginx exited")

// ErrNotReloaded is wrapped by Reload's error when nginx logged that it
// could not apply the new configuration and kept the old one.
var ErrNotReloaded = errors.New("nginx kept its old configuration")

const (
	// startTimeout bounds Start's wait for readiness, over all attempts.
	startTimeout = 60 * time.Second
	// attempts is how often Start picks new ports when one was taken.
	attempts = 5
	// logTailBytes is how much of a log goes into an error message.
	logTailBytes = 4000
)

// Config describes a private nginx.
type Config struct {
	// Dir is the prefix directory. "" makes a new one with t.TempDir().
	// Start creates logs/ and tmp/ in it and writes nginx.conf there.
	Dir string
	// HTTP goes into the http block as it is: directives, includes and
	// server blocks that need no port picked at run time.
	HTTP string
	// Ports is how many free loopback ports to pick for Servers.
	Ports int
	// Servers, when set, renders server blocks that listen on ports
	// (Ports of them, all 127.0.0.1); they follow HTTP in the http block.
	// When nginx cannot bind a port that another process took meanwhile,
	// Servers is called again with new ports.
	Servers func(ports []int) string
}

// Server is a running private nginx.
type Server struct {
	// Dir is the prefix directory (configuration, pid file, logs, temp files).
	Dir string
	// Conf is the main configuration file.
	Conf string
	// ErrorLogFile is nginx's error log.
	ErrorLogFile string
	// Binary is the nginx executable.
	Binary string
	// Args are the arguments that select this instance; nginx -t and
	// nginx -s reload need them: -p Dir -e ErrorLogFile -c Conf.
	Args []string
	// Ports are the ports the server blocks of Config.Servers listen on.
	Ports []int

	p *proc
}

// Start starts nginx with cfg and returns once the master has written its
// pid file, a worker runs and every port in Ports accepts connections.
// The process group is stopped when the test ends. A missing nginx marks
// the test unavailable; an nginx that does not start fails the test with
// the end of its logs.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	bin := testenv.RequireTool(t, "nginx")
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := start(ctx, bin, cfg)
	if err != nil {
		t.Fatalf("nginxtest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// start runs nginx until it is ready; on error nothing it started runs.
func start(ctx context.Context, bin string, cfg Config) (*Server, error) {
	if cfg.Ports < 0 || (cfg.Ports > 0) != (cfg.Servers != nil) {
		return nil, fmt.Errorf("config: Ports is %d but Servers is %s", cfg.Ports, map[bool]string{true: "set", false: "nil"}[cfg.Servers != nil])
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if i := strings.IndexFunc(dir, needsQuoting); i >= 0 {
		return nil, fmt.Errorf("prefix directory %q: character %q at offset %d cannot be written unquoted in nginx.conf", dir, dir[i], i)
	}
	s := &Server{Dir: dir, Conf: filepath.Join(dir, "nginx.conf"), ErrorLogFile: filepath.Join(dir, "logs", "error.log"), Binary: bin}
	s.Args = []string{"-p", dir, "-e", s.ErrorLogFile, "-c", s.Conf}
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	for attempt := 1; ; attempt++ {
		if s.Ports, err = pickPorts(cfg.Ports); err != nil {
			return nil, err
		}
		servers := ""
		if cfg.Servers != nil {
			servers = cfg.Servers(slices.Clone(s.Ports))
		}
		if err := os.WriteFile(s.Conf, []byte(s.render(cfg.HTTP, servers)), 0o644); err != nil {
			return nil, err
		}
		logFrom := fileSize(s.ErrorLogFile)
		p, err := startProc(s.Binary, filepath.Join(dir, "logs", "stderr.log"), s.Args)
		if err != nil {
			return nil, err
		}
		s.p = p
		err = s.waitReady(ctx, logFrom)
		if err == nil {
			return s, nil
		}
		p.stop()
		// Only a port taken between picking and binding is worth
		// another try; nginx says so after its own bind retries.
		bindRace := errors.Is(err, ErrExited) && cfg.Ports > 0 &&
			strings.Contains(p.output()+readFrom(s.ErrorLogFile, logFrom), "Address already in use")
		if !bindRace || attempt == attempts || ctx.Err() != nil {
			if attempt > 1 {
				err = fmt.Errorf("attempt %d of %d: %w", attempt, attempts, err)
			}
			return nil, err
		}
	}
}

// needsQuoting reports characters that would end or change a bare nginx
// configuration token.
func needsQuoting(r rune) bool {
	return r <= ' ' || strings.ContainsRune(`;{}"'\$#`, r)
}

// render writes the main configuration. Workers run as root when the test
// does: as nobody they could not read the test's private directories.
func (s *Server) render(httpBody, servers string) string {
	var b strings.Builder
	if os.Geteuid() == 0 {
		b.WriteString("user root;\n")
	}
	fmt.Fprintf(&b, `daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[2]s;
events { worker_connections 512; }
http {
    client_body_temp_path %[1]s/tmp/body;
    proxy_temp_path %[1]s/tmp/proxy;
    fastcgi_temp_path %[1]s/tmp/fastcgi;
    uwsgi_temp_path %[1]s/tmp/uwsgi;
    scgi_temp_path %[1]s/tmp/scgi;
`, s.Dir, s.ErrorLogFile)
	for _, part := range []string{httpBody, servers} {
		if part != "" {
			b.WriteString(part)
			if !strings.HasSuffix(part, "\n") {
				b.WriteByte('\n')
			}
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// waitReady polls until the pid file, a worker and every port are there.
func (s *Server) waitReady(ctx context.Context, logFrom int64) error {
	pidFile := filepath.Join(s.Dir, "nginx.pid")
	for {
		if !s.p.running() {
			return fmt.Errorf("%w during start (%v)%s", ErrExited, s.p.waitErr, s.logs(logFrom))
		}
		if s.ready(pidFile) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nginx not ready: %w%s", ctx.Err(), s.logs(logFrom))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (s *Server) ready(pidFile string) bool {
	b, err := os.ReadFile(pidFile)
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(s.p.pid()) {
		return false
	}
	if len(s.p.workers()) == 0 {
		return false
	}
	for _, port := range s.Ports {
		c, err := net.DialTimeout("tcp", s.addr(port), time.Second)
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

func (s *Server) addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// URL returns "http://127.0.0.1:PORT" for Ports[i].
func (s *Server) URL(i int) string { return "http://" + s.addr(s.Ports[i]) }

// ErrorLog returns nginx's error log.
func (s *Server) ErrorLog() string {
	b, _ := os.ReadFile(s.ErrorLogFile)
	return string(b)
}

// logs formats nginx's output and the error log written since logFrom
// for an error message.
func (s *Server) logs(logFrom int64) string {
	var b strings.Builder
	if out := s.p.output(); out != "" {
		fmt.Fprintf(&b, "\nnginx output:\n%s", out)
	}
	if l := tail(readFrom(s.ErrorLogFile, logFrom)); l != "" {
		fmt.Fprintf(&b, "\nerror log %s:\n%s", s.ErrorLogFile, l)
	}
	return b.String()
}

// Reload makes nginx load its configuration again (nginx -s reload) and
// waits until the old workers are gone and new ones run, so that every
// connection made afterwards gets the new configuration. When nginx
// rejects the new configuration the error wraps ErrNotReloaded and quotes
// the error log.
func (s *Server) Reload(ctx context.Context) error {
	old := s.p.workers()
	logFrom := fileSize(s.ErrorLogFile)
	cmd := exec.CommandContext(ctx, s.Binary, append(slices.Clone(s.Args), "-s", "reload")...)
	cmd.WaitDelay = time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nginxtest: nginx -s reload: %v: %s", err, bytes.TrimSpace(out))
	}
	for {
		if !s.p.running() {
			return fmt.Errorf("nginxtest: reload: %w (%v)%s", ErrExited, s.p.waitErr, s.logs(logFrom))
		}
		if l := readFrom(s.ErrorLogFile, logFrom); strings.Contains(l, "[emerg]") {
			return fmt.Errorf("nginxtest: reload: %w:\n%s", ErrNotReloaded, tail(l))
		}
		if cur := s.p.workers(); len(cur) > 0 && !slices.ContainsFunc(cur, func(pid int) bool { return slices.Contains(old, pid) }) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nginxtest: reload: old workers %v still run: %w%s", old, ctx.Err(), s.logs(logFrom))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Stop ends nginx and everything in its process group and waits for the
// master. It is safe to call more than once; Start registers it with
// t.Cleanup.
func (s *Server) Stop() { s.p.stop() }

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readFrom returns the file's content from offset on ("" if unreadable).
func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	return string(b[offset:])
}

// tail returns the end of a log, trimmed.
func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > logTailBytes {
		s = "…" + s[len(s)-logTailBytes:]
	}
	return s
}
