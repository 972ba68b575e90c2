package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
)

const secret = "webhookd test secret"

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type server struct {
	url    string // http(s)://host:port, or unix:path
	cancel context.CancelFunc
	done   chan int
	out    *syncBuf
	errOut *syncBuf
}

var listenRE = regexp.MustCompile(`listening on (\S+)`)

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{cancel: cancel, done: make(chan int, 1), out: &syncBuf{}, errOut: &syncBuf{}}
	go func() { s.done <- run(ctx, append([]string{"serve"}, args...), s.out, s.errOut) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listenRE.FindStringSubmatch(s.out.String()); m != nil {
			s.url = m[1]
			break
		}
		select {
		case code := <-s.done:
			t.Fatalf("webhookd exited %d: %s", code, s.errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhookd did not start: %s", s.errOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *server) stop(t *testing.T) int {
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(60 * time.Second):
		t.Fatal("webhookd did not shut down")
	}
	return -1
}

type siteSetup struct {
	repo    *webhooktest.Repo
	webroot string
	config  string
	state   string
}

func newSetup(t *testing.T, build []string, timeout string) *siteSetup {
	t.Helper()
	repo := webhooktest.NewRepo(t)
	dir := t.TempDir()
	ss := &siteSetup{repo: repo, webroot: filepath.Join(dir, "www"), config: filepath.Join(dir, "webhookd.json"), state: filepath.Join(dir, "state")}
	os.MkdirAll(ss.webroot, 0o755)
	cfg := map[string]any{
		"state_dir": ss.state,
		"hooks":     []any{map[string]any{"id": "site", "provider": "github", "secret": secret}},
		"sites": []any{map[string]any{
			"name": "site", "repository": repo.Bare, "webroot": ss.webroot, "output": "public", "keep": 3,
			"rules":   []any{map[string]any{"repositories": []string{"me/site"}, "branches": []string{"main"}}},
			"build":   map[string]any{"command": build},
			"timeout": timeout,
		}},
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(ss.config, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return ss
}

func (ss *siteSetup) push(t *testing.T, n int, extra map[string]string) string {
	files := map[string]string{
		"build.sh":       "#!/bin/sh\nset -e\n[ -f slow ] && sleep \"$(cat slow)\"\nmkdir -p public\nsed \"s/@C@/$DEPLOY_COMMIT/\" index.html > public/index.html\n",
		"index.html":     fmt.Sprintf("<h1>version %d</h1> @C@\n", n),
		"public/.keep":   "",
		"unrelated.file": fmt.Sprint(n),
	}
	for k, v := range extra {
		files[k] = v
	}
	ss.repo.Commit(fmt.Sprint("v", n), files)
	return ss.repo.Push("main")
}

func deliver(t *testing.T, client *http.Client, url, sha, id string) (int, webdeploy.Answer) {
	t.Helper()
	body := webhooktest.GitHubPush(webhooktest.Push{Ref: "refs/heads/main", After: sha, Repository: "me/site", PadTo: 7500})
	req, err := webhooktest.NewRequest(context.Background(), url, webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte(secret)}, "push", body)
	if err != nil {
		t.Fatal(err)
	}
	if id != "" {
		req.Header.Set("X-GitHub-Delivery", id)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a webdeploy.Answer
	json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, a
}

func waitLive(t *testing.T, base, sha string) webdeploy.SiteStatus {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		_, body, err := webhooktest.Get(context.Background(), http.DefaultClient, base+"/status?site=site")
		var st webdeploy.SiteStatus
		if err == nil && json.Unmarshal([]byte(body), &st) == nil && st.LiveCommit == sha && st.Running == nil && st.Queued == nil {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("commit %s never went live: %s", sha, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// End to end: a push to a bare repository, a signed GitHub delivery to
// webhookd, the build, the release live and served by nginx; then a
// second push, status, rollback.
func TestEndToEndWithNginx(t *testing.T) {
	ss := newSetup(t, []string{"/bin/sh", "build.sh"}, "2m")
	srv := startServer(t, "-config", ss.config, "-listen", "127.0.0.1:0", "-status")
	site := webhooktest.Nginx(t, filepath.Join(ss.webroot, "current"))

	c1 := ss.push(t, 1, nil)
	code, a := deliver(t, http.DefaultClient, srv.url+"/hooks/site", c1, "")
	if code != http.StatusAccepted || a.Status != "accepted" || a.Commit != c1 {
		t.Fatalf("delivery: %d %+v", code, a)
	}
	waitLive(t, srv.url, c1)
	if code, body, err := webhooktest.Get(context.Background(), http.DefaultClient, site+"/"); err != nil || code != 200 || body != fmt.Sprintf("<h1>version 1</h1> %s\n", c1) {
		t.Fatalf("nginx served %d %q %v", code, body, err)
	}
	if code, _, _ := webhooktest.Get(context.Background(), http.DefaultClient, site+"/unrelated.file"); code != http.StatusNotFound {
		t.Fatalf("only the build output is published, got %d for a source file", code)
	}

	c2 := ss.push(t, 2, nil)
	if code, _ := deliver(t, http.DefaultClient, srv.url+"/hooks/site", c2, "delivery-2"); code != http.StatusAccepted {
		t.Fatalf("second delivery: %d", code)
	}
	st := waitLive(t, srv.url, c2)
	if _, body, _ := webhooktest.Get(context.Background(), http.DefaultClient, site+"/"); !strings.Contains(body, "version 2") {
		t.Fatalf("nginx still serves %q", body)
	}
	if st.Counters.Deployed != 2 || len(st.Releases) != 2 {
		t.Fatalf("status %+v", st)
	}
	// The forge's redelivery is acknowledged without a deploy.
	if code, a := deliver(t, http.DefaultClient, srv.url+"/hooks/site", c2, "delivery-2"); code != http.StatusOK || a.Status != "duplicate" {
		t.Fatalf("redelivery: %d %+v", code, a)
	}

	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"status", "-config", ss.config}, &out, &errb); code != 0 || !strings.Contains(out.String(), c2) || !strings.Contains(out.String(), "2 deployed") {
		t.Fatalf("status %d: %s %s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"rollback", "-config", ss.config, "-site", "site"}, &out, &errb); code != 0 {
		t.Fatalf("rollback %d: %s", code, errb.String())
	}
	if _, body, _ := webhooktest.Get(context.Background(), http.DefaultClient, site+"/"); !strings.Contains(body, "version 1") {
		t.Fatalf("after rollback nginx serves %q", body)
	}
	if code := run(context.Background(), []string{"rollback", "-config", ss.config, "-site", "site", "-to", "nope"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "unknown release") {
		t.Fatalf("rollback to an unknown release: %d %s", code, errb.String())
	}
	// The send subcommand is a signed sender users can test with.
	out.Reset()
	os.WriteFile(filepath.Join(t.TempDir(), "x"), nil, 0o600)
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte(secret+"\n"), 0o600)
	if code := run(context.Background(), []string{"send", "-url", srv.url + "/hooks/site", "-secret-file", secretFile, "-event", "ping"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "pong") {
		t.Fatalf("send ping: %d %s %s", code, out.String(), errb.String())
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("exit %d: %s", code, srv.errOut.String())
	}
}

func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func ping(t *testing.T, client *http.Client, url string) {
	t.Helper()
	req, _ := webhooktest.NewRequest(context.Background(), url, webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte(secret)}, "ping", []byte(`{"zen":"x"}`))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "pong") {
		t.Fatalf("ping: %d %s", resp.StatusCode, b)
	}
}

func TestUnixSocketAndTLS(t *testing.T) {
	ss := newSetup(t, nil, "1m")
	sock := filepath.Join(t.TempDir(), "webhookd.sock")
	startServer(t, "-config", ss.config, "-socket", sock)
	unixClient := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	ping(t, unixClient, "http://webhookd/hooks/site")

	cert, key, pool := selfSigned(t)
	srv := startServer(t, "-config", ss.config, "-listen", "127.0.0.1:0", "-tls-cert", cert, "-tls-key", key)
	if !strings.HasPrefix(srv.url, "https://") {
		t.Fatalf("TLS server announced %s", srv.url)
	}
	ping(t, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, srv.url+"/hooks/site")
}

// 1000 slow clients hold connections; deliveries are still answered, and
// the server drops the slow ones at its read timeouts.
func TestSlowClients(t *testing.T) {
	ss := newSetup(t, nil, "1m")
	srv := startServer(t, "-config", ss.config, "-listen", "127.0.0.1:0", "-read-header-timeout", "2s", "-read-timeout", "3s")
	addr := strings.TrimPrefix(srv.url, "http://")
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range 1000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("slow client %d: %v", i, err)
		}
		if i%2 == 0 {
			fmt.Fprintf(c, "POST /hooks/site HTTP/1.1\r\nHost: x\r\n") // headers never finished
		} else {
			fmt.Fprintf(c, "POST /hooks/site HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{") // body never finished
		}
		conns = append(conns, c)
	}
	ping(t, &http.Client{Timeout: 20 * time.Second}, srv.url+"/hooks/site")
	// Every slow connection is closed by the server after its timeout.
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("slow client %d was not dropped: %v", i, err)
		}
		if i%2 == 1 && len(b) > 0 && !strings.Contains(string(b), "400") {
			t.Fatalf("slow body client %d got %q", i, b)
		}
	}
}

// Shutdown lets a running deploy finish within the grace period.
func TestGracefulShutdown(t *testing.T) {
	ss := newSetup(t, []string{"/bin/sh", "build.sh"}, "2m")
	srv := startServer(t, "-config", ss.config, "-listen", "127.0.0.1:0", "-status", "-grace", "60s")
	c := ss.push(t, 1, map[string]string{"slow": "1"})
	if code, _ := deliver(t, http.DefaultClient, srv.url+"/hooks/site", c, ""); code != http.StatusAccepted {
		t.Fatal(code)
	}
	for {
		_, body, _ := webhooktest.Get(context.Background(), http.DefaultClient, srv.url+"/status?site=site")
		if strings.Contains(body, `"running"`) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var out, errb bytes.Buffer
	run(context.Background(), []string{"status", "-config", ss.config, "-json"}, &out, &errb)
	var st []webdeploy.SiteStatus
	if err := json.Unmarshal(out.Bytes(), &st); err != nil || len(st) != 1 || st[0].LiveCommit != c || st[0].History[0].Status != webdeploy.StatusSucceeded {
		t.Fatalf("after shutdown: %v %s", err, out.String())
	}
}

func TestBadUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"serve"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "-config") {
		t.Fatalf("no config: %d %s", code, errb.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"state_dir": "/x", "hooks": [{"id": "h", "provider": "github"}], "sites": [{"name": "s", "repository": "/r", "webroot": "/w", "rules": [{}]}]}`), 0o600)
	errb.Reset()
	if code := run(context.Background(), []string{"serve", "-config", bad}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "hooks[0]") || !strings.Contains(errb.String(), "no secret") {
		t.Fatalf("hook without a secret: %d %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, &out, &errb); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
	if code := run(context.Background(), []string{"serve", "-nope"}, &out, &errb); code != 2 {
		t.Fatalf("unknown flag: %d", code)
	}
}

// The example configuration shipped beside the program is valid.
func TestExampleConfig(t *testing.T) {
	t.Setenv("WEBHOOKD_SECRET", "x")
	b, err := os.ReadFile("webhookd.example.json")
	if err != nil {
		t.Fatal(err)
	}
	// The docs hook reads its secret from a file; point it at a temporary one.
	sec := filepath.Join(t.TempDir(), "docs.secret")
	os.WriteFile(sec, []byte("y\n"), 0o600)
	doc := strings.Replace(string(b), "/etc/webhookd/docs.secret", sec, 1)
	cfg, err := webdeploy.ParseConfig([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sites) != 2 || cfg.Sites[1].Keep != webdeploy.DefaultKeep || cfg.Hooks[1].Payload != webdeploy.GitLab {
		t.Fatalf("%+v", cfg)
	}
}
