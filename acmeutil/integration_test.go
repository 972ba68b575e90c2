package acmeutil_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil"
	"github.com/hostkit-dev/hostkit/acmeutil/acmetest"
	"github.com/hostkit-dev/hostkit/internal/testenv"
	"golang.org/x/crypto/acme"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, ctx context.Context, p *acmetest.Pebble, store acmeutil.Storage) *acmeutil.Client {
	t.Helper()
	c, err := acmeutil.NewClient(ctx, acmeutil.Config{
		DirectoryURL: p.DirectoryURL, HTTPClient: p.HTTPClient(), Store: store,
		Contact: []string{"admin@example.com"}, AgreeTOS: true,
	})
	if err != nil {
		t.Fatalf("NewClient: %v\npebble log:\n%s", err, p.Log())
	}
	return c
}

// The whole acme.sh-webroot story with real Pebble, challtestsrv and nginx:
// bootstrap (http-only, issue, install, https, reload), the handshake shows
// the certificate, a forced ARI window makes the manager renew, install and
// reload, and the handshake shows the second certificate.
func TestNginxBootstrapAndARIRenewal(t *testing.T) {
	ctx := testCtx(t)
	ngx := acmetest.StartNginx(t, 0)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: ngx.HTTPPort})
	state := t.TempDir()
	store := acmeutil.NewDirStorage(filepath.Join(state, "store"))
	client := newClient(t, ctx, peb, store)
	mgr := &acmeutil.Manager{Store: store, Client: client}
	install := filepath.Join(state, "installed")
	if err := os.Mkdir(install, 0o755); err != nil {
		t.Fatal(err)
	}
	const name = "www.example.com"
	site := acmeutil.NginxSite{
		ServerNames: []string{name, "example.com"},
		Webroot:     ngx.Webroot,
		CertFile:    filepath.Join(install, "fullchain.pem"),
		KeyFile:     filepath.Join(install, "privkey.pem"),
		HTTPListen:  []string{"127.0.0.1:" + strconv.Itoa(ngx.HTTPPort)},
		HTTPSListen: []string{"127.0.0.1:" + strconv.Itoa(ngx.HTTPSPort)},
		HTTPSPort:   ngx.HTTPSPort,
	}
	boot := &acmeutil.Bootstrap{Site: site, ConfFile: ngx.SiteFile("example"), Nginx: ngx.Ctl, Manager: mgr, Client: client}
	res, err := boot.Run(ctx)
	if err != nil {
		t.Fatalf("bootstrap: %v\npebble:\n%s\nnginx:\n%s", err, peb.Log(), ngx.ErrorLog())
	}
	if !res.Issued {
		t.Fatal("bootstrap did not issue a certificate on the first run")
	}
	roots, _, err := peb.Roots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := res.Certificate.Leaf
	served, err := ngx.WaitForCertificate(ctx, name, roots, first.SerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	if err := served.VerifyHostname("example.com"); err != nil {
		t.Errorf("served certificate: %v", err)
	}
	fi, err := os.Stat(site.KeyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("installed key: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	conf, _ := os.ReadFile(boot.ConfFile)
	if !bytes.Contains(conf, []byte("ssl_certificate "+site.CertFile+";")) {
		t.Errorf("https configuration not in place:\n%s", conf)
	}

	// The http server redirects everything but the challenge path.
	checkRedirect(t, ctx, ngx.HTTPPort, name, ngx.HTTPSPort)

	// A restart (second bootstrap) does not ask the CA again.
	res2, err := boot.Run(ctx)
	if err != nil || res2.Issued {
		t.Fatalf("second bootstrap: issued=%v err=%v, want no new certificate", res2 != nil && res2.Issued, err)
	}

	// Without a new ARI window nothing is due.
	results, err := mgr.RunOnce(ctx)
	if err != nil || len(results) != 1 || results[0].Renewed {
		t.Fatalf("first manager pass: %+v, %v; want no renewal", results, err)
	}
	md, err := store.LoadMetadata(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if md.Renewal.ARI == nil || md.Renewal.ARICheckedAt.IsZero() {
		t.Fatalf("ARI was not fetched: %+v", md.Renewal)
	}
	if md.Renewal.RenewAt.Before(md.Renewal.ARI.Start) || !md.Renewal.RenewAt.Before(md.Renewal.ARI.End) {
		t.Errorf("renewal time %v outside the ARI window %+v", md.Renewal.RenewAt, md.Renewal.ARI)
	}

	// Force a window in the past through Pebble's management API; the
	// manager must see it (after the Retry-After Pebble asked for) and renew.
	now := time.Now()
	if err := peb.SetRenewalInfo(ctx, res.Certificate.CertPEM, now.Add(-2*time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	mgr.Now = func() time.Time { return time.Now().Add(md.Renewal.ARINextCheck.Sub(now) + time.Minute) }
	results, err = mgr.RunOnce(ctx)
	if err != nil {
		t.Fatalf("renewal pass: %v\npebble:\n%s", err, peb.Log())
	}
	if len(results) != 1 || !results[0].Renewed || results[0].Install == nil || !results[0].Install.Reloaded {
		t.Fatalf("renewal pass: %+v, want renewed, installed and reloaded", results)
	}
	c2, err := store.Load(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Leaf.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Fatal("stored certificate did not change")
	}
	if bytes.Equal(c2.KeyPEM, res.Certificate.KeyPEM) {
		t.Error("renewal reused the private key; want a fresh key per certificate")
	}
	if _, err := ngx.WaitForCertificate(ctx, name, roots, c2.Leaf.SerialNumber); err != nil {
		t.Fatal(err)
	}
	// And one more pass does nothing: not due, files unchanged, no reload.
	results, err = mgr.RunOnce(ctx)
	if err != nil || results[0].Renewed || results[0].Install == nil || results[0].Install.Reloaded || len(results[0].Install.Changed) != 0 {
		t.Fatalf("pass after renewal: %+v, %v; want nothing done", results, err)
	}
}

func checkRedirect(t *testing.T, ctx context.Context, httpPort int, host string, httpsPort int) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(httpPort)+path, nil)
		req.Host = host
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := get("/index.html?x=1")
	want := "https://" + host + ":" + strconv.Itoa(httpsPort) + "/index.html?x=1"
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != want {
		t.Errorf("GET /index.html: %d Location %q, want 301 %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	if res := get("/.well-known/acme-challenge/no-such-token"); res.StatusCode != http.StatusNotFound {
		t.Errorf("challenge path: %d, want 404 (served from the webroot, not redirected)", res.StatusCode)
	}
}

// Issuance with the in-memory HTTP handler, several names, RSA keys, a named
// profile and an alternate chain.
func TestIssueHTTPSolverOptions(t *testing.T) {
	ctx := testCtx(t)
	port := acmetest.FreePort(t)
	peb := acmetest.StartPebble(t, acmetest.Options{
		HTTPPort:       port,
		AlternateRoots: 1,
		Profiles: map[string]acmetest.Profile{
			"default":    {Description: "90 days", ValidityPeriod: 90 * 86400},
			"medium":     {Description: "45 days", ValidityPeriod: 45 * 86400},
			"shortlived": {Description: "6 days", ValidityPeriod: 6 * 86400},
		},
	})
	solver := acmeutil.NewHTTPSolver(nil)
	serveOn(t, port, solver)
	client := newClient(t, ctx, peb, acmeutil.NewDirStorage(t.TempDir()))

	for _, tc := range []struct {
		name    string
		req     acmeutil.IssueRequest
		life    time.Duration
		keyType acmeutil.KeyType
	}{
		{"ec-default-profile", acmeutil.IssueRequest{Domains: []string{"a.example.org", "b.example.org"}, Profile: "default"}, 90 * 24 * time.Hour, acmeutil.KeyEC256},
		{"rsa-shortlived", acmeutil.IssueRequest{Domains: []string{"c.example.org"}, KeyType: acmeutil.KeyRSA2048, Profile: "shortlived"}, 6 * 24 * time.Hour, acmeutil.KeyRSA2048},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Solvers = []acmeutil.Solver{solver}
			iss, err := client.Issue(ctx, tc.req)
			if err != nil {
				t.Fatalf("Issue: %v\n%s", err, peb.Log())
			}
			if got := acmeutil.KeyTypeOf(iss.Key.Public()); got != tc.keyType {
				t.Errorf("key type %s, want %s", got, tc.keyType)
			}
			if got := iss.Leaf.NotAfter.Sub(iss.Leaf.NotBefore).Round(time.Hour); got != tc.life {
				t.Errorf("lifetime %v, want %v (profile %s)", got, tc.life, tc.req.Profile)
			}
			for _, d := range tc.req.Domains {
				if err := iss.Leaf.VerifyHostname(d); err != nil {
					t.Error(err)
				}
			}
			if _, err := acmeutil.ParseCertificates(iss.ChainPEM); err != nil {
				t.Errorf("chain: %v", err)
			}
		})
	}

	// 90-, 45- and 6-day certificates through the manager: the renewal
	// time is in the default window (a third, or half, of the lifetime
	// left) until the CA's ARI window is known, then inside that.
	for _, life := range []int{90, 45, 6} {
		t.Run("manager-"+strconv.Itoa(life)+"-days", func(t *testing.T) {
			store := acmeutil.NewDirStorage(t.TempDir())
			mgr := &acmeutil.Manager{Store: store, Client: client, Solvers: func(*acmeutil.Metadata) []acmeutil.Solver { return []acmeutil.Solver{solver} }}
			profile := map[int]string{90: "default", 45: "medium", 6: "shortlived"}[life]
			name := "life" + strconv.Itoa(life) + ".example.org"
			c, _, err := mgr.Obtain(ctx, client, acmeutil.IssueRequest{Domains: []string{name}, Solvers: []acmeutil.Solver{solver}}, acmeutil.IssueSettings{Profile: profile}, nil)
			if err != nil {
				t.Fatal(err)
			}
			md := c.Meta
			lifetime := md.NotAfter.Sub(md.NotBefore)
			if lifetime.Round(time.Hour) != time.Duration(life)*24*time.Hour {
				t.Fatalf("lifetime %v", lifetime)
			}
			left := lifetime / 3
			if life < 10 {
				left = lifetime / 2
			}
			if got := md.NotAfter.Sub(md.Renewal.RenewAt); got < left || got > left+24*time.Hour {
				t.Errorf("renews with %v left, want a little more than %v", got, left)
			}
			if _, err := mgr.Check(ctx, name, false); err != nil {
				t.Fatal(err)
			}
			md2, _ := store.LoadMetadata(ctx, name)
			w := md2.Renewal.ARI
			if w == nil || md2.Renewal.RenewAt.Before(w.Start) || !md2.Renewal.RenewAt.Before(w.End) || !w.End.Before(md.NotAfter) {
				t.Errorf("after ARI: renew at %v, window %+v, not after %v", md2.Renewal.RenewAt, w, md.NotAfter)
			}
		})
	}

	t.Run("alternate-chain", func(t *testing.T) {
		iss, err := client.Issue(ctx, acmeutil.IssueRequest{Domains: []string{"d.example.org"}, Solvers: []acmeutil.Solver{solver}})
		if err != nil {
			t.Fatal(err)
		}
		chain, _ := acmeutil.ParseCertificates(iss.ChainPEM)
		defaultTop := chain[len(chain)-1].Issuer.CommonName
		alts, err := client.ACME().ListCertAlternates(ctx, iss.CertURL)
		if err != nil || len(alts) == 0 {
			t.Fatalf("Pebble offers no alternate chain: %v %v", alts, err)
		}
		der, err := client.ACME().FetchCert(ctx, alts[0], true)
		if err != nil {
			t.Fatal(err)
		}
		altTop, _ := x509.ParseCertificate(der[len(der)-1])
		want := altTop.Issuer.CommonName
		if want == defaultTop {
			t.Fatalf("alternate chain has the same root %q", want)
		}
		iss2, err := client.Issue(ctx, acmeutil.IssueRequest{Domains: []string{"e.example.org"}, Solvers: []acmeutil.Solver{solver}, PreferredChain: want})
		if err != nil {
			t.Fatal(err)
		}
		chain2, _ := acmeutil.ParseCertificates(iss2.ChainPEM)
		if got := chain2[len(chain2)-1].Issuer.CommonName; got != want {
			t.Errorf("preferred chain: top issued by %q, want %q", got, want)
		}
	})
}

// serveOn serves h on 127.0.0.1:port until the test ends.
func serveOn(t *testing.T, port int, h http.Handler) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// DNS-01 through the hook solver: the hook puts the TXT record into
// pebble-challtestsrv with curl.
func TestIssueDNS01Hook(t *testing.T) {
	ctx := testCtx(t)
	curl := testenv.RequireTool(t, "curl")
	peb := acmetest.StartPebble(t, acmetest.Options{})
	client := newClient(t, ctx, peb, acmeutil.NewDirStorage(t.TempDir()))
	script := `exec "$CURL" -sf -d "{\"host\":\"$ACME_TXT_NAME.\",\"value\":\"$ACME_TXT_VALUE\"}" "$CHALLSRV/set-txt"`
	t.Setenv("CURL", curl)
	t.Setenv("CHALLSRV", peb.ChallSrvURL)
	hook := &acmeutil.HookSolver{PresentCmd: []string{"/bin/sh", "-c", script},
		CleanUpCmd: []string{"/bin/sh", "-c", `exec "$CURL" -sf -d "{\"host\":\"$ACME_TXT_NAME.\"}" "$CHALLSRV/clear-txt"`}}
	iss, err := client.Issue(ctx, acmeutil.IssueRequest{Domains: []string{"*.dns.example.net", "dns.example.net"}, Solvers: []acmeutil.Solver{hook}})
	if err != nil {
		t.Fatalf("Issue: %v\n%s", err, peb.Log())
	}
	if err := iss.Leaf.VerifyHostname("x.dns.example.net"); err != nil {
		t.Error(err)
	}
}

// EAB: a CA that requires external account binding refuses a client
// without it and accepts one with it; the account is reused afterwards.
func TestAccountEABAndReuse(t *testing.T) {
	ctx := testCtx(t)
	peb := acmetest.StartPebble(t, acmetest.Options{EABKeys: map[string]string{"kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"}})
	store := acmeutil.NewDirStorage(t.TempDir())
	cfg := acmeutil.Config{DirectoryURL: peb.DirectoryURL, HTTPClient: peb.HTTPClient(), Store: store, AgreeTOS: true, AccountKeyType: acmeutil.KeyRSA2048}
	if _, err := acmeutil.NewClient(ctx, cfg); !errors.Is(err, acmeutil.ErrInvalidConfig) {
		t.Fatalf("without EAB: %v, want ErrInvalidConfig", err)
	}
	key, _ := base64URLDecode("zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W")
	cfg.EAB = &acme.ExternalAccountBinding{KID: "kid-1", Key: key}
	c1, err := acmeutil.NewClient(ctx, cfg)
	if err != nil {
		t.Fatalf("with EAB: %v\n%s", err, peb.Log())
	}
	acct, err := store.LoadAccount(ctx, peb.DirectoryURL)
	if err != nil {
		t.Fatal(err)
	}
	if acmeutil.KeyTypeOf(acct.Key.Public()) != acmeutil.KeyRSA2048 {
		t.Errorf("account key type %s, want rsa-2048", acmeutil.KeyTypeOf(acct.Key.Public()))
	}
	c2, err := acmeutil.NewClient(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c1.Account().URL == "" || c1.Account().URL != c2.Account().URL {
		t.Errorf("account not reused: %q then %q", c1.Account().URL, c2.Account().URL)
	}
	// The reused account works: the CA accepts a signed request with it.
	if _, err := c2.ACME().GetReg(ctx, ""); err != nil {
		t.Errorf("reused account rejected: %v", err)
	}
}

// Terms of service must be agreed.
func TestAccountTermsRequired(t *testing.T) {
	ctx := testCtx(t)
	peb := acmetest.StartPebble(t, acmetest.Options{})
	_, err := acmeutil.NewClient(ctx, acmeutil.Config{DirectoryURL: peb.DirectoryURL, HTTPClient: peb.HTTPClient(), AgreeTOS: false})
	if !errors.Is(err, acmeutil.ErrInvalidConfig) || !strings.Contains(err.Error(), "terms of service") {
		t.Fatalf("got %v, want a terms-of-service error", err)
	}
}

// nginx -t rejecting the configuration stops the bootstrap before the CA is
// asked, and the previous configuration file is put back.
func TestBootstrapNginxRejects(t *testing.T) {
	ctx := testCtx(t)
	ngx := acmetest.StartNginx(t, 0)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: ngx.HTTPPort})
	store := acmeutil.NewDirStorage(t.TempDir())
	client := newClient(t, ctx, peb, store)
	if err := os.WriteFile(filepath.Join(ngx.SitesDir, "broken.conf"), []byte("server { listen 127.0.0.1:1; no_such_directive on; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := ngx.SiteFile("site")
	boot := &acmeutil.Bootstrap{
		Site: acmeutil.NginxSite{ServerNames: []string{"rejected.example.com"}, Webroot: ngx.Webroot,
			CertFile: filepath.Join(t.TempDir(), "f.pem"), KeyFile: filepath.Join(t.TempDir(), "k.pem"),
			HTTPListen: []string{"127.0.0.1:" + strconv.Itoa(ngx.HTTPPort)}, HTTPSListen: []string{"127.0.0.1:" + strconv.Itoa(ngx.HTTPSPort)}},
		ConfFile: conf, Nginx: ngx.Ctl, Manager: &acmeutil.Manager{Store: store, Client: client}, Client: client,
	}
	_, err := boot.Run(ctx)
	var ce *acmeutil.CommandError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no_such_directive") || !strings.Contains(err.Error(), "restored") {
		t.Fatalf("got %v, want nginx -t's complaint", err)
	}
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Errorf("rejected configuration left in place: %v", err)
	}
	if names, _ := store.List(ctx); len(names) != 0 {
		t.Errorf("certificates issued despite the broken configuration: %v", names)
	}
}

// A malformed ARI answer keeps the previous window and asks again later.
func TestMalformedARIKeepsSchedule(t *testing.T) {
	ctx := testCtx(t)
	port := acmetest.FreePort(t)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: port})
	solver := acmeutil.NewHTTPSolver(nil)
	serveOn(t, port, solver)
	store := acmeutil.NewDirStorage(t.TempDir())
	client := newClient(t, ctx, peb, store)
	mgr := &acmeutil.Manager{Store: store, Client: client, Solvers: func(*acmeutil.Metadata) []acmeutil.Solver { return []acmeutil.Solver{solver} }}
	c, _, err := mgr.Obtain(ctx, client, acmeutil.IssueRequest{Domains: []string{"ari.example.com"}, Solvers: []acmeutil.Solver{solver}}, acmeutil.IssueSettings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := peb.SetRawRenewalInfo(ctx, c.CertPEM, `{"suggestedWindow": {"start": "not a time"}}`); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	res, err := mgr.Check(ctx, "ari.example.com", false)
	if err != nil || res.Renewed {
		t.Fatalf("%+v %v", res, err)
	}
	md, _ := store.LoadMetadata(ctx, "ari.example.com")
	if md.Renewal.ARI != nil || !md.Renewal.RenewAt.Equal(c.Meta.Renewal.RenewAt) || md.Renewal.ARINextCheck.Before(before.Add(59*time.Minute)) {
		t.Errorf("renewal state after a malformed ARI answer: %+v", md.Renewal)
	}
}
