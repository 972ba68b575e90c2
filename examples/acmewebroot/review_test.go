package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil"
	"github.com/hostkit-dev/hostkit/acmeutil/acmetest"
)

// A certificate that is due but whose last automatic renewal failed (the
// scheduler's backoff is running) must not make a manual `issue` skip it:
// acme.sh issues again once its next renewal time has passed, and the
// operator who fixed the cause is the one asking. Before, issue said
// "Skipping ... Next renewal time is <a time in the past>" and did nothing.
func TestIssueDueCertificateInBackoff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ngx := acmetest.StartNginx(t, 0)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: ngx.HTTPPort})
	home := filepath.Join(t.TempDir(), "home")
	c := cli{t, []string{"--home", home, "--ca-bundle", peb.CAFile}}
	listen := []string{"--listen-http", "127.0.0.1:" + strconv.Itoa(ngx.HTTPPort)}
	c.ok(ctx, append([]string{"nginx-conf", "--bootstrap", "-d", "due.example.com", "-w", ngx.Webroot, "-o", ngx.SiteFile("due")}, listen...)...)
	if err := ngx.Ctl.Test(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ngx.Ctl.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	args := []string{"issue", "-d", "due.example.com", "-w", ngx.Webroot, "--server", peb.DirectoryURL}
	c.ok(ctx, args...)
	store := acmeutil.NewDirStorage(home)
	md, err := store.LoadMetadata(ctx, "due.example.com")
	if err != nil {
		t.Fatal(err)
	}
	first := md.Serial
	// The renewal time has passed; the scheduler's last attempt failed and
	// its backoff runs for another day.
	now := time.Now().UTC()
	md.Renewal.RenewAt = now.Add(-time.Hour)
	md.Renewal.ARINextCheck = now.Add(24 * time.Hour)
	md.Renewal.Failures = 4
	md.Renewal.LastAttempt = now.Add(-time.Minute)
	md.Renewal.LastError = "challenge failed"
	md.Renewal.NextAttempt = now.Add(24 * time.Hour)
	if err := store.SaveMetadata(ctx, md); err != nil {
		t.Fatal(err)
	}
	out := c.ok(ctx, args...)
	if strings.Contains(out, "Skipping") || !strings.Contains(out, "Cert success") {
		t.Fatalf("issue of a due certificate in backoff did not issue:\n%s", out)
	}
	md, err = store.LoadMetadata(ctx, "due.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if md.Serial == first || md.Renewal.Failures != 0 || !md.Renewal.NextAttempt.IsZero() {
		t.Errorf("after the manual issue: serial %s (was %s), failures %d, next attempt %v", md.Serial, first, md.Renewal.Failures, md.Renewal.NextAttempt)
	}
	// Not due (fresh certificate): still skipped.
	if out := c.ok(ctx, args...); !strings.Contains(out, "Skipping") {
		t.Errorf("issue of a fresh certificate:\n%s", out)
	}
}
