package acmetest_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil/acmetest"
)

// The harness itself: Pebble answers its directory over HTTPS trusted only
// through HTTPClient, the DNS server resolves test names, the management
// API serves the root, and nginx serves the webroot on the HTTP-01 port.
func TestHarness(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ngx := acmetest.StartNginx(t, 0)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: ngx.HTTPPort})
	if _, err := http.Get(peb.DirectoryURL); err == nil {
		t.Error("the default client trusts Pebble's throw-away CA")
	}
	res, err := peb.HTTPClient().Get(peb.DirectoryURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("directory: %s", res.Status)
	}
	if _, pemData, err := peb.Roots(ctx); err != nil || !strings.Contains(string(pemData), "BEGIN CERTIFICATE") {
		t.Errorf("roots: %v", err)
	}
	if err := peb.SetTXT(ctx, "_acme-challenge.x.example.com", "v"); err != nil {
		t.Errorf("SetTXT: %v", err)
	}
	// nginx serves a file from a site block written into SitesDir.
	os.MkdirAll(filepath.Join(ngx.Webroot, "probe"), 0o755)
	os.WriteFile(filepath.Join(ngx.Webroot, "probe", "x.txt"), []byte("hello"), 0o644)
	conf := "server { listen 127.0.0.1:" + strconv.Itoa(ngx.HTTPPort) + "; root " + ngx.Webroot + "; }\n"
	os.WriteFile(ngx.SiteFile("probe"), []byte(conf), 0o644)
	if err := ngx.Ctl.Test(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ngx.Ctl.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		res, err := http.Get("http://127.0.0.1:" + strconv.Itoa(ngx.HTTPPort) + "/probe/x.txt")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("nginx never served the probe: %v\n%s", err, ngx.ErrorLog())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
