// Command acmewebroot gets certificates from an ACME CA through a web
// server's webroot, installs them and keeps them renewed: acme.sh's
// webroot mode, built on hostkit's acmeutil package.
//
// Usage:
//
//	acmewebroot [--home DIR] [--ca-bundle FILE] COMMAND [flags]
//
// Commands:
//
//	issue -d NAME [-d NAME]... -w WEBROOT [--server URL] [--email ADDR]
//	      [--keylength ec-256|ec-384|2048|3072|4096] [--profile NAME]
//	      [--preferred-chain CN] [--eab-kid ID --eab-hmac-key-file FILE] [--force]
//	renew [-d NAME] [--force]
//	install -d NAME --key-file FILE --fullchain-file FILE [--cert-file FILE]
//	      [--ca-file FILE] [--reload-cmd "CMD"]
//	nginx-conf --bootstrap|--https -d NAME... -w WEBROOT [--key-file FILE]
//	      [--fullchain-file FILE] [--https-port N] [-o FILE]
//	bootstrap -d NAME... -w WEBROOT --conf FILE --key-file FILE --fullchain-file FILE
//	      [--server URL] [--email ADDR] [--keylength ...] [--nginx PATH]
//	      [--nginx-arg ARG]... [--listen-http ADDR]... [--listen-https ADDR]...
//	      [--https-port N]
//	status
//	run [--once]
//
// bootstrap is the container-init sequence in one call (acmeutil.Bootstrap):
// without a stored certificate it writes the http-only server block to
// --conf, checks it with nginx -t, reloads nginx, issues, installs, writes
// the https block, checks and reloads; with one it keeps the https block and
// renews only when due. nginx must be running.
//
// Like acme.sh, issue skips a certificate that exists and is not due
// (unless --force), install remembers where the files go and what reloads
// the server so that every renewal installs the same way, and the reload
// command runs only when the files changed. The state directory (--home,
// default $ACMEWEBROOT_HOME, else /var/lib/acmewebroot for root or
// ~/.local/state/acmewebroot) holds the account and the certificates
// (acmeutil.DirStorage layout).
//
// --server takes a directory URL or letsencrypt / letsencrypt_test.
// --ca-bundle adds a PEM file of CAs to trust for the ACME server's HTTPS
// (a test CA such as Pebble); also $ACMEWEBROOT_CA_BUNDLE.
//
// Exit status: 0 success, 1 failure, 2 bad usage.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil"
	"golang.org/x/crypto/acme"
	"mvdan.cc/sh/v3/shell"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// DefaultHome is the state directory used without --home or $ACMEWEBROOT_HOME.
func DefaultHome() string {
	if h := os.Getenv("ACMEWEBROOT_HOME"); h != "" {
		return h
	}
	if os.Geteuid() == 0 {
		return "/var/lib/acmewebroot"
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "acmewebroot")
	}
	return "acmewebroot-state"
}

type app struct {
	home     string
	caBundle string
	stdout   io.Writer
	stderr   io.Writer
	store    *acmeutil.DirStorage
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

const usage = `usage: acmewebroot [--home DIR] [--ca-bundle FILE] COMMAND [flags]
commands: issue, renew, install, nginx-conf, bootstrap, status, run (COMMAND -h for flags)
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("acmewebroot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	home := fs.String("home", DefaultHome(), "state directory")
	caBundle := fs.String("ca-bundle", os.Getenv("ACMEWEBROOT_CA_BUNDLE"), "PEM file of extra CAs to trust for the ACME server")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	a := &app{home: *home, caBundle: *caBundle, stdout: stdout, stderr: stderr, store: acmeutil.NewDirStorage(*home)}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	var f func(context.Context, []string) error
	switch cmd {
	case "issue":
		f = a.issue
	case "renew":
		f = a.renew
	case "install":
		f = a.install
	case "nginx-conf":
		f = a.nginxConf
	case "bootstrap":
		f = a.bootstrap
	case "status":
		f = a.status
	case "run":
		f = a.runLoop
	default:
		fmt.Fprintf(stderr, "acmewebroot: unknown command %q\n%s", cmd, usage)
		return 2
	}
	err := f(ctx, rest)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintf(stderr, "acmewebroot %s: %s\n", cmd, ue.msg)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "acmewebroot %s: %v\n", cmd, err)
		return 1
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func (a *app) parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(a.stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func serverURL(s string) string {
	switch s {
	case "", "letsencrypt":
		return acme.LetsEncryptURL
	case "letsencrypt_test":
		return "https://acme-staging-v02.api.letsencrypt.org/directory"
	}
	return s
}

func (a *app) httpClient() (*http.Client, error) {
	if a.caBundle == "" {
		return nil, nil
	}
	data, err := os.ReadFile(a.caBundle)
	if err != nil {
		return nil, fmt.Errorf("--ca-bundle: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--ca-bundle %s: no PEM certificate in it", a.caBundle)
	}
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment, TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

func (a *app) client(ctx context.Context, server, email string, eab *acme.ExternalAccountBinding) (*acmeutil.Client, error) {
	hc, err := a.httpClient()
	if err != nil {
		return nil, err
	}
	var contact []string
	if email != "" {
		contact = []string{email}
	}
	return acmeutil.NewClient(ctx, acmeutil.Config{
		DirectoryURL: server, HTTPClient: hc, Store: a.store, UserAgent: "acmewebroot",
		Contact: contact, AgreeTOS: true, EAB: eab,
	})
}

func (a *app) manager() *acmeutil.Manager {
	return &acmeutil.Manager{
		Store: a.store,
		Connect: func(ctx context.Context, server string) (*acmeutil.Client, error) {
			return a.client(ctx, server, "", nil)
		},
		Logger: slog.New(slog.NewTextHandler(a.stderr, nil)),
	}
}

func (a *app) say(format string, args ...any) {
	fmt.Fprintf(a.stdout, "[%s] %s\n", time.Now().UTC().Format(time.DateTime), fmt.Sprintf(format, args...))
}

// eab builds the external account binding from --eab-kid and one source
// of the HMAC key: --eab-hmac-key-file, $ACME_EAB_HMAC_KEY or (with a
// warning: other users see command lines) --eab-hmac-key.
func (a *app) eab(kid, key, keyFile string) (*acme.ExternalAccountBinding, error) {
	sources := 0
	for _, v := range []string{key, keyFile} {
		if v != "" {
			sources++
		}
	}
	if sources > 1 {
		return nil, usageError{"give the EAB HMAC key once: --eab-hmac-key or --eab-hmac-key-file"}
	}
	switch {
	case keyFile != "":
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("--eab-hmac-key-file: %w", err)
		}
		key = strings.TrimSpace(string(b))
		if key == "" {
			return nil, fmt.Errorf("--eab-hmac-key-file %s is empty", keyFile)
		}
	case key != "":
		fmt.Fprintln(a.stderr, "acmewebroot: warning: --eab-hmac-key on the command line is visible to every user (ps, /proc); use --eab-hmac-key-file or $ACME_EAB_HMAC_KEY")
	case kid != "":
		key = os.Getenv("ACME_EAB_HMAC_KEY")
	}
	// the reload command and hook scripts inherit the environment: the
	// key must not reach them
	os.Unsetenv("ACME_EAB_HMAC_KEY")
	if kid == "" && key == "" {
		return nil, nil
	}
	k, err := decodeB64URL(key)
	if err != nil || kid == "" || key == "" {
		// the key itself is never echoed
		return nil, usageError{"--eab-kid and an HMAC key (base64url, from --eab-hmac-key-file, $ACME_EAB_HMAC_KEY or --eab-hmac-key) go together"}
	}
	return &acme.ExternalAccountBinding{KID: kid, Key: k}, nil
}

func (a *app) issue(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("issue", flag.ContinueOnError)
	var domains stringList
	fs.Var(&domains, "d", "domain name (repeat for more names)")
	webroot := fs.String("w", "", "webroot served at http://NAME/ (challenge files go to WEBROOT/.well-known/acme-challenge/)")
	server := fs.String("server", "letsencrypt", "ACME directory URL, or letsencrypt / letsencrypt_test")
	email := fs.String("email", "", "account contact e-mail (new accounts)")
	keylength := fs.String("keylength", "ec-256", "certificate key: ec-256, ec-384, 2048, 3072, 4096")
	profile := fs.String("profile", "", "ACME issuance profile")
	chain := fs.String("preferred-chain", "", "issuer common name of the preferred chain's top certificate")
	eabKID := fs.String("eab-kid", "", "external account binding key ID")
	eabKey := fs.String("eab-hmac-key", "", "external account binding HMAC key (base64url); visible to every user in ps: prefer --eab-hmac-key-file or $ACME_EAB_HMAC_KEY")
	eabKeyFile := fs.String("eab-hmac-key-file", "", "file holding the external account binding HMAC key (base64url)")
	force := fs.Bool("force", false, "issue even if the certificate exists and is not due")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if len(domains) == 0 || *webroot == "" {
		return usageError{"need -d NAME and -w WEBROOT"}
	}
	kt, err := acmeutil.ParseKeyType(*keylength)
	if err != nil {
		return usageError{err.Error()}
	}
	eab, err := a.eab(*eabKID, *eabKey, *eabKeyFile)
	if err != nil {
		return err
	}
	wr, err := filepath.Abs(*webroot)
	if err != nil {
		return err
	}
	name := acmeutil.CertName(domains[0])
	if err := acmeutil.ValidateCertName(name); err != nil {
		return err
	}
	var install *acmeutil.InstallSpec
	if md, err := a.store.LoadMetadata(ctx, name); err == nil {
		// Due or not, ignoring the scheduler's backoff after failed
		// renewals: like acme.sh, a manual issue of a due certificate
		// (the operator fixed the cause) tries again at once.
		due := *md
		due.Renewal.Failures, due.Renewal.NextAttempt = 0, time.Time{}
		d := acmeutil.Decide(&due, time.Now())
		if !*force && !d.Renew && strings.Join(md.Domains, " ") == strings.Join(domains, " ") {
			a.say("Domains not changed. Skipping: %s. Next renewal time is %s. Add '--force' to force renewal.", name, md.Renewal.RenewAt.Format(time.RFC3339))
			return nil
		}
		install = md.Install
	}
	client, err := a.client(ctx, serverURL(*server), *email, eab)
	if err != nil {
		return err
	}
	settings := acmeutil.IssueSettings{Webroot: wr, Profile: *profile, PreferredChain: *chain}
	req := acmeutil.IssueRequest{Domains: domains, KeyType: kt, Solvers: []acmeutil.Solver{&acmeutil.WebrootSolver{Root: wr}}}
	c, ir, err := a.manager().Obtain(ctx, client, req, settings, install)
	if err != nil {
		return err
	}
	dir := a.store.CertDir(name)
	a.say("Cert success: %s, serial %s, valid until %s", strings.Join(domains, ", "), c.Meta.Serial, c.Meta.NotAfter.Format(time.RFC3339))
	a.say("Your cert is in: %s", filepath.Join(dir, acmeutil.CertFileName))
	a.say("Your cert key is in: %s", filepath.Join(dir, acmeutil.KeyFileName))
	a.say("The intermediate CA cert is in: %s", filepath.Join(dir, acmeutil.ChainFileName))
	a.say("And the full-chain cert is in: %s", filepath.Join(dir, acmeutil.FullchainFileName))
	if ir != nil {
		a.reportInstall(name, ir)
	}
	return nil
}

func (a *app) reportInstall(name string, ir *acmeutil.InstallResult) {
	if len(ir.Changed) == 0 {
		a.say("Installed files of %s are up to date", name)
		return
	}
	a.say("Installed %s", strings.Join(ir.Changed, ", "))
	if ir.Reloaded {
		a.say("Reload success")
	}
}

func (a *app) renew(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("renew", flag.ContinueOnError)
	domain := fs.String("d", "", "renew only this certificate (first domain); default all")
	force := fs.Bool("force", false, "renew even if not due")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	names := []string{}
	if *domain != "" {
		names = append(names, acmeutil.CertName(*domain))
	} else {
		var err error
		if names, err = a.store.List(ctx); err != nil {
			return err
		}
		if len(names) == 0 {
			return fmt.Errorf("no certificates in %s (issue one first)", a.home)
		}
	}
	m := a.manager()
	var errs []error
	for _, n := range names {
		res, err := m.Check(ctx, n, *force)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", n, err))
		case res.Renewed:
			a.say("Renewed %s", n)
		default:
			a.say("Skipping %s: %s", n, res.Decision.Reason)
		}
		if res.Install != nil && err == nil {
			a.reportInstall(n, res.Install)
		}
	}
	return errors.Join(errs...)
}

func (a *app) install(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("install", flag.ContinueOnError)
	domain := fs.String("d", "", "certificate (first domain)")
	keyFile := fs.String("key-file", "", "where to install the private key")
	fullchain := fs.String("fullchain-file", "", "where to install leaf + chain")
	certFile := fs.String("cert-file", "", "where to install the leaf certificate")
	caFile := fs.String("ca-file", "", "where to install the chain")
	reload := fs.String("reload-cmd", "", "command run after the files changed (split like a shell would, not run by one)")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if *domain == "" || (*keyFile == "" && *fullchain == "" && *certFile == "" && *caFile == "") {
		return usageError{"need -d NAME and at least --key-file and --fullchain-file"}
	}
	spec := acmeutil.InstallSpec{}
	for _, p := range []struct {
		dst *string
		src string
	}{{&spec.KeyFile, *keyFile}, {&spec.FullchainFile, *fullchain}, {&spec.CertFile, *certFile}, {&spec.ChainFile, *caFile}} {
		if p.src != "" {
			abs, err := filepath.Abs(p.src)
			if err != nil {
				return err
			}
			*p.dst = abs
		}
	}
	if *reload != "" {
		argv, err := shell.Fields(*reload, nil)
		if err != nil || len(argv) == 0 {
			return usageError{fmt.Sprintf("--reload-cmd %q: %v", *reload, err)}
		}
		spec.ReloadCmd = argv
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	name := acmeutil.CertName(*domain)
	unlock, err := a.store.Lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	c, err := a.store.Load(ctx, name)
	if err != nil {
		return err
	}
	c.Meta.Install = &spec
	if err := a.store.SaveMetadata(ctx, &c.Meta); err != nil {
		return err
	}
	ir, err := acmeutil.Install(ctx, c, spec)
	if err != nil {
		var ce *acmeutil.CommandError
		if errors.As(err, &ce) && len(ir.Changed) > 0 {
			spec.ReloadPending = true
			_ = a.store.SaveMetadata(ctx, &c.Meta)
		}
		return err
	}
	a.reportInstall(name, &ir)
	return nil
}

func (a *app) nginxConf(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("nginx-conf", flag.ContinueOnError)
	var domains stringList
	fs.Var(&domains, "d", "server name (repeat for more)")
	bootstrap := fs.Bool("bootstrap", false, "http-only configuration (before the certificate exists)")
	https := fs.Bool("https", false, "http + https configuration")
	webroot := fs.String("w", "", "webroot for /.well-known/acme-challenge/")
	root := fs.String("root", "", "https document root (default the webroot)")
	keyFile := fs.String("key-file", "", "installed private key (--https)")
	fullchain := fs.String("fullchain-file", "", "installed fullchain (--https)")
	var httpListen, httpsListen stringList
	fs.Var(&httpListen, "listen-http", "http listen address (repeatable; default 80 and [::]:80)")
	fs.Var(&httpsListen, "listen-https", "https listen address (repeatable; default 443 and [::]:443)")
	httpsPort := fs.Int("https-port", 0, "port in redirects to https (default 443)")
	out := fs.String("o", "", "write to this file (atomically) instead of standard output")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if *bootstrap == *https {
		return usageError{"give exactly one of --bootstrap and --https"}
	}
	if *https && (*keyFile == "" || *fullchain == "") {
		if len(domains) > 0 {
			// Default to the installed files remembered by install.
			if md, err := a.store.LoadMetadata(ctx, acmeutil.CertName(domains[0])); err == nil && md.Install != nil {
				if *keyFile == "" {
					*keyFile = md.Install.KeyFile
				}
				if *fullchain == "" {
					*fullchain = md.Install.FullchainFile
				}
			}
		}
		if *keyFile == "" || *fullchain == "" {
			return usageError{"--https needs --key-file and --fullchain-file (or an install of the certificate)"}
		}
	}
	site := acmeutil.NginxSite{ServerNames: domains, Webroot: *webroot, Root: *root, CertFile: *fullchain, KeyFile: *keyFile,
		HTTPListen: httpListen, HTTPSListen: httpsListen, HTTPSPort: *httpsPort}
	var conf []byte
	var err error
	if *bootstrap {
		conf, err = site.RenderHTTPOnly()
	} else {
		conf, err = site.RenderHTTPS()
	}
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = a.stdout.Write(conf)
		return err
	}
	return writeFileAtomic(*out, conf)
}

func (a *app) bootstrap(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	var domains, nginxArgs, httpListen, httpsListen stringList
	fs.Var(&domains, "d", "server name (repeat for more)")
	webroot := fs.String("w", "", "webroot for /.well-known/acme-challenge/")
	root := fs.String("root", "", "https document root (default the webroot)")
	conf := fs.String("conf", "", "server block file nginx includes (written atomically)")
	keyFile := fs.String("key-file", "", "where to install the private key")
	fullchain := fs.String("fullchain-file", "", "where to install leaf + chain")
	server := fs.String("server", "letsencrypt", "ACME directory URL, or letsencrypt / letsencrypt_test")
	email := fs.String("email", "", "account contact e-mail (new accounts)")
	keylength := fs.String("keylength", "ec-256", "certificate key: ec-256, ec-384, 2048, 3072, 4096")
	nginxBin := fs.String("nginx", "nginx", "nginx binary")
	fs.Var(&nginxArgs, "nginx-arg", "argument before -t / -s reload, e.g. -c FILE (repeatable)")
	fs.Var(&httpListen, "listen-http", "http listen address (repeatable; default 80 and [::]:80)")
	fs.Var(&httpsListen, "listen-https", "https listen address (repeatable; default 443 and [::]:443)")
	httpsPort := fs.Int("https-port", 0, "port in redirects to https (default 443)")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if len(domains) == 0 || *webroot == "" || *conf == "" || *keyFile == "" || *fullchain == "" {
		return usageError{"need -d, -w, --conf, --key-file and --fullchain-file"}
	}
	kt, err := acmeutil.ParseKeyType(*keylength)
	if err != nil {
		return usageError{err.Error()}
	}
	abs := func(p string) (string, error) { return filepath.Abs(p) }
	var paths [5]string
	for i, p := range []string{*webroot, *conf, *keyFile, *fullchain, *root} {
		if p == "" {
			continue
		}
		if paths[i], err = abs(p); err != nil {
			return err
		}
	}
	client, err := a.client(ctx, serverURL(*server), *email, nil)
	if err != nil {
		return err
	}
	m := a.manager()
	m.Client = client
	b := &acmeutil.Bootstrap{
		Site: acmeutil.NginxSite{ServerNames: domains, Webroot: paths[0], Root: paths[4], CertFile: paths[3], KeyFile: paths[2],
			HTTPListen: httpListen, HTTPSListen: httpsListen, HTTPSPort: *httpsPort},
		ConfFile: paths[1],
		Nginx:    acmeutil.Nginx{Binary: *nginxBin, Args: nginxArgs},
		Manager:  m,
		Client:   client,
		KeyType:  kt,
	}
	res, err := b.Run(ctx)
	if err != nil {
		return err
	}
	if res.Issued {
		a.say("Cert success: %s, serial %s, valid until %s", strings.Join(domains, ", "), res.Certificate.Meta.Serial, res.Certificate.Meta.NotAfter.Format(time.RFC3339))
	} else {
		a.say("Certificate %s present, not due (next renewal %s)", res.Certificate.Meta.Name, res.Certificate.Meta.Renewal.RenewAt.Format(time.RFC3339))
	}
	if res.RenewError != nil {
		a.say("Renewal failed, still serving the current certificate: %v", res.RenewError)
	}
	a.say("nginx serves https with %s", paths[3])
	return nil
}

func (a *app) status(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	if err := a.parse(fs, args); err != nil {
		return err
	}
	plan, err := a.manager().Plan(ctx)
	if err != nil {
		return err
	}
	if len(plan) == 0 {
		fmt.Fprintf(a.stdout, "no certificates in %s\nstart with: acmewebroot --home %s issue -d example.com -w /var/www/html --email you@example.com\n", a.home, a.home)
		return nil
	}
	now := time.Now()
	var errs []error
	for _, p := range plan {
		fmt.Fprintf(a.stdout, "%s\n", p.Name)
		if p.Err != nil {
			fmt.Fprintf(a.stdout, "  error:        %v\n", p.Err)
			errs = append(errs, p.Err)
			continue
		}
		md := p.Meta
		fmt.Fprintf(a.stdout, "  domains:      %s\n", strings.Join(md.Domains, " "))
		fmt.Fprintf(a.stdout, "  expires:      %s (%s left)\n", md.NotAfter.Format(time.RFC3339), md.NotAfter.Sub(now).Round(time.Minute))
		if w := md.Renewal.ARI; w != nil {
			fmt.Fprintf(a.stdout, "  ARI window:   %s .. %s\n", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
		} else {
			fmt.Fprintf(a.stdout, "  ARI window:   none yet (default: a third of the lifetime left)\n")
		}
		fmt.Fprintf(a.stdout, "  next renewal: %s\n", md.Renewal.RenewAt.Format(time.RFC3339))
		fmt.Fprintf(a.stdout, "  decision:     %s\n", p.Decision.Reason)
		if md.Renewal.Failures > 0 {
			fmt.Fprintf(a.stdout, "  failures:     %d, last: %s; next attempt %s\n", md.Renewal.Failures, md.Renewal.LastError, md.Renewal.NextAttempt.Format(time.RFC3339))
		}
		if in := md.Install; in != nil {
			fmt.Fprintf(a.stdout, "  installed:    %s %s\n", in.KeyFile, in.FullchainFile)
			if in.ReloadPending {
				fmt.Fprintf(a.stdout, "  reload:       PENDING (last reload failed)\n")
			}
		}
	}
	return errors.Join(errs...)
}

func (a *app) runLoop(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	once := fs.Bool("once", false, "one pass over all certificates, then exit (for cron)")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	m := a.manager()
	if *once {
		res, err := m.RunOnce(ctx)
		for _, r := range res {
			if r.Renewed {
				a.say("Renewed %s", r.Name)
			}
		}
		return err
	}
	err := m.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
