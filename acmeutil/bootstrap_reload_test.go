package acmeutil_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil"
	"github.com/hostkit-dev/hostkit/acmeutil/acmetest"
)

// A reload that fails after Bootstrap wrote a configuration (nginx's pid
// file missing for a moment, a crash or a stop timeout between the write
// and the reload) must not leave that configuration on disk but never
// loaded. Before the fix the next Bootstrap found the file unchanged and did
// not reload: the CA could never reach the challenge path (http-only step,
// every later start failed the same way), or the changed https server never
// went live although Bootstrap reported success (https step). The reload
// failure is injected by a wrapper in front of the real nginx that fails
// "-s reload" while a flag file exists.
func TestBootstrapRetriesFailedConfigReload(t *testing.T) {
	for _, step := range []string{"http-only", "https"} {
		t.Run(step, func(t *testing.T) {
			ctx := testCtx(t)
			ngx := acmetest.StartNginx(t, 0)
			peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: ngx.HTTPPort})
			dir := t.TempDir()
			store := acmeutil.NewDirStorage(filepath.Join(dir, "store"))
			client := newClient(t, ctx, peb, store)
			flag := filepath.Join(dir, "fail-reload")
			wrapper := filepath.Join(dir, "nginx-wrapper")
			script := fmt.Sprintf(`#!/bin/sh
if [ -e '%s' ]; then
  case " $* " in *" -s reload "*) echo "nginx: [alert] reload failed (injected by the test)" >&2; exit 1;; esac
fi
exec '%s' "$@"
`, flag, ngx.Ctl.Binary)
			if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			setFail := func(on bool) {
				t.Helper()
				var err error
				if on {
					err = os.WriteFile(flag, nil, 0o644)
				} else {
					err = os.Remove(flag)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			const name = "reload.example.com"
			boot := &acmeutil.Bootstrap{
				Site: acmeutil.NginxSite{ServerNames: []string{name}, Webroot: ngx.Webroot,
					CertFile: filepath.Join(dir, "fullchain.pem"), KeyFile: filepath.Join(dir, "privkey.pem"),
					HTTPListen:  []string{"127.0.0.1:" + strconv.Itoa(ngx.HTTPPort)},
					HTTPSListen: []string{"127.0.0.1:" + strconv.Itoa(ngx.HTTPSPort)}, HTTPSPort: ngx.HTTPSPort},
				ConfFile: ngx.SiteFile("site"), Nginx: acmeutil.Nginx{Binary: wrapper, Args: ngx.Ctl.Args},
				Manager: &acmeutil.Manager{Store: store, Client: client}, Client: client,
			}
			if step == "https" {
				// A working site first; then its https listener moves and
				// the reload of the new configuration fails.
				first, err := boot.Run(ctx)
				if err != nil {
					t.Fatalf("first bootstrap: %v", err)
				}
				// nginx -s reload only signals the master: wait until the
				// configuration is loaded before changing it again.
				roots, _, err := peb.Roots(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := ngx.WaitForCertificate(ctx, name, roots, first.Certificate.Leaf.SerialNumber); err != nil {
					t.Fatal(err)
				}
				p := acmetest.FreePort(t)
				boot.Site.HTTPSListen = []string{"127.0.0.1:" + strconv.Itoa(p)}
				boot.Site.HTTPSPort = p
				ngx.HTTPSPort = p
			}
			setFail(true)
			if _, err := boot.Run(ctx); err == nil {
				t.Fatal("bootstrap: the injected reload failure was not reported")
			}
			setFail(false)
			res, err := boot.Run(ctx)
			if err != nil {
				t.Fatalf("bootstrap once reloads work again: %v\nnginx:\n%s", err, ngx.ErrorLog())
			}
			roots, _, err := peb.Roots(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if _, err := ngx.WaitForCertificate(wctx, name, roots, res.Certificate.Leaf.SerialNumber); err != nil {
				t.Fatalf("bootstrap succeeded but nginx does not serve its configuration: %v", err)
			}
			// The next start has nothing pending: it needs no reload and
			// succeeds even while reloads fail.
			setFail(true)
			if _, err := boot.Run(ctx); err != nil {
				t.Errorf("bootstrap with nothing to reload: %v", err)
			}
		})
	}
}
