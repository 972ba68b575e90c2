package acmeutil_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil"
	"github.com/hostkit-dev/hostkit/acmeutil/acmetest"
)

// Bootstrap with no stored certificate replaces the site's configuration
// by the http-only one to get a certificate. When that issuance fails, the
// configuration that was there before (here a working https site, e.g.
// after moving to a new state directory or from another ACME client) must
// be live again; before the fix the site was left without https.
func TestBootstrapFailedIssueRestoresConfig(t *testing.T) {
	ctx := testCtx(t)
	ngx := acmetest.StartNginx(t, 0)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: ngx.HTTPPort})
	dir := t.TempDir()
	site := acmeutil.NginxSite{ServerNames: []string{"restore.example.com"}, Webroot: ngx.Webroot,
		CertFile: filepath.Join(dir, "fullchain.pem"), KeyFile: filepath.Join(dir, "privkey.pem"),
		HTTPListen:  []string{"127.0.0.1:" + strconv.Itoa(ngx.HTTPPort)},
		HTTPSListen: []string{"127.0.0.1:" + strconv.Itoa(ngx.HTTPSPort)}, HTTPSPort: ngx.HTTPSPort}
	conf := ngx.SiteFile("site")
	store := acmeutil.NewDirStorage(filepath.Join(dir, "store"))
	client := newClient(t, ctx, peb, store)
	res, err := (&acmeutil.Bootstrap{Site: site, ConfFile: conf, Nginx: ngx.Ctl,
		Manager: &acmeutil.Manager{Store: store, Client: client}, Client: client}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roots, _, err := peb.Roots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	serial := res.Certificate.Leaf.SerialNumber
	if _, err := ngx.WaitForCertificate(ctx, "restore.example.com", roots, serial); err != nil {
		t.Fatal(err)
	}
	working, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}

	// A fresh store and a CA whose validation cannot reach this nginx.
	bad := acmetest.StartPebble(t, acmetest.Options{HTTPPort: acmetest.FreePort(t)})
	store2 := acmeutil.NewDirStorage(filepath.Join(dir, "store2"))
	client2 := newClient(t, ctx, bad, store2)
	_, err = (&acmeutil.Bootstrap{Site: site, ConfFile: conf, Nginx: ngx.Ctl,
		Manager: &acmeutil.Manager{Store: store2, Client: client2}, Client: client2}).Run(ctx)
	if err == nil {
		t.Fatal("bootstrap against a CA that cannot validate succeeded")
	}
	if got, _ := os.ReadFile(conf); !bytes.Equal(got, working) {
		t.Errorf("after the failed issuance %s holds:\n%s\nwant the previous configuration back:\n%s", conf, got, working)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := ngx.WaitForCertificate(wctx, "restore.example.com", roots, serial); err != nil {
		t.Errorf("after the failed issuance the previous https site is not live: %v", err)
	}
}
