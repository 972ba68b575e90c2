package acmetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil"
	"github.com/hostkit-dev/hostkit/internal/nginxtest"
)

// Nginx is a running nginx in a private prefix directory. Its main
// configuration includes every SitesDir/*.conf inside the http block, so
// rendered server blocks (acmeutil.NginxSite) go there.
type Nginx struct {
	// Dir is the prefix directory (configuration, pid, logs, temp files).
	Dir string
	// Conf is the main configuration file.
	Conf string
	// SitesDir holds included server blocks; Webroot is an empty webroot.
	SitesDir string
	Webroot  string
	// HTTPPort and HTTPSPort are free loopback ports for the site's listeners.
	HTTPPort, HTTPSPort int
	// Ctl tests and reloads this instance.
	Ctl acmeutil.Nginx

	srv *nginxtest.Server
}

// StartNginx starts nginx with no server blocks yet. httpPort may be 0 to
// pick a free one (pass Pebble's HTTPPort to serve HTTP-01 for it).
func StartNginx(t testing.TB, httpPort int) *Nginx {
	t.Helper()
	dir := t.TempDir()
	if httpPort == 0 {
		httpPort = FreePort(t)
	}
	n := &Nginx{Dir: dir, SitesDir: filepath.Join(dir, "sites"), Webroot: filepath.Join(dir, "www"),
		HTTPPort: httpPort, HTTPSPort: FreePort(t)}
	for _, d := range []string{n.SitesDir, n.Webroot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("acmetest: %v", err)
		}
	}
	n.srv = nginxtest.Start(t, nginxtest.Config{Dir: dir,
		HTTP: fmt.Sprintf("access_log %s;\ninclude %s/*.conf;", filepath.Join(dir, "logs", "access.log"), n.SitesDir)})
	n.Conf = n.srv.Conf
	n.Ctl = acmeutil.Nginx{Binary: n.srv.Binary, Args: n.srv.Args}
	return n
}

// SiteFile is the path for a server block file named name.
func (n *Nginx) SiteFile(name string) string { return filepath.Join(n.SitesDir, name+".conf") }

// ErrorLog returns nginx's error log.
func (n *Nginx) ErrorLog() string { return n.srv.ErrorLog() }

// ServedCertificate connects to the https port with SNI serverName and
// returns the leaf certificate nginx presented, verified against roots.
func (n *Nginx) ServedCertificate(ctx context.Context, serverName string, roots *x509.CertPool) (*x509.Certificate, error) {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{ServerName: serverName, RootCAs: roots}}
	conn, err := d.DialContext(ctx, "tcp", hostPort(n.HTTPSPort))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState().PeerCertificates[0], nil
}

// WaitForCertificate polls the https port until nginx serves the
// certificate with the given serial (after a reload the old workers may
// answer for a moment).
func (n *Nginx) WaitForCertificate(ctx context.Context, serverName string, roots *x509.CertPool, serial *big.Int) (*x509.Certificate, error) {
	var last error
	for {
		c, err := n.ServedCertificate(ctx, serverName, roots)
		if err == nil && c.SerialNumber.Cmp(serial) == 0 {
			return c, nil
		}
		if err == nil {
			err = fmt.Errorf("serving serial %s, want %s", c.SerialNumber.Text(16), serial.Text(16))
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("acmetest: waiting for nginx to serve serial %s: %v", serial.Text(16), last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
