package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil"
	"github.com/hostkit-dev/hostkit/acmeutil/acmetest"
)

type cli struct {
	t    *testing.T
	base []string
}

func (c cli) run(ctx context.Context, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(ctx, append(append([]string{}, c.base...), args...), &out, &errb)
	return code, out.String(), errb.String()
}

func (c cli) ok(ctx context.Context, args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(ctx, args...)
	if code != 0 {
		c.t.Fatalf("acmewebroot %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// The acme.sh workflow against real Pebble and nginx: bootstrap config,
// issue, install with a reload command, https config, status, skip when not
// due, forced renewal that installs and reloads.
func TestWorkflow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ngx := acmetest.StartNginx(t, 0)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: ngx.HTTPPort})
	home := filepath.Join(t.TempDir(), "home")
	c := cli{t, []string{"--home", home, "--ca-bundle", peb.CAFile}}
	site := ngx.SiteFile("example")
	listen := []string{"--listen-http", "127.0.0.1:" + strconv.Itoa(ngx.HTTPPort), "--listen-https", "127.0.0.1:" + strconv.Itoa(ngx.HTTPSPort), "--https-port", strconv.Itoa(ngx.HTTPSPort)}

	if out := c.ok(ctx, "status"); !strings.Contains(out, "no certificates") || !strings.Contains(out, "issue -d") {
		t.Errorf("status of an empty home:\n%s", out)
	}
	c.ok(ctx, append([]string{"nginx-conf", "--bootstrap", "-d", "app.example.com", "-w", ngx.Webroot, "-o", site}, listen...)...)
	if err := ngx.Ctl.Test(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ngx.Ctl.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	out := c.ok(ctx, "issue", "-d", "app.example.com", "-d", "www.app.example.com", "-w", ngx.Webroot, "--server", peb.DirectoryURL, "--email", "ops@example.com")
	if !strings.Contains(out, "Cert success") {
		t.Errorf("issue output:\n%s", out)
	}
	inst := t.TempDir()
	key, full := filepath.Join(inst, "key.pem"), filepath.Join(inst, "fullchain.pem")
	reload := strings.Join(ngx.Ctl.ReloadCmd(), " ")
	out = c.ok(ctx, "install", "-d", "app.example.com", "--key-file", key, "--fullchain-file", full, "--reload-cmd", reload)
	if !strings.Contains(out, "Reload success") {
		t.Errorf("install output:\n%s", out)
	}
	c.ok(ctx, append([]string{"nginx-conf", "--https", "-d", "app.example.com", "-d", "www.app.example.com", "-w", ngx.Webroot, "-o", site}, listen...)...)
	if err := ngx.Ctl.Test(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ngx.Ctl.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	store := acmeutil.NewDirStorage(home)
	first, err := store.Load(ctx, "app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	roots, _, err := peb.Roots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ngx.WaitForCertificate(ctx, "www.app.example.com", roots, first.Leaf.SerialNumber); err != nil {
		t.Fatal(err)
	}
	out = c.ok(ctx, "status")
	for _, want := range []string{"app.example.com", "expires:", "next renewal:", "installed:    " + key} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	// Issue again: not due, skipped, nothing asked from the CA.
	if out := c.ok(ctx, "issue", "-d", "app.example.com", "-d", "www.app.example.com", "-w", ngx.Webroot, "--server", peb.DirectoryURL); !strings.Contains(out, "Skipping") {
		t.Errorf("second issue:\n%s", out)
	}
	// renew --force: new certificate, installed, nginx reloaded.
	out = c.ok(ctx, "renew", "--force")
	if !strings.Contains(out, "Renewed app.example.com") || !strings.Contains(out, "Reload success") {
		t.Errorf("renew output:\n%s", out)
	}
	second, err := store.Load(ctx, "app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ngx.WaitForCertificate(ctx, "app.example.com", roots, second.Leaf.SerialNumber); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
		t.Errorf("installed key mode %v", fi.Mode().Perm())
	}
	// run --once: nothing due.
	c.ok(ctx, "run", "--once")
	// run as a daemon stops cleanly when its context ends.
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	time.AfterFunc(500*time.Millisecond, rcancel) // as SIGTERM does
	if code, _, errs := c.run(rctx, "run"); code != 0 {
		t.Errorf("run: exit %d: %s", code, errs)
	}
}

func TestUsageAndBadInput(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	c := cli{t, []string{"--home", home}}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"issue"}, 2, "need -d"},
		{[]string{"issue", "-d", "bad_name.example.com", "-w", home}, 1, "invalid domain name"},
		{[]string{"issue", "-d", "ok.example.com", "-w", home, "--keylength", "1024"}, 2, "key type"},
		{[]string{"nginx-conf", "--bootstrap", "--https", "-d", "a.example.com", "-w", "/w"}, 2, "exactly one"},
		{[]string{"nginx-conf", "--bootstrap", "-d", "a.example.com", "-w", "/w;evil"}, 1, "invalid configuration"},
		{[]string{"install", "-d", "none.example.com", "--key-file", "k", "--fullchain-file", "f"}, 1, "not found"},
		{[]string{"renew"}, 1, "no certificates"},
		{[]string{"--ca-bundle", "/nonexistent", "issue", "-d", "a.example.com", "-w", home}, 1, "ca-bundle"},
	} {
		code, out, errs := c.run(ctx, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("acmewebroot %v: exit %d, output %q %q; want exit %d mentioning %q", tc.args, code, out, errs, tc.code, tc.want)
		}
	}
	out := c.ok(ctx, "nginx-conf", "--bootstrap", "-d", "a.example.com", "-w", "/srv/www")
	if !strings.Contains(out, "location ^~ /.well-known/acme-challenge/") {
		t.Errorf("nginx-conf:\n%s", out)
	}
}

// bootstrap: the whole container-init sequence in one command, twice (the
// second start does not ask the CA).
func TestBootstrapCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ngx := acmetest.StartNginx(t, 0)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: ngx.HTTPPort})
	home := filepath.Join(t.TempDir(), "home")
	c := cli{t, []string{"--home", home, "--ca-bundle", peb.CAFile}}
	inst := t.TempDir()
	args := []string{"bootstrap", "-d", "boot.example.com", "-w", ngx.Webroot, "--conf", ngx.SiteFile("boot"),
		"--key-file", filepath.Join(inst, "key.pem"), "--fullchain-file", filepath.Join(inst, "full.pem"),
		"--server", peb.DirectoryURL, "--nginx", ngx.Ctl.Binary,
		"--listen-http", "127.0.0.1:" + strconv.Itoa(ngx.HTTPPort), "--listen-https", "127.0.0.1:" + strconv.Itoa(ngx.HTTPSPort)}
	for _, a := range ngx.Ctl.Args {
		args = append(args, "--nginx-arg="+a)
	}
	if out := c.ok(ctx, args...); !strings.Contains(out, "Cert success") {
		t.Fatalf("first bootstrap:\n%s", out)
	}
	cert, err := acmeutil.NewDirStorage(home).Load(ctx, "boot.example.com")
	if err != nil {
		t.Fatal(err)
	}
	roots, _, err := peb.Roots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ngx.WaitForCertificate(ctx, "boot.example.com", roots, cert.Leaf.SerialNumber); err != nil {
		t.Fatal(err)
	}
	if out := c.ok(ctx, args...); !strings.Contains(out, "not due") {
		t.Fatalf("second bootstrap:\n%s", out)
	}
}

// The EAB HMAC key comes from a file, the environment or (with a warning)
// the command line; errors never echo it.
func TestEABKeySources(t *testing.T) {
	const secret = "c2VjcmV0LWhtYWMta2V5LWZvci10ZXN0cw" // base64url of "secret-hmac-key-for-tests"
	var stderr strings.Builder
	a := &app{stderr: &stderr}
	file := filepath.Join(t.TempDir(), "eab.key")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	eab, err := a.eab("kid-1", "", file)
	if err != nil || eab == nil || eab.KID != "kid-1" || string(eab.Key) != "secret-hmac-key-for-tests" || stderr.Len() != 0 {
		t.Fatalf("from a file: %+v, %v, stderr %q", eab, err, stderr.String())
	}
	t.Setenv("ACME_EAB_HMAC_KEY", secret)
	if eab, err := a.eab("kid-2", "", ""); err != nil || string(eab.Key) != "secret-hmac-key-for-tests" || stderr.Len() != 0 {
		t.Fatalf("from the environment: %+v, %v", eab, err)
	}
	if _, set := os.LookupEnv("ACME_EAB_HMAC_KEY"); set {
		t.Fatal("$ACME_EAB_HMAC_KEY is still set after reading it: hooks and the reload command would inherit it")
	}
	if eab, err := a.eab("kid-3", secret, ""); err != nil || eab.KID != "kid-3" || !strings.Contains(stderr.String(), "visible to every user") {
		t.Fatalf("from the command line: %+v, %v, stderr %q", eab, err, stderr.String())
	}
	if eab, err := a.eab("", "", ""); eab != nil || err != nil {
		t.Fatalf("no EAB asked: %+v, %v", eab, err)
	}
	for _, c := range []struct{ kid, key, file string }{
		{"kid", secret, file},      // two sources
		{"", secret, ""},           // no kid
		{"kid", "not base64!", ""}, // bad key
		{"kid", "", "/nonexistent/eab.key"},
	} {
		_, err := a.eab(c.kid, c.key, c.file)
		if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "not base64!") {
			t.Errorf("eab(%q, key, %q) = %v: want an error that does not show the key", c.kid, c.file, err)
		}
	}
}
