// Command webhookd is a git-push-to-deploy server built on webdeploy: it
// receives signed webhooks from GitHub, GitLab, Gitea/Forgejo/Gogs,
// Standard Webhooks senders or any HMAC-signing tool, builds each matching
// site one deploy at a time (coalescing bursts of pushes), and publishes
// releases atomically under <webroot>/current.
//
// Usage:
//
//	webhookd [serve] -config FILE [-listen ADDR | -socket PATH] [-tls-cert F -tls-key F] [-grace D] [-status]
//	webhookd status -config FILE [-site NAME] [-json]
//	webhookd rollback -config FILE -site NAME [-to RELEASE] [-wait DURATION]
//	webhookd send -url URL -provider P -secret-file F [-event push] [-file PAYLOAD.json | -ref R -commit C -repo O/N]
//	              [-header H -algorithm A -prefix P -encoding E (for -provider hmac)]
//
// Hooks are served at /hooks/<id>. With -status, GET /status answers the
// deployer's live status as JSON. The status subcommand reads the state
// files the server writes when each deploy starts and ends (and the
// webroots' current symlinks), so it works whether or not the server runs.
// See webhookd.example.json for a configuration. On SIGINT, SIGTERM or
// SIGHUP (there is no reload: the default action would kill webhookd at
// once and orphan a running build's process group) the server stops
// accepting deliveries, lets a running deploy finish for the grace period
// and then cancels it.
//
// Memory: unless GOGC or GOMEMLIMIT are set, webhookd runs the garbage
// collector at GOGC=400 with a 48 MiB soft memory limit, trading a few
// megabytes for fewer collections under delivery floods while staying
// well under 64 MB resident.
//
// Exit status: 0 on success (or a clean shutdown), 1 on failure, 2 on bad
// usage.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "status":
		return status(args, stdout, stderr)
	case "rollback":
		return rollback(ctx, args, stdout, stderr)
	case "send":
		return send(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, "usage: webhookd [serve|status|rollback|send] -config FILE ... (webhookd CMD -h for flags)")
		return 0
	}
	fmt.Fprintf(stderr, "webhookd: unknown command %q (want serve, status, rollback or send)\n", cmd)
	return 2
}

func loadConfig(stderr io.Writer, file string) (*webdeploy.Config, bool) {
	if file == "" {
		fmt.Fprintln(stderr, "webhookd: -config FILE is required")
		return nil, false
	}
	cfg, err := webdeploy.LoadConfig(file)
	if err != nil {
		fmt.Fprintln(stderr, "webhookd:", err)
		return nil, false
	}
	return cfg, true
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webhookd serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "configuration file (JSON)")
	listen := fs.String("listen", "127.0.0.1:9000", "TCP address to listen on")
	socket := fs.String("socket", "", "listen on this unix socket instead of -listen")
	certFile := fs.String("tls-cert", "", "TLS certificate chain (PEM); with -tls-key serves HTTPS")
	keyFile := fs.String("tls-key", "", "TLS private key (PEM)")
	grace := fs.Duration("grace", 30*time.Second, "on shutdown, how long a running deploy may continue before it is canceled")
	statusOn := fs.Bool("status", false, "serve the deployer status as JSON at GET /status")
	readHeader := fs.Duration("read-header-timeout", 5*time.Second, "time allowed to send the request headers")
	readBody := fs.Duration("read-timeout", 30*time.Second, "time allowed to send the whole request")
	maxConns := fs.Int("max-conns", 2048, "concurrent connections served (others wait in the listen queue)")
	verbose := fs.Bool("v", false, "log every accepted delivery")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "webhookd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(stderr, "webhookd: -tls-cert and -tls-key go together")
		return 2
	}
	cfg, ok := loadConfig(stderr, *config)
	if !ok {
		return 1
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	d, err := webdeploy.NewDeployer(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "webhookd:", err)
		return 1
	}
	rc, err := webdeploy.NewReceiver(cfg, d)
	if err != nil {
		fmt.Fprintln(stderr, "webhookd:", err)
		d.Shutdown(context.Background())
		return 1
	}
	rc.Logger = logger
	mux := http.NewServeMux()
	mux.Handle(webdeploy.DefaultPrefix, rc)
	if *statusOn {
		mux.Handle("/status", d.StatusHandler())
	}

	var ln net.Listener
	network, addr := "tcp", *listen
	if *socket != "" {
		network, addr = "unix", *socket
		if err := removeStaleSocket(*socket); err != nil {
			fmt.Fprintln(stderr, "webhookd:", err)
			d.Shutdown(context.Background())
			return 1
		}
	}
	ln, err = net.Listen(network, addr)
	if err != nil {
		fmt.Fprintln(stderr, "webhookd:", err)
		d.Shutdown(context.Background())
		return 1
	}
	if *socket != "" {
		if err := os.Chmod(*socket, 0o660); err != nil {
			fmt.Fprintln(stderr, "webhookd:", err)
			ln.Close()
			d.Shutdown(context.Background())
			return 1
		}
		defer os.Remove(*socket)
	}
	ln = limitListener(ln, *maxConns)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: *readHeader,
		ReadTimeout:       *readBody,
		WriteTimeout:      *readBody + 10*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	scheme := "http"
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fmt.Fprintln(stderr, "webhookd: TLS:", err)
			ln.Close()
			d.Shutdown(context.Background())
			return 1
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	where := scheme + "://" + ln.Addr().String()
	if *socket != "" {
		where = "unix:" + *socket
	}
	fmt.Fprintf(stdout, "webhookd: listening on %s (hooks at %s<id>, %d sites)\n", where, webdeploy.DefaultPrefix, len(cfg.Sites))

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	code := 0
	select {
	case err := <-serveErr:
		fmt.Fprintln(stderr, "webhookd:", err)
		code = 1
	case <-ctx.Done():
		logger.Info("shutting down", "grace", *grace)
	}
	graceCtx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	srv.Shutdown(graceCtx)
	if err := d.Shutdown(graceCtx); err != nil {
		logger.Warn("shutdown", "error", err)
	}
	return code
}

// removeStaleSocket removes the socket file a previous, dead run left at
// path. It refuses a path that is not a socket (never deleting a regular
// file named by mistake) and a socket another process still listens on.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-socket %s: %w", path, err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("-socket %s: exists and is not a socket; not removing it", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("-socket %s: in use by a running server", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("-socket %s: removing the stale socket: %w", path, err)
	}
	return nil
}

// limitListener caps the connections being served at once; further ones
// wait in the kernel's listen queue instead of each costing memory.
func limitListener(l net.Listener, n int) net.Listener {
	if n <= 0 {
		return l
	}
	return &limited{Listener: l, sem: make(chan struct{}, n)}
}

type limited struct {
	net.Listener
	sem chan struct{}
}

func (l *limited) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// stray reports a positional argument left after fs's flags (bad usage:
// "rollback -site s REL" must not roll back to some other release).
func stray(fs *flag.FlagSet, stderr io.Writer) bool {
	if fs.NArg() == 0 {
		return false
	}
	fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
	return true
}

func status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webhookd status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "configuration file (JSON)")
	site := fs.String("site", "", "only this site")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if stray(fs, stderr) {
		return 2
	}
	cfg, ok := loadConfig(stderr, *config)
	if !ok {
		return 1
	}
	var out []webdeploy.SiteStatus
	failed := false
	for _, s := range cfg.Sites {
		if *site != "" && s.Name != *site {
			continue
		}
		var st webdeploy.SiteStatus
		file := filepath.Join(cfg.StateDir, "sites", s.Name, "status.json")
		b, err := os.ReadFile(file)
		if err == nil {
			if err = json.Unmarshal(b, &st); err != nil {
				err = fmt.Errorf("%s: %w", file, err)
			}
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "webhookd: site %s: %v\n", s.Name, err)
			failed = true
		}
		st.Site = s.Name
		p := webdeploy.NewPublisher(s.Webroot, s.Keep)
		st.Live, _ = p.CurrentName() // the symlink is the truth (a rollback may have moved it)
		st.Releases, _ = p.Releases()
		out = append(out, st)
	}
	if *site != "" && len(out) == 0 {
		fmt.Fprintf(stderr, "webhookd: no site %q in %s\n", *site, *config)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return exitCode(failed)
	}
	for _, st := range out {
		live := st.Live
		if live == "" {
			live = "(nothing published)"
		}
		fmt.Fprintf(stdout, "%s: live %s\n", st.Site, live)
		c := st.Counters
		fmt.Fprintf(stdout, "  deliveries: %d accepted, %d deployed, %d coalesced, %d failed, %d skipped, %d dropped; %d builds\n",
			c.Accepted, c.Deployed, c.Coalesced, c.Failed, c.Skipped, c.Dropped, c.Builds)
		for _, r := range st.Releases {
			mark := " "
			if r.Live {
				mark = "*"
			}
			fmt.Fprintf(stdout, "  %s release %s\n", mark, r.Name)
		}
		h := st.History
		for _, r := range h[max(0, len(h)-5):] {
			fmt.Fprintf(stdout, "  deploy %d: %s %s %s in %v", r.ID, r.Status, r.Ref, r.Commit, time.Duration(r.Duration))
			if r.Error != "" {
				fmt.Fprintf(stdout, ": %s", r.Error)
			}
			fmt.Fprintln(stdout)
		}
	}
	return exitCode(failed)
}

// exitCode is 1 if something failed, else 0.
func exitCode(failed bool) int {
	if failed {
		return 1
	}
	return 0
}

func rollback(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webhookd rollback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "configuration file (JSON)")
	site := fs.String("site", "", "site to roll back (required)")
	to := fs.String("to", "", "release name to make live (default: the one before the live release)")
	wait := fs.Duration("wait", 10*time.Minute, "how long to wait for a running publish of the server to finish")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if stray(fs, stderr) {
		return 2
	}
	if *site == "" {
		fmt.Fprintln(stderr, "webhookd rollback: -site NAME is required")
		return 2
	}
	cfg, ok := loadConfig(stderr, *config)
	if !ok {
		return 1
	}
	sc, err := cfg.Site(*site)
	if err != nil {
		fmt.Fprintln(stderr, "webhookd:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	r, err := webdeploy.NewPublisher(sc.Webroot, sc.Keep).RollbackContext(ctx, *to)
	if err != nil {
		fmt.Fprintln(stderr, "webhookd:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: live is now %s (commit %s)\n", sc.Name, r.Name, r.Commit)
	return 0
}

func send(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webhookd send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "hook URL, e.g. http://127.0.0.1:9000/hooks/site")
	provider := fs.String("provider", "github", "github, gitlab, gitea, forgejo, gogs, standard or hmac")
	secretFile := fs.String("secret-file", "", "file holding the shared secret (or set WEBHOOKD_SECRET)")
	header := fs.String("header", "X-Signature", "signature header for -provider hmac")
	algorithm := fs.String("algorithm", "sha256", "HMAC algorithm for -provider hmac: sha1, sha256 or sha512 (as the hook's \"algorithm\")")
	prefix := fs.String("prefix", "", "text before the signature for -provider hmac, e.g. sha256= (as the hook's \"prefix\")")
	encoding := fs.String("encoding", "hex", "signature encoding for -provider hmac: hex or base64 (as the hook's \"encoding\")")
	event := fs.String("event", "push", "event: push or ping")
	file := fs.String("file", "", "payload file (default: a push payload built from -ref, -commit, -repo)")
	ref := fs.String("ref", "refs/heads/main", "ref of the generated push")
	commit := fs.String("commit", "", "commit of the generated push")
	repo := fs.String("repo", "example/site", "repository full name of the generated push")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if stray(fs, stderr) {
		return 2
	}
	if *url == "" {
		fmt.Fprintln(stderr, "webhookd send: -url is required")
		return 2
	}
	secret := os.Getenv("WEBHOOKD_SECRET")
	if *secretFile != "" {
		b, err := os.ReadFile(*secretFile)
		if err != nil {
			fmt.Fprintln(stderr, "webhookd send:", err)
			return 1
		}
		secret = strings.TrimRight(string(b), "\r\n")
	}
	var body []byte
	switch {
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			fmt.Fprintln(stderr, "webhookd send:", err)
			return 1
		}
		body = b
	case *event == "ping":
		body = []byte(`{"zen":"Design for failure.","hook_id":1}`)
	default:
		p := webhooktest.Push{Ref: *ref, After: *commit, Repository: *repo}
		if *provider == "gitlab" {
			body = webhooktest.GitLabPush(p)
		} else {
			body = webhooktest.GitHubPush(p)
		}
	}
	vc := webdeploy.VerifierConfig{Provider: webdeploy.Provider(*provider), Secret: []byte(secret), Header: *header,
		Algorithm: *algorithm, Prefix: *prefix, Encoding: *encoding}
	req, err := webhooktest.NewRequest(ctx, *url, vc, *event, body)
	if err != nil {
		fmt.Fprintln(stderr, "webhookd send:", err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "webhookd send:", err)
		return 1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	fmt.Fprintf(stdout, "%s\n%s", resp.Status, b)
	if resp.StatusCode >= 300 {
		return 1
	}
	return 0
}
