package acmetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// Profile is a Pebble issuance profile.
type Profile struct {
	Description string `json:"description"`
	// ValidityPeriod is the certificate lifetime in seconds.
	ValidityPeriod uint64 `json:"validityPeriod"`
}

// Options configure a Pebble instance.
type Options struct {
	// HTTPPort is the port Pebble connects to for HTTP-01 (your web server).
	// 0 picks a free port; read it back from Pebble.HTTPPort.
	HTTPPort int
	// Profiles replaces the single "default" profile (90 days).
	Profiles map[string]Profile
	// RetryAfterAuthz and RetryAfterOrder make Pebble send Retry-After (seconds)
	// on pending authorizations and processing orders; 0 sends none.
	RetryAfterAuthz, RetryAfterOrder int
	// EABKeys requires external account binding with these key IDs and
	// base64url HMAC keys.
	EABKeys map[string]string
	// AlternateRoots is PEBBLE_ALTERNATE_ROOTS: extra chains to other roots.
	AlternateRoots int
	// NonceRejectPercent is PEBBLE_WFE_NONCEREJECT (default 0 here).
	NonceRejectPercent int
	// Env adds environment variables for pebble.
	Env []string
}

// Pebble is a running Pebble CA with its DNS server.
type Pebble struct {
	// DirectoryURL is the ACME directory.
	DirectoryURL string
	// ManagementURL is Pebble's management API (https).
	ManagementURL string
	// ChallSrvURL is pebble-challtestsrv's management API (http).
	ChallSrvURL string
	// DNSAddr is the DNS server Pebble resolves names with.
	DNSAddr string
	// HTTPPort is where Pebble sends HTTP-01 validation requests.
	HTTPPort int
	// CAFile is a PEM file with the CA that signed Pebble's HTTPS
	// certificate (for tools like lego: LEGO_CA_CERTIFICATES).
	CAFile string
	// Dir holds the configuration and logs.
	Dir string

	roots  *x509.CertPool
	pebble *proc
}

// HTTPClient returns a client that trusts Pebble's HTTPS listeners (and
// nothing else).
func (p *Pebble) HTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: p.roots},
			MaxIdleConnsPerHost: 8,
		},
	}
}

// Log returns the end of Pebble's log (for failure messages).
func (p *Pebble) Log() string { return p.pebble.logTail() }

// StartPebble starts pebble-challtestsrv and Pebble and waits until both
// answer. Both are stopped when the test ends.
func StartPebble(t testing.TB, opt Options) *Pebble {
	t.Helper()
	pebbleBin := testenv.RequireTool(t, "pebble")
	challBin := testenv.RequireTool(t, "pebble-challtestsrv")
	dir := t.TempDir()
	files, err := newTLSFiles()
	if err != nil {
		t.Fatalf("acmetest: %v", err)
	}
	p := &Pebble{Dir: dir, CAFile: filepath.Join(dir, "ca.pem"), roots: x509.NewCertPool()}
	p.roots.AppendCertsFromPEM(files.caPEM)
	for name, data := range map[string][]byte{"ca.pem": files.caPEM, "cert.pem": files.certPEM, "key.pem": files.keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatalf("acmetest: %v", err)
		}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if lastErr = p.start(t, pebbleBin, challBin, opt, attempt); lastErr == nil {
			return p
		}
	}
	t.Fatalf("acmetest: starting Pebble: %v", lastErr)
	return nil
}

func (p *Pebble) start(t testing.TB, pebbleBin, challBin string, opt Options, attempt int) error {
	dnsPort, challPort, acmePort, mgmtPort := FreePort(t), FreePort(t), FreePort(t), FreePort(t)
	p.HTTPPort = opt.HTTPPort
	if p.HTTPPort == 0 {
		p.HTTPPort = FreePort(t)
	}
	p.DNSAddr = hostPort(dnsPort)
	p.ChallSrvURL = "http://" + hostPort(challPort)
	p.DirectoryURL = "https://" + hostPort(acmePort) + "/dir"
	p.ManagementURL = "https://" + hostPort(mgmtPort)
	suffix := strconv.Itoa(attempt)

	chall, err := startProc(t, filepath.Join(p.Dir, "challtestsrv"+suffix+".log"), nil, challBin,
		"-dnsserver", p.DNSAddr, "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "",
		"-management", hostPort(challPort), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "")
	if err != nil {
		return err
	}
	profiles := opt.Profiles
	if len(profiles) == 0 {
		profiles = map[string]Profile{"default": {Description: "90 days", ValidityPeriod: 90 * 24 * 3600}}
	}
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  hostPort(acmePort),
		"managementListenAddress":        hostPort(mgmtPort),
		"certificate":                    filepath.Join(p.Dir, "cert.pem"),
		"privateKey":                     filepath.Join(p.Dir, "key.pem"),
		"httpPort":                       p.HTTPPort,
		"tlsPort":                        FreePort(t),
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": len(opt.EABKeys) > 0,
		"externalAccountMACKeys":         opt.EABKeys,
		"retryAfter":                     map[string]int{"authz": opt.RetryAfterAuthz, "order": opt.RetryAfterOrder},
		"keyAlgorithm":                   "ecdsa",
		"profiles":                       profiles,
	}}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	cfgPath := filepath.Join(p.Dir, "pebble-config"+suffix+".json")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		return err
	}
	env := []string{
		"PEBBLE_VA_NOSLEEP=1",
		"PEBBLE_AUTHZREUSE=0",
		"PEBBLE_WFE_NONCEREJECT=" + strconv.Itoa(opt.NonceRejectPercent),
		"PEBBLE_ALTERNATE_ROOTS=" + strconv.Itoa(opt.AlternateRoots),
	}
	peb, err := startProc(t, filepath.Join(p.Dir, "pebble"+suffix+".log"), append(env, opt.Env...), pebbleBin,
		"-config", cfgPath, "-dnsserver", p.DNSAddr)
	if err != nil {
		chall.stop()
		return err
	}
	p.pebble = peb
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := p.HTTPClient()
	if err := waitHTTP(ctx, c, p.ChallSrvURL+"/dns-request-history", chall); err != nil {
		chall.stop()
		peb.stop()
		return err
	}
	if err := waitHTTP(ctx, c, p.DirectoryURL, peb); err != nil {
		chall.stop()
		peb.stop()
		return err
	}
	if err := waitHTTP(ctx, c, p.ManagementURL+"/roots/0", peb); err != nil {
		chall.stop()
		peb.stop()
		return err
	}
	return nil
}

func (p *Pebble) do(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	res, err := p.HTTPClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: HTTP %s: %s", method, url, res.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

// Roots returns the root certificates Pebble issues under (new at every
// start), as a pool for verifying issued certificates, and as PEM.
func (p *Pebble) Roots(ctx context.Context) (*x509.CertPool, []byte, error) {
	pemData, err := p.do(ctx, http.MethodGet, p.ManagementURL+"/roots/0", nil)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, nil, fmt.Errorf("acmetest: no certificate in Pebble's /roots/0")
	}
	return pool, pemData, nil
}

// SetRenewalInfo makes Pebble's ARI answer for the certificate (PEM) the
// given window, through the management API's /set-renewal-info/.
func (p *Pebble) SetRenewalInfo(ctx context.Context, certPEM []byte, start, end time.Time) error {
	ari, _ := json.Marshal(map[string]any{"suggestedWindow": map[string]string{
		"start": start.UTC().Format(time.RFC3339), "end": end.UTC().Format(time.RFC3339)}})
	return p.SetRawRenewalInfo(ctx, certPEM, string(ari))
}

// SetRawRenewalInfo sets the ARI response body verbatim (it may be malformed,
// to test clients).
func (p *Pebble) SetRawRenewalInfo(ctx context.Context, certPEM []byte, body string) error {
	req, _ := json.Marshal(map[string]string{"Certificate": string(certPEM), "ARIResponse": body})
	_, err := p.do(ctx, http.MethodPost, p.ManagementURL+"/set-renewal-info/", req)
	return err
}

// SetTXT adds a TXT record to the DNS server (for DNS-01). host is a
// fully qualified name; a trailing dot is added if missing.
func (p *Pebble) SetTXT(ctx context.Context, host, value string) error {
	if host != "" && host[len(host)-1] != '.' {
		host += "."
	}
	req, _ := json.Marshal(map[string]string{"host": host, "value": value})
	_, err := p.do(ctx, http.MethodPost, p.ChallSrvURL+"/set-txt", req)
	return err
}
