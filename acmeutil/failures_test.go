package acmeutil_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/acmeutil"
	"github.com/hostkit-dev/hostkit/acmeutil/acmetest"
)

// installedState reads the installed files, to prove failures leave them alone.
func installedState(t *testing.T, paths ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[p] = string(b)
	}
	return m
}

func sameState(t *testing.T, what string, before map[string]string) {
	t.Helper()
	for p, want := range before {
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Errorf("%s: installed file %s changed (err %v)", what, p, err)
		}
	}
}

// Failures of every kind leave the installed certificate and the stored one
// untouched, are reported clearly and are retried with backoff.
func TestFailuresLeaveInstalledCertificate(t *testing.T) {
	ctx := testCtx(t)
	port := acmetest.FreePort(t)
	peb := acmetest.StartPebble(t, acmetest.Options{HTTPPort: port})
	solver := acmeutil.NewHTTPSolver(nil)
	serveOn(t, port, solver)
	dir := t.TempDir()
	store := acmeutil.NewDirStorage(filepath.Join(dir, "store"))
	client := newClient(t, ctx, peb, store)
	reloads := filepath.Join(dir, "reloads")
	spec := &acmeutil.InstallSpec{
		KeyFile:       filepath.Join(dir, "key.pem"),
		FullchainFile: filepath.Join(dir, "fullchain.pem"),
		ReloadCmd:     []string{"/bin/sh", "-c", `echo "$CERT_NAME $CERT_SERIAL" >> "$RELOADS"`},
	}
	t.Setenv("RELOADS", reloads)
	mgr := &acmeutil.Manager{Store: store, Client: client, Solvers: func(*acmeutil.Metadata) []acmeutil.Solver { return []acmeutil.Solver{solver} }}
	const name = "fail.example.com"
	c, ir, err := mgr.Obtain(ctx, client, acmeutil.IssueRequest{Domains: []string{name}, Solvers: []acmeutil.Solver{solver}}, acmeutil.IssueSettings{}, spec)
	if err != nil {
		t.Fatalf("Obtain: %v\n%s", err, peb.Log())
	}
	if ir == nil || !ir.Reloaded {
		t.Fatalf("first install: %+v, want reloaded", ir)
	}
	before := installedState(t, spec.KeyFile, spec.FullchainFile)
	storeDir := store.CertDir(name)
	storedBefore := installedState(t, filepath.Join(storeDir, "cert.pem"), filepath.Join(storeDir, "privkey.pem"))

	t.Run("challenge-fails", func(t *testing.T) {
		webroot := t.TempDir() // not served: Pebble gets 404s from the handler
		m := &acmeutil.Manager{Store: mgr.Store, Client: mgr.Client, Solvers: mgr.Solvers}
		m.Solvers = func(*acmeutil.Metadata) []acmeutil.Solver {
			return []acmeutil.Solver{&acmeutil.WebrootSolver{Root: webroot}}
		}
		start := time.Now()
		_, err := m.Check(ctx, name, true)
		var pe *acmeutil.ProblemError
		if !errors.As(err, &pe) || pe.Problem == nil || pe.Domain != name || pe.Challenge != "http-01" {
			t.Fatalf("got %v (%#v), want a ProblemError for %s http-01 with the CA's problem", err, pe, name)
		}
		if !strings.Contains(pe.Problem.ProblemType, "unauthorized") && !strings.Contains(pe.Problem.ProblemType, "connection") {
			t.Errorf("problem type %q", pe.Problem.ProblemType)
		}
		ents, _ := os.ReadDir(filepath.Join(webroot, ".well-known", "acme-challenge"))
		if len(ents) != 0 {
			t.Errorf("challenge files left behind: %v", ents)
		}
		md, err := store.LoadMetadata(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		r := md.Renewal
		if r.Failures != 1 || !strings.Contains(r.LastError, name) || r.NextAttempt.Before(start.Add(time.Minute)) || r.NextAttempt.After(time.Now().Add(time.Minute)) {
			t.Errorf("failure not recorded with a 1-minute backoff: %+v", r)
		}
		// Not retried before the backoff ends.
		res, err := mgr.Check(ctx, name, false)
		if err != nil || res.Renewed {
			t.Errorf("check during backoff: %+v %v", res, err)
		}
	})
	sameState(t, "after a failed challenge", before)
	sameState(t, "after a failed challenge (store)", storedBefore)

	t.Run("ca-unreachable", func(t *testing.T) {
		m := &acmeutil.Manager{Store: mgr.Store, Client: mgr.Client, Solvers: mgr.Solvers}
		m.Client = nil
		m.Connect = func(ctx context.Context, server string) (*acmeutil.Client, error) {
			return acmeutil.NewClient(ctx, acmeutil.Config{DirectoryURL: "https://127.0.0.1:" + itoa(acmetest.FreePort(t)) + "/dir", Store: store, AgreeTOS: true})
		}
		_, err := m.Check(ctx, name, true)
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("got %v, want connection refused", err)
		}
	})
	sameState(t, "after the CA was unreachable", before)

	t.Run("ca-errors", func(t *testing.T) {
		fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Replay-Nonce", "bm9uY2U")
			switch r.URL.Path {
			case "/dir":
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"newNonce":"` + "http://" + r.Host + `/nonce","newAccount":"http://` + r.Host + `/acct","newOrder":"http://` + r.Host + `/order"}`))
			case "/nonce":
			default:
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`{"type":"urn:ietf:params:acme:error:unauthorized","detail":"account creation is disabled for maintenance"}`))
			}
		}))
		defer fake.Close()
		_, err := acmeutil.NewClient(ctx, acmeutil.Config{DirectoryURL: fake.URL + "/dir", AgreeTOS: true})
		var pe *acmeutil.ProblemError
		if !errors.As(err, &pe) || pe.Problem == nil || !strings.Contains(err.Error(), "disabled for maintenance") {
			t.Fatalf("got %v, want the CA's problem document in the error", err)
		}
	})

	t.Run("garbled-stored-certificate", func(t *testing.T) {
		p := filepath.Join(storeDir, "cert.pem")
		good, _ := os.ReadFile(p)
		defer os.WriteFile(p, good, 0o644)
		garbled := append([]byte(nil), good...)
		garbled[len(garbled)/2] ^= 0x55
		os.WriteFile(p, garbled, 0o644)
		_, err := mgr.Check(ctx, name, true)
		if !errors.Is(err, acmeutil.ErrCorrupt) || !strings.Contains(err.Error(), storeDir) {
			t.Fatalf("got %v, want ErrCorrupt naming %s", err, storeDir)
		}
	})
	sameState(t, "after a garbled stored certificate", before)

	t.Run("key-permissions", func(t *testing.T) {
		p := filepath.Join(storeDir, "privkey.pem")
		os.Chmod(p, 0o644)
		defer os.Chmod(p, 0o600)
		_, err := mgr.Check(ctx, name, false)
		if !errors.Is(err, acmeutil.ErrKeyPermissions) || !strings.Contains(err.Error(), p) {
			t.Fatalf("got %v, want ErrKeyPermissions naming %s", err, p)
		}
	})
	sameState(t, "after a key with wrong permissions", before)

	t.Run("reload-fails-then-retried", func(t *testing.T) {
		m := &acmeutil.Manager{Store: mgr.Store, Client: mgr.Client, Solvers: mgr.Solvers}
		md, _ := store.LoadMetadata(ctx, name)
		md.Install.ReloadCmd = []string{"/bin/sh", "-c", "echo nginx: config broken >&2; exit 3"}
		md.Renewal = acmeutil.RenewalState{RenewAt: md.Renewal.RenewAt, ARINextCheck: time.Now().Add(time.Hour)}
		if err := store.SaveMetadata(ctx, md); err != nil {
			t.Fatal(err)
		}
		_, err := m.Check(ctx, name, true)
		var ce *acmeutil.CommandError
		if !errors.As(err, &ce) || ce.ExitCode != 3 || !strings.Contains(err.Error(), "config broken") {
			t.Fatalf("got %v, want the failed reload with its output", err)
		}
		md, _ = store.LoadMetadata(ctx, name)
		if !md.Install.ReloadPending {
			t.Fatal("failed reload not remembered")
		}
		md.Install.ReloadCmd = spec.ReloadCmd
		store.SaveMetadata(ctx, md)
		res, err := m.Check(ctx, name, false)
		if err != nil || res.Install == nil || !res.Install.Reloaded || len(res.Install.Changed) != 0 {
			t.Fatalf("retry of the reload: %+v %v, want a reload with no file change", res.Install, err)
		}
		log, _ := os.ReadFile(reloads)
		if n := bytes.Count(log, []byte("\n")); n != 2 {
			t.Errorf("reload log has %d lines, want 2:\n%s", n, log)
		}
	})
	_ = c
}

func itoa(n int) string { return strconv.Itoa(n) }
