package main

import (
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil"
)

func init() {
	registerWithFlags(70, "acmeutil", "Certificates (ACME)", func(fs *flag.FlagSet) runFunc {
		dir := fs.String("acmeutil-dir", defaultACMEDir(), "acmeutil state directory (as used by acmewebroot --home)")
		return func(ctx context.Context, s *Section) { reportAcmeutil(ctx, s, *dir) }
	})
}

// defaultACMEDir is acmewebroot's default state directory.
func defaultACMEDir() string {
	if h := os.Getenv("ACMEWEBROOT_HOME"); h != "" {
		return h
	}
	if os.Geteuid() == 0 {
		return "/var/lib/acmewebroot"
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "acmewebroot")
	}
	return "/var/lib/acmewebroot"
}

// acmeCert is one certificate in the --json report.
type acmeCert struct {
	Name        string    `json:"name"`
	Domains     []string  `json:"domains,omitempty"`
	NotAfter    time.Time `json:"not_after,omitzero"`
	RenewAt     time.Time `json:"renew_at,omitzero"`
	ARIStart    time.Time `json:"ari_start,omitzero"`
	ARIEnd      time.Time `json:"ari_end,omitzero"`
	Due         bool      `json:"due"`
	Failures    int       `json:"failures,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	Installed   string    `json:"installed,omitempty"`
	ReloadStuck bool      `json:"reload_pending,omitempty"`
	Error       string    `json:"error,omitempty"`
}

func reportAcmeutil(ctx context.Context, s *Section, dir string) {
	s.Add("state directory", dir)
	start := "to start: acmewebroot --home " + dir + " issue -d example.com -w /var/www/html --email you@example.com " +
		"(needs a web server answering http://example.com/.well-known/acme-challenge/ from that webroot on port 80; " +
		"acmewebroot nginx-conf --bootstrap prints an nginx server block that does)"
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.Add("certificates", "none: the directory does not exist")
		s.Add("next step", start)
		return
	case errors.Is(err, fs.ErrPermission):
		s.Miss("cannot read %s: permission denied (run as its owner or root, or pass --acmeutil-dir)", dir)
		return
	case err != nil:
		s.Miss("cannot read %s: %v", dir, err)
		return
	case !fi.IsDir():
		s.Miss("%s is not a directory", dir)
		return
	}
	m := &acmeutil.Manager{Store: acmeutil.NewDirStorage(dir)}
	plan, err := m.Plan(ctx)
	if err != nil {
		s.Miss("cannot list certificates in %s: %v", dir, err)
		return
	}
	if len(plan) == 0 {
		s.Add("certificates", "none yet")
		s.Add("next step", start)
		return
	}
	now := time.Now()
	var data []acmeCert
	due, failing := 0, 0
	for _, p := range plan {
		c := acmeCert{Name: p.Name}
		if p.Err != nil {
			c.Error = p.Err.Error()
			s.Addf(p.Name, "unreadable: %v", p.Err)
			data = append(data, c)
			continue
		}
		md := p.Meta
		c.Domains, c.NotAfter, c.RenewAt, c.Due = md.Domains, md.NotAfter, md.Renewal.RenewAt, p.Decision.Renew
		c.Failures, c.LastError = md.Renewal.Failures, md.Renewal.LastError
		var lines []string
		lines = append(lines, "expires "+md.NotAfter.Format(time.RFC3339)+" (in "+acmeHumanDuration(md.NotAfter.Sub(now))+")")
		if w := md.Renewal.ARI; w != nil {
			c.ARIStart, c.ARIEnd = w.Start, w.End
			lines = append(lines, "ARI window "+w.Start.Format(time.RFC3339)+" .. "+w.End.Format(time.RFC3339))
		}
		lines = append(lines, "next renewal "+md.Renewal.RenewAt.Format(time.RFC3339)+": "+p.Decision.Reason)
		if p.Decision.Renew {
			due++
		}
		if md.Renewal.Failures > 0 {
			failing++
			lines = append(lines, "FAILING: "+strconv.Itoa(md.Renewal.Failures)+" attempts, last: "+md.Renewal.LastError)
		}
		if in := md.Install; in != nil {
			c.Installed, c.ReloadStuck = in.FullchainFile, in.ReloadPending
			l := "installed to " + in.FullchainFile
			if in.ReloadPending {
				l += " (last reload FAILED, will retry)"
			}
			lines = append(lines, l)
		} else {
			lines = append(lines, "not installed anywhere (acmewebroot install)")
		}
		s.Add(p.Name+" ["+strings.Join(md.Domains, " ")+"]", strings.Join(lines, "\n"))
		data = append(data, c)
	}
	s.Addf("summary", "%d certificates, %d due now, %d failing", len(plan), due, failing)
	s.Data = data
}

func acmeHumanDuration(d time.Duration) string {
	if d < 0 {
		return "the past: EXPIRED " + acmeHumanDuration(-d) + " ago"
	}
	days := int(d / (24 * time.Hour))
	if days >= 2 {
		return strconv.Itoa(days) + " days"
	}
	return d.Round(time.Minute).String()
}
